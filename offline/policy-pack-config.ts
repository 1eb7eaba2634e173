// `npm run plan -- --policy-pack-config FILE`: the file `pulumi preview --policy-pack-config` takes,
// read and checked as the engine does before it runs a policy (pulumi/pulumi
// pkg/resource/analyzer/config.go: parsePolicyPackConfig, then ReconcilePolicyPackConfig, which
// fills in each policy's schema defaults and validates its properties against
// `{type: object, properties, required}` of its configSchema), and more strictly: an unknown policy
// name and a knob value a policy cannot use are errors too.
import { readFileSync } from "fs";
import type { default as Ajv } from "ajv";
import { type PolicyPackConfig, configProblems, policies } from "../policies/rules";

export class PolicyPackConfigError extends Error {}

// apitype.EnforcementLevel's values.
const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Every way `config` is not one the engine would run this pack with; [] when it is. */
export function policyPackConfigProblems(config: unknown): string[] {
    if (!isObject(config)) return ["a policy pack config is a JSON object keyed by policy name"];
    const problems: string[] = [];
    const entries = Object.entries(config);
    for (const [name, entry] of entries) {
        if (name === "environments") {
            problems.push(`environments: ESC environments are resolved by Pulumi Cloud, which the offline plan has no access to; ` +
                `write the values into the file instead`);
        } else if (typeof entry === "string") {
            if (!ENFORCEMENT_LEVELS.includes(entry)) {
                problems.push(`${name}: ${JSON.stringify(entry)} is not a valid enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
            }
        } else if (isObject(entry)) {
            const level = entry.enforcementLevel;
            if (level !== undefined && !(typeof level === "string" && ENFORCEMENT_LEVELS.includes(level))) {
                problems.push(`${name}: enforcementLevel ${JSON.stringify(level)} is not a valid enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
            }
        } else {
            problems.push(`${name}: ${JSON.stringify(entry)} is not a valid value; use an enforcement level or an object`);
        }
    }
    if (problems.length > 0) return problems;
    const known = config as PolicyPackConfig;
    const own = configProblems(known);
    // Where the pack's own knob checks spoke, they say it more plainly than the schema would.
    const spoken = new Set(own.map(p => p.slice(0, p.indexOf(":"))));
    return [...own, ...schemaProblems(known).filter(p => !spoken.has(p.slice(0, p.indexOf(":"))))];
}

let ajv: Ajv | undefined;

/** Each policy's properties, its schema defaults filled in, against its configSchema, as the engine validates them. */
function schemaProblems(config: PolicyPackConfig): string[] {
    if (!ajv) {
        const AjvClass = (require("ajv") as typeof import("ajv")).default;
        ajv = new AjvClass({ allErrors: true, strict: false });
    }
    const problems: string[] = [];
    for (const policy of policies) {
        if (!policy.configSchema) continue;
        const entry = config[policy.name];
        const given = isObject(entry) ? { ...entry } : {};
        delete given.enforcementLevel;
        const defaults = Object.fromEntries(Object.entries(policy.configSchema.properties)
            .filter(([, schema]) => "default" in schema).map(([key, schema]) => [key, schema.default]));
        const validate = ajv.compile({
            type: "object",
            properties: policy.configSchema.properties,
            ...(policy.configSchema.required?.length ? { required: policy.configSchema.required } : {}),
        });
        if (!validate({ ...defaults, ...given })) {
            for (const e of validate.errors ?? []) {
                const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "";
                problems.push(`${policy.name}: ${where ? `${where} ` : ""}${e.message}` +
                    (e.keyword === "enum" ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map(v => JSON.stringify(v)).join(", ")})` : ""));
            }
        }
    }
    return problems;
}

/** Reads and checks the file; throws a PolicyPackConfigError naming every problem. */
export function loadPolicyPackConfig(file: string): PolicyPackConfig {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        throw new PolicyPackConfigError(`--policy-pack-config ${file}: cannot read: ${(e as Error).message}`);
    }
    // The engine takes an empty file as no config.
    if (text.trim() === "") return {};
    let config: unknown;
    try {
        config = JSON.parse(text);
    } catch (e) {
        throw new PolicyPackConfigError(`--policy-pack-config ${file}: invalid JSON: ${(e as Error).message}`);
    }
    const problems = policyPackConfigProblems(config);
    if (problems.length > 0) {
        throw new PolicyPackConfigError(`--policy-pack-config ${file}: invalid policy pack config:\n  ${problems.join("\n  ")}`);
    }
    return config as PolicyPackConfig;
}
