// What the Pulumi CLI does with Pulumi.yaml and a stack's config before the program starts, so the
// offline plan refuses what `pulumi up` would refuse, with the CLI's own messages. Followed from
// pulumi/pulumi: the project schema (sdk/go/common/workspace/project.json) and Project.Validate
// (sdk/go/common/workspace/project.go), config keys (sdk/go/common/resource/config/key.go ParseKey),
// and mergeConfig / validateStackConfigValue (pkg/workspace/config.go).
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";

export class PulumiProjectError extends Error {}

export type ConfigTypeName = "string" | "integer" | "boolean" | "array" | "object";

export interface ConfigItemsType {
    type: ConfigTypeName;
    items?: ConfigItemsType;
}

export interface ConfigDeclaration {
    type?: ConfigTypeName;
    items?: ConfigItemsType;
    description?: string;
    secret?: boolean;
    default?: unknown;
    value?: unknown;
}

export interface PulumiProject {
    name: string;
    /** The program's entry point, relative to Pulumi.yaml: a file or a directory. */
    main?: string | null;
    runtime: string | { name: string; options?: Record<string, unknown> };
    config: Record<string, ConfigDeclaration>;
}

const CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"];

// The `main` and `config` parts of the CLI's project schema, which are all this project's checks
// depend on (`object` as a config and items type is accepted by CLIs from 3.186.0, pulumi/pulumi#20129).
const PROJECT_SCHEMA = {
    type: "object",
    required: ["name", "runtime"],
    properties: {
        name: { type: "string", minLength: 1 },
        main: { type: ["string", "null"] },
        config: {
            type: ["object", "string", "null"],
            additionalProperties: {
                oneOf: [
                    { type: "string" },
                    { type: "integer" },
                    { type: "boolean" },
                    { type: "array" },
                    { $ref: "#/$defs/configTypeDeclaration" },
                ],
            },
        },
    },
    $defs: {
        simpleConfigType: { enum: CONFIG_TYPES },
        configItemsType: {
            type: "object",
            required: ["type"],
            properties: {
                type: { oneOf: [{ $ref: "#/$defs/simpleConfigType" }, { $ref: "#/$defs/configItemsType" }] },
                items: { $ref: "#/$defs/configItemsType" },
            },
            if: { properties: { type: { const: "array" } } },
            then: { required: ["items"] },
        },
        configTypeDeclaration: {
            type: "object",
            additionalProperties: false,
            properties: {
                type: { $ref: "#/$defs/simpleConfigType" },
                items: { $ref: "#/$defs/configItemsType" },
                description: { type: "string" },
                secret: { type: "boolean" },
                default: {},
                value: {},
            },
        },
    },
};

let validateProjectSchema: ValidateFunction | undefined;

/** The CLI's ValidateConfigValue: whether a config value (as the CLI decoded it) is of the declared type. */
export function isOfConfigType(type: ConfigTypeName, items: ConfigItemsType | undefined, value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            // Whole numbers, and strings that parse as one (a YAML scalar reaches it as text).
            return (
                (typeof value === "number" && Number.isInteger(value)) ||
                (typeof value === "string" && /^[-+]?\d+$/.test(value))
            );
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "object":
            return value !== null && typeof value === "object" && !Array.isArray(value);
        case "array":
            return (
                Array.isArray(value) &&
                items !== undefined &&
                value.every(item => isOfConfigType(items.type, items.items, item))
            );
    }
}

/** The CLI's InferFullTypeName: `array<object>`. */
export function configTypeName(type: ConfigTypeName, items?: ConfigItemsType): string {
    return items ? `array<${configTypeName(items.type, items.items)}>` : type;
}

function isNamespacedByProject(project: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${project}:`);
}

/**
 * Checks Pulumi.yaml as the CLI does when it loads it: the project schema, then Project.Validate's
 * rules for config declarations. Throws with the CLI's wording.
 */
export function validateProject(raw: unknown, file = "Pulumi.yaml"): PulumiProject {
    // Compiled once: every plan, and every test's stack, checks the project.
    validateProjectSchema ??= new Ajv2020({ allErrors: true, strict: false }).compile(PROJECT_SCHEMA);
    const validate = validateProjectSchema;
    if (!validate(raw)) {
        const errors = (validate.errors ?? []).map(e => `${e.instancePath || "/"}: ${e.message}`);
        throw new PulumiProjectError(
            `${file} does not match the Pulumi project schema:\n  ${[...new Set(errors)].join("\n  ")}`,
        );
    }
    const project = raw as PulumiProject;
    const config: Record<string, ConfigDeclaration> = {};
    for (const [key, declaration] of Object.entries<unknown>(project.config ?? {})) {
        // Shorthand `key: value` is a declaration with that default.
        const d: ConfigDeclaration =
            declaration !== null && typeof declaration === "object" && !Array.isArray(declaration)
                ? declaration
                : { default: declaration };
        if (d.default !== undefined && d.value !== undefined) {
            throw new PulumiProjectError(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
        }
        if (isNamespacedByProject(project.name, key)) {
            if (d.type === "array" && d.items === undefined) {
                throw new PulumiProjectError(
                    `The configuration key '${key}' declares an array but does not specify the ` +
                        `underlying type via the 'items' attribute`,
                );
            }
            if (d.type !== undefined && d.default !== undefined && !isOfConfigType(d.type, d.items, d.default)) {
                throw new PulumiProjectError(
                    `The default value specified for configuration key '${key}' is not of the ` +
                        `expected type '${configTypeName(d.type, d.items)}'`,
                );
            }
        } else if (d.type !== undefined) {
            throw new PulumiProjectError(
                `Configuration key '${key}' is not namespaced by the project and should not define a type`,
            );
        } else if (d.default !== undefined) {
            throw new PulumiProjectError(
                `Configuration key '${key}' is not namespaced by the project and should not define ` +
                    `a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
            );
        } else if (d.value === undefined) {
            throw new PulumiProjectError(
                `Configuration key '${key}' is namespaced and must provide an attribute 'value'`,
            );
        }
        config[key] = d;
    }
    return { ...project, config };
}

/** A config key as the CLI parses it from a stack file: `<namespace>:<name>`. */
export function parseConfigKey(key: string): string {
    if (key.split(":").length === 2) return key;
    const m = /^([^:]+):config:([^:]+)$/.exec(key);
    if (m) return `${m[1]}:${m[2]}`;
    throw new PulumiProjectError(
        `could not unmarshal map: could not parse ${key} as a configuration key ` +
            "(configuration keys should be of the form `<namespace>:<name>`)",
    );
}

/** A YAML value as the CLI stores it: scalars as text, the rest as JSON (config/object.go MarshalString). */
export function configText(value: unknown): { text: string; object: boolean } {
    if (typeof value === "string") return { text: value, object: false };
    if (value === null || typeof value !== "object") return { text: JSON.stringify(value), object: false };
    return { text: JSON.stringify(value), object: true };
}

function formatMissingKeys(keys: string[]): string {
    if (keys.length === 1) return `'${keys[0]}'`;
    const sorted = [...keys].sort();
    return sorted
        .map((k, i) => (i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `))
        .join("");
}

/**
 * Merges a stack's config (fully qualified keys, values as YAML decoded them) with the project's
 * declarations as `pulumi up` does: a project key with neither `default` nor `value` that the stack
 * does not set is required; declared defaults and values fill the rest; every typed key is then
 * checked, in key order, and the first one of the wrong type stops it. Returns what the program is
 * handed: every value as text, objects and lists as JSON.
 */
export function mergeStackConfig(
    stack: string,
    project: PulumiProject,
    stackValues: Record<string, unknown>,
): Record<string, string> {
    const merged = new Map<string, { text: string; object: boolean }>();
    for (const [key, value] of Object.entries(stackValues)) merged.set(parseConfigKey(key), configText(value));

    const qualified = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
    const declared = Object.keys(project.config).sort();
    const missing: string[] = [];
    for (const key of declared) {
        const d = project.config[key];
        const full = qualified(key);
        if (merged.has(full)) continue;
        if (d.value === undefined && d.default === undefined) {
            if (full.startsWith(`${project.name}:`)) missing.push(key);
            continue;
        }
        merged.set(full, configText(d.default !== undefined ? d.default : d.value));
    }
    if (missing.length > 0) {
        throw new PulumiProjectError(
            `Stack '${stack}' is missing configuration ${missing.length > 1 ? "values" : "value"} ` +
                formatMissingKeys(missing),
        );
    }
    for (const key of declared) {
        const d = project.config[key];
        const value = merged.get(qualified(key));
        if (d.type === undefined || value === undefined) continue;
        const content = value.object ? JSON.parse(value.text) : value.text;
        if (!isOfConfigType(d.type, d.items, content)) {
            throw new PulumiProjectError(
                `Stack '${stack}' with configuration key '${key}' must be of type '${configTypeName(d.type, d.items)}'`,
            );
        }
    }
    return Object.fromEntries([...merged].map(([key, v]) => [key, v.text]));
}
