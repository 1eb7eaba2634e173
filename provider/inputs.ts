// What the provider does between the engine's Construct request and the component: inputs as the
// SDK deserialized them made into args as a TypeScript program would pass them, and the
// component's GpuKarpenterConfigError made into the SDK's per-property errors. Both are read off
// the schema the provider serves (provider/schema.json).
import { InputPropertiesError } from "@pulumi/pulumi/errors";
import { Output, isUnknown, output, unknown } from "@pulumi/pulumi/output";
import { Resource } from "@pulumi/pulumi/resource";
import type { PropertyDefinition } from "@pulumi/pulumi/provider/experimental/analyzer";
import type { PackageSpec } from "@pulumi/pulumi/provider/experimental/schema";
import { POOL_NAME } from "../components/key-path";

// A pool's messages name it after its place, `gpuPools[1] "serve".gpuLimit` (poolKey); the key
// path runs to the first ": " outside that quoted name.
const POOL_NAME_AFTER_INDEX = new RegExp(`^ ${POOL_NAME}`);
const KEY_PATH = new RegExp(`^\\s*((?:${POOL_NAME}|[^":])+): `);

type Spec = PropertyDefinition & { type?: string; $ref?: string };
/** An object type's properties, or a map's value type. */
interface Shape {
    properties?: Record<string, Spec>;
    values?: Spec;
}

export interface PropertyProblem {
    propertyPath: string;
    reason: string;
}

/** A schema walker for one component's inputs. */
export class InputSchema {
    constructor(
        private readonly schema: PackageSpec,
        readonly token: string,
    ) {
        if (!schema.resources[token]) throw new Error(`the schema has no resource ${token}`);
    }

    get inputs(): Record<string, Spec> {
        return this.schema.resources[this.token].inputProperties as Record<string, Spec>;
    }

    get outputNames(): string[] {
        return Object.keys(this.schema.resources[this.token].properties ?? {});
    }

    /** What a value of `spec` holds: an object type's properties, or a map's values. */
    shape(spec: Spec | undefined): Shape {
        if (!spec) return {};
        if (spec.$ref) {
            const type = this.schema.types[decodeURIComponent(spec.$ref.replace(/^#\/types\//, ""))];
            return { properties: type?.properties };
        }
        if (spec.additionalProperties) return { values: spec.additionalProperties };
        return {};
    }

    /**
     * The property path, as the engine parses it (sdk/go/common/resource/properties_path.go
     * ParsePropertyPath), of a key path as the component's messages write it: `gpuPools[0].labels`,
     * `tags.kubernetes.io/cluster/x` (where a map's key, dots and all, runs to the end).
     */
    propertyPath(key: string): string {
        const segments: (string | number)[] = [];
        let shape: Shape = { properties: this.inputs };
        let spec: Spec | undefined;
        let rest = key;
        while (rest.length > 0) {
            const index = /^\[(\d+)\]/.exec(rest);
            if (index) {
                segments.push(Number(index[1]));
                spec = spec?.items;
                shape = this.shape(spec);
                rest = rest.slice(index[0].length).replace(POOL_NAME_AFTER_INDEX, "");
                continue;
            }
            if (segments.length > 0 && rest.startsWith(".")) rest = rest.slice(1);
            if (shape.values && !this.shape(shape.values).properties && !shape.values.items) {
                segments.push(rest); // a map of plain values: the rest is one key
                break;
            }
            const name = /^[^.[]+/.exec(rest)?.[0] ?? rest;
            segments.push(name);
            spec = shape.properties?.[name] ?? shape.values;
            shape = this.shape(spec);
            rest = rest.slice(name.length);
        }
        return segments
            .map((s, i) =>
                typeof s === "number"
                    ? `[${s}]`
                    : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s)
                      ? `${i > 0 ? "." : ""}${s}`
                      : `[${JSON.stringify(s)}]`,
            )
            .join("");
    }
}

// Output's own accessors, which the SDK's serializer uses; not in its typings.
interface OutputInternals {
    isKnown: Promise<boolean>;
    isSecret: Promise<boolean>;
    promise(withUnknowns?: boolean): Promise<unknown>;
}
const internals = (o: Output<unknown>) => o as unknown as OutputInternals;

const NEEDS_KNOWN =
    "is only known after deployment, but GpuKarpenter decides from it which resources to create; pass a value known at preview";

/**
 * The inputs as a TypeScript caller would pass them. The SDK deserializes what the engine sends so
 * that a secret anywhere in a property makes the whole top-level property one secret Output
 * (@pulumi/pulumi runtime/rpc.ts deserializeProperty, provider/server.ts deserializeInputs), and
 * leaves an unknown nested in a plain value as the bare `unknown` marker. The component takes
 * Outputs only where its types say `pulumi.Input` (the schema's non-plain properties), so:
 * - an Output over a plain object or list is opened, and each Input inside it becomes an Output
 *   of its part, keeping the secret and the dependencies; the plain parts become plain values;
 * - a bare unknown where an Input goes becomes an unknown Output;
 * - an unknown or secret value where only a plain value goes is a problem of that property.
 */
export async function componentArgs(
    schema: InputSchema,
    inputs: Record<string, unknown>,
): Promise<{ args: Record<string, unknown>; problems: PropertyProblem[] }> {
    const problems: PropertyProblem[] = [];
    const problem = (path: string, reason: string) =>
        problems.push({ propertyPath: schema.propertyPath(path), reason });

    const walk = async (value: unknown, spec: Spec | undefined, path: string): Promise<unknown> => {
        if (spec === undefined) return value; // not in the schema: the component names the unknown key
        const input = !spec.plain;
        if (isUnknown(value)) {
            if (input) return output(unknown);
            problem(path, NEEDS_KNOWN);
            return undefined;
        }
        if (Output.isInstance(value)) {
            if (input) return value;
            const o = internals(value);
            if (!(await o.isKnown)) {
                problem(path, NEEDS_KNOWN);
                return undefined;
            }
            const plain = await o.promise();
            if (plain === null || typeof plain !== "object") {
                if (await o.isSecret) {
                    problem(
                        path,
                        "cannot be a secret: it decides which resources GpuKarpenter creates; pass a plain value",
                    );
                    return undefined;
                }
                return plain;
            }
            return spread(value, plain, spec, path);
        }
        if (Array.isArray(value)) {
            return Promise.all(value.map((item, i) => walk(item, spec.items as Spec, `${path}[${i}]`)));
        }
        if (value !== null && typeof value === "object") {
            return walkObject(value as Record<string, unknown>, schema.shape(spec), path);
        }
        return value;
    };
    const walkObject = async (value: Record<string, unknown>, shape: Shape, path: string) => {
        const out: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(value)) {
            out[key] = await walk(item, shape.properties?.[key] ?? shape.values, path ? `${path}.${key}` : key);
        }
        return out;
    };
    // The known value of a plain object or list that came as one Output: each Input inside it an
    // Output of that part of it (same secret, same dependencies); the plain parts as `walk` takes them.
    const spread = async (whole: Output<unknown>, value: unknown, spec: Spec | undefined, path: string) => {
        const at = (v: unknown, parts: (string | number)[]) =>
            parts.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], v);
        const rebuild = async (
            part: unknown,
            s: Spec | undefined,
            parts: (string | number)[],
            where: string,
        ): Promise<unknown> => {
            if (s !== undefined && !s.plain) return whole.apply(v => at(v, parts));
            if (Array.isArray(part)) {
                return Promise.all(part.map((item, i) => rebuild(item, s?.items, [...parts, i], `${where}[${i}]`)));
            }
            if (part !== null && typeof part === "object" && !isUnknown(part) && !Output.isInstance(part)) {
                const shape = schema.shape(s);
                const out: Record<string, unknown> = {};
                for (const [k, item] of Object.entries(part)) {
                    out[k] = await rebuild(item, shape.properties?.[k] ?? shape.values, [...parts, k], `${where}.${k}`);
                }
                return out;
            }
            return walk(part, s, where);
        };
        return rebuild(value, spec, [], path);
    };

    const args = await walkObject(inputs, { properties: schema.inputs }, "");
    return { args, problems };
}

/** A copy with every known Output replaced by its value: the component's checks then see it now. */
export async function knownValues(value: unknown): Promise<unknown> {
    if (Output.isInstance(value)) {
        const o = internals(value);
        return (await o.isKnown) ? knownValues(await o.promise()) : value;
    }
    if (Array.isArray(value)) return Promise.all(value.map(knownValues));
    if (value !== null && typeof value === "object" && !Resource.isInstance(value)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await knownValues(v);
        return out;
    }
    return value;
}

/**
 * Waits for `values`' Outputs as the SDK's serializer will, and rejects with the first failure. An
 * Output whose value failed (the component's initialize threw) would otherwise reject unhandled,
 * and run-plugin prints such a rejection's stack to the plugin's stderr, which the engine shows.
 */
export async function settled(values: unknown[]): Promise<void> {
    const outputs = values.filter((v): v is Output<unknown> => Output.isInstance(v)).map(internals);
    const results = await Promise.allSettled(outputs.flatMap(o => [o.promise(), o.isKnown, o.isSecret]));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
}

/**
 * The component's message, `invalid GpuKarpenter settings:` and one `<key path>: <reason>` per
 * line, or a single `<key path>: <reason>`, as the SDK's InputPropertiesError: the engine prints
 * each problem under its property with the value given (pkg/resource/deploy/source_eval.go
 * errorToMessage). Undefined for a message of another form.
 */
export function propertiesError(schema: InputSchema, message: string): InputPropertiesError | undefined {
    const lines = message.split("\n");
    const header = lines.length > 1 && lines[0].endsWith(":") ? lines.shift()!.slice(0, -1) : undefined;
    const errors: PropertyProblem[] = [];
    for (const line of lines) {
        const key = KEY_PATH.exec(line);
        if (!key) return undefined;
        errors.push({ propertyPath: schema.propertyPath(key[1].trim()), reason: line.slice(key[0].length) });
    }
    return new InputPropertiesError({ message: header ?? "invalid GpuKarpenter settings", errors });
}
