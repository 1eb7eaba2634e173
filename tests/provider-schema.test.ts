// provider/schema.json, the schema the component provider serves and every language's SDK is
// generated from, against the TypeScript types it describes: Pulumi's component analyzer is run on
// the current source (as componentProviderHost would run it), and the shipped file must hold
// exactly what it finds, integers aside, with what SDK generators need to make a good SDK of it.
import { expect } from "chai";
import { readFileSync } from "fs";
import type { PackageSpec } from "@pulumi/pulumi/provider/experimental/schema";
import * as components from "../components";
import { GpuKarpenterConfigError } from "../components/checks";
import { POOL_NAME } from "../components/key-path";
import { SCHEMA_FILE, SchemaProperty, analyze, buildSchema, packageJson } from "../scripts/generate-schema";

const TOKEN = "gpu-karpenter:index:GpuKarpenter";
const PREFIX = "gpu-karpenter:index:";

type Analyzed = ReturnType<typeof analyze>;

/** Every property of the schema's resource and object types, as [where, property]. */
function properties(schema: PackageSpec): [string, SchemaProperty][] {
    const resource = schema.resources[TOKEN];
    const of = (where: string, props: Record<string, unknown> | undefined) =>
        Object.entries(props ?? {}).map(([k, p]): [string, SchemaProperty] => [`${where}.${k}`, p as SchemaProperty]);
    return [
        ...of("inputs", resource.inputProperties),
        ...of("outputs", resource.properties),
        ...Object.entries(schema.types).flatMap(([token, type]) => of(token.slice(PREFIX.length), type.properties)),
    ];
}

/** Each property with its list items and map values, as [where, type]. */
function typesIn(where: string, p: SchemaProperty): [string, SchemaProperty][] {
    return [
        [where, p],
        ...(p.items ? typesIn(`${where}[]`, p.items) : []),
        ...(p.additionalProperties ? typesIn(`${where} values`, p.additionalProperties) : []),
    ];
}

/**
 * Whether the shipped property is the analyzer's: the same reference or type (an integer where the
 * analyzer has a number), plainness, description, list items and map values. The reason, or undefined.
 */
function incompatibility(found: SchemaProperty, shipped: SchemaProperty | undefined): string | undefined {
    if (!shipped) return "missing";
    if (found.$ref !== shipped.$ref) return `refers to ${shipped.$ref}, the source to ${found.$ref}`;
    const sameType = found.type === shipped.type || (found.type === "number" && shipped.type === "integer");
    if (!sameType) return `is ${shipped.type}, the source ${found.type}`;
    if (Boolean(found.plain) !== Boolean(shipped.plain))
        return `plain is ${shipped.plain}, in the source ${found.plain}`;
    if (found.description !== shipped.description) return "has another description than the source";
    for (const part of ["items", "additionalProperties"] as const) {
        if (Boolean(found[part]) !== Boolean(shipped[part])) return `${part} differ`;
        const inner = found[part] && incompatibility(found[part], shipped[part]);
        if (inner) return `${part} ${inner}`;
    }
    return undefined;
}

const refOf = (p: SchemaProperty) => p.$ref;

/** How to reach each object type from the component's inputs: the args holding `value` there. */
function pathsToTypes(schema: PackageSpec) {
    // Values a type needs before any other property of it can be checked.
    const SAMPLES: Record<string, Record<string, unknown>> = {
        GpuPool: { name: "gpu" },
        DisruptionBudget: { nodes: "1" },
        ImageSnapshot: { snapshotId: "snap-0123456789abcdef0" },
        ClusterDetails: {
            endpoint: "https://example.eks.amazonaws.com",
            certificateAuthority: "Q0E=",
            oidcIssuerUrl: "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
            clusterSecurityGroupId: "sg-0123456789abcdef0",
            authenticationMode: "API",
        },
    };
    const found = new Map<string, { key: string; with: (props: Record<string, unknown>) => Record<string, unknown> }>();
    const visit = (
        props: Record<string, unknown> | undefined,
        key: string,
        wrap: (o: Record<string, unknown>) => Record<string, unknown>,
    ) => {
        for (const [name, raw] of Object.entries(props ?? {})) {
            const p = raw as SchemaProperty;
            const list = p.items;
            const ref = refOf(list ?? p);
            if (!ref) continue;
            const typeName = ref.slice(`#/types/${PREFIX}`.length);
            const type = schema.types[`${PREFIX}${typeName}`];
            if (!type.properties || found.has(typeName)) continue;
            const sample = SAMPLES[typeName] ?? {};
            const missing = (type.required ?? []).filter(r => !(r in sample));
            if (missing.length > 0) throw new Error(`add a sample ${typeName} (it requires ${missing.join(", ")})`);
            const typeKey = `${key}${key ? "." : ""}${name}${list ? "[0]" : ""}`;
            const withProps = (o: Record<string, unknown>) =>
                wrap({ [name]: list ? [{ ...sample, ...o }] : { ...sample, ...o } });
            found.set(typeName, { key: typeKey, with: withProps });
            visit(type.properties, typeKey, withProps);
        }
    };
    visit(schema.resources[TOKEN].inputProperties, "", o => ({ clusterName: "demo", ...o }));
    return found;
}

describe("the component provider's schema (provider/schema.json)", function () {
    this.timeout(120_000);
    let analyzed: Analyzed;
    let shipped: PackageSpec;

    before(() => {
        analyzed = analyze();
        shipped = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as PackageSpec;
    });

    it("is what `npm run schema` makes of the current source (run it after changing the args)", () => {
        expect(shipped).to.deep.equal(buildSchema(analyzed));
    });

    it("holds every property the analyzer finds in the source, with a compatible type, and nothing else", () => {
        const found = new Map(properties(analyzed.schema));
        const inShipped = new Map(properties(shipped));
        const problems = [...found].flatMap(([where, p]) => {
            const why = incompatibility(p, inShipped.get(where));
            return why ? [`${where}: ${why}`] : [];
        });
        problems.push(...[...inShipped.keys()].filter(k => !found.has(k)).map(k => `${k}: not in the source`));
        expect(problems).to.deep.equal([]);
        expect(Object.keys(shipped.types).sort()).to.deep.equal(Object.keys(analyzed.schema.types).sort());
        for (const [token, type] of Object.entries(analyzed.schema.types)) {
            expect(shipped.types[token].enum, token).to.deep.equal(type.enum);
            expect(shipped.types[token].required, token).to.deep.equal(type.required);
        }
        expect(shipped.resources[TOKEN].requiredInputs).to.deep.equal(analyzed.schema.resources[TOKEN].requiredInputs);
    });

    it("declares integers, never fractional numbers, where the component takes whole numbers only", () => {
        const all = properties(shipped).flatMap(([where, p]) => typesIn(where, p));
        expect(all.filter(([, p]) => p.type === "number").map(([where]) => where)).to.deep.equal([]);
        const integers = all.filter(([, p]) => p.type === "integer").map(([where]) => where);
        expect(integers).to.include.members([
            "ControllerSettings.replicas",
            "GpuPool.gpuLimit",
            "GpuPool.rootVolumeSize",
            "GpuPool.rootVolumeIops",
            "GpuPool.rootVolumeThroughput",
            "GpuPool.weight",
            "ImageSnapshot.initializationRate",
        ]);
        // And the component refuses a fraction for each of them, naming it.
        const paths = pathsToTypes(shipped);
        for (const where of integers.filter(w => !w.startsWith("outputs."))) {
            const [typeName, property] = where.split(".");
            const at = paths.get(typeName)!;
            const error = (() => {
                try {
                    components.resolveArgs(at.with({ [property]: 1.5 }) as unknown as components.GpuKarpenterArgs);
                } catch (e) {
                    return e;
                }
            })();
            expect(error, where).to.be.instanceOf(GpuKarpenterConfigError);
            expect((error as Error).message, where).to.match(
                new RegExp(`${keyPattern(at.key)}\\.${property}: 1\\.5 is not allowed`),
            );
        }
    });

    it("describes every input, output, property, type and enum value (the docs of every language's SDK)", () => {
        const undocumented = [
            ...properties(shipped)
                .filter(([, p]) => !p.description)
                .map(([where]) => where),
            ...Object.entries(shipped.types).flatMap(([token, type]) => [
                ...(type.description ? [] : [token]),
                ...(type.enum ?? []).filter(e => !e.description).map(e => `${token}.${e.name}`),
            ]),
        ];
        expect(undocumented).to.deep.equal([]);
        expect(shipped.resources[TOKEN].description).to.match(/GPU capacity/);
    });

    it("makes every choice an enum holding exactly the values the component accepts", () => {
        const enums = Object.entries(shipped.types).filter(([, type]) => type.enum);
        expect(enums.map(([token]) => token.slice(PREFIX.length)).sort()).to.deep.equal([
            "AuthenticationMode",
            "CapacityType",
            "ConsolidationPolicy",
            "DiscoveryMode",
            "DisruptionReason",
            "Identity",
            "InstanceStorePolicy",
            "LogLevel",
            "NodeAccessMode",
            "PodIdentityAgent",
        ]);
        // Each is the `as const` object of its name that the checks take their allowed values from.
        for (const [token, type] of enums) {
            const name = token.slice(PREFIX.length) as keyof typeof components;
            expect(
                type.enum!.map(e => [e.name, e.value]),
                name,
            ).to.have.deep.members(Object.entries(components[name] as Record<string, string>));
        }
    });

    it("requires clusterName only, and in nested types what each cannot do without", () => {
        expect(shipped.resources[TOKEN].requiredInputs).to.deep.equal(["clusterName"]);
        const required = Object.fromEntries(
            Object.entries(shipped.types)
                .filter(([, type]) => (type.required ?? []).length > 0)
                .map(([token, type]) => [token.slice(PREFIX.length), type.required]),
        );
        expect(required).to.deep.equal({
            // Given to skip the look-ups: the component needs all of it but the OIDC provider, which it looks up.
            ClusterDetails: [
                "authenticationMode",
                "certificateAuthority",
                "clusterSecurityGroupId",
                "endpoint",
                "oidcIssuerUrl",
            ],
            DisruptionBudget: ["nodes"],
            GpuPool: ["name"],
            ImageSnapshot: ["snapshotId"],
        });
    });

    it("names no input type so that SDK generators, which append Args to input types, make it ...ArgsArgs", () => {
        expect(Object.keys(shipped.types).filter(token => token.endsWith("Args"))).to.deep.equal([]);
    });

    it("carries package.json's name and version, the version the provider reports", () => {
        const pkg = packageJson();
        expect([shipped.name, shipped.version]).to.deep.equal([pkg.name, pkg.version]);
        expect(Object.keys(shipped.resources)).to.deep.equal([TOKEN]);
        expect(components.GPU_KARPENTER_TYPE).to.equal(TOKEN);
    });
});

/** A pool's errors name it after its place (`gpuPools[0] "gpu".gpuLimit`): each list index may be followed by a name. */
function keyPattern(key: string): string {
    return key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\]/g, `\\]( ${POOL_NAME})?`);
}
