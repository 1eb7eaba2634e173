// A `--policy-pack-config` file, checked and completed the way the engine does before it calls the
// pack's Configure (pulumi/pulumi pkg/resource/analyzer/config.go: parsePolicyPackConfig takes each
// entry's enforcementLevel out, ReconcilePolicyPackConfig fills in each policy's level and schema
// defaults, applies `all` and then the file, and validatePolicyPackConfig checks each policy's knobs
// against its configSchema as JSON Schema). What the engine silently ignores, a policy or knob name
// that does not exist, `all` with settings, is reported here too, and so is an `environments` list
// (ESC environments, which only Pulumi Cloud can open). check-manifests and the
// offline plan use it; the pack itself does not (the engine has done this by the time it runs), so
// ajv stays out of the pack's bundle.
import { readFileSync } from "fs";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { PolicyConfigSchema, PolicyPackConfig } from "@pulumi/policy";
import { knobProblem, policies as packPolicies } from "./rules";
import { isObject, valueAt } from "./values";

/** pulumi/pulumi sdk/go/common/apitype/policy.go, EnforcementLevel.IsValid. */
export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

/** A policy as GetAnalyzerInfo describes it: what the engine reconciles the config against. */
export interface PolicyInfo {
    name: string;
    /** Unset: the pack's level, which @pulumi/policy defaults to advisory. */
    enforcementLevel?: string;
    configSchema?: PolicyConfigSchema;
}

export interface CheckedPolicyConfig {
    /**
     * Every policy's enforcement level and knobs, defaults included, in the --policy-pack-config
     * format: what the engine hands the pack through Configure, and what evaluateResources takes.
     */
    config: PolicyPackConfig;
    /** One line per problem, each naming the policy and the setting; empty when the engine would accept the file and nothing is ignored. */
    problems: string[];
}

const isLevel = (value: unknown): value is EnforcementLevel =>
    typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
const LEVELS_TEXT = ENFORCEMENT_LEVELS.join(", ");

interface Entry {
    level?: EnforcementLevel;
    knobs: Record<string, unknown>;
}

/** parsePolicyPackConfig: each entry an enforcement level or an object with an optional enforcementLevel. */
function parseEntries(raw: Record<string, unknown>, problems: string[]): Map<string, Entry> {
    const entries = new Map<string, Entry>();
    for (const [name, value] of Object.entries(raw)) {
        if (typeof value === "string") {
            if (isLevel(value)) {
                entries.set(name, { level: value, knobs: {} });
            } else {
                problems.push(
                    `${name}: ${JSON.stringify(value)} is not an enforcement level; use one of ${LEVELS_TEXT}`,
                );
            }
        } else if (isObject(value)) {
            const { enforcementLevel, ...knobs } = value;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                problems.push(
                    `${name}: enforcementLevel ${JSON.stringify(enforcementLevel)} is not allowed; use one of ${LEVELS_TEXT}`,
                );
                continue;
            }
            entries.set(name, { level: enforcementLevel, knobs });
        } else {
            problems.push(
                `${name}: ${JSON.stringify(value)} is not allowed; use an enforcement level (${LEVELS_TEXT}) or an object of settings`,
            );
        }
    }
    return entries;
}

let ajv: import("ajv").default | undefined;
const validators = new WeakMap<object, ValidateFunction>();

/** validatePolicyConfig: the engine validates `{type: object, properties, required}` built from the policy's schema. */
function validatorFor(schema: PolicyConfigSchema): ValidateFunction {
    let validate = validators.get(schema);
    if (!validate) {
        if (!ajv) {
            const AjvClass = (require("ajv") as typeof import("ajv")).default;
            ajv = new AjvClass({ allErrors: true, strict: false });
        }
        validate = ajv.compile({
            type: "object",
            ...(schema.properties && Object.keys(schema.properties).length > 0
                ? { properties: schema.properties }
                : {}),
            ...(schema.required && schema.required.length > 0 ? { required: schema.required } : {}),
        });
        validators.set(schema, validate);
    }
    return validate;
}

/** `/allowedPolicies/1` -> `allowedPolicies[1]`. */
function settingPath(instancePath: string): string {
    return instancePath
        .split("/")
        .slice(1)
        .map((part, i) => (/^[0-9]+$/.test(part) ? `[${part}]` : `${i > 0 ? "." : ""}${part}`))
        .join("");
}

function describeError(e: ErrorObject, knobs: Record<string, unknown>, schema: PolicyConfigSchema): string {
    // ajv's instancePath runs through objects and arrays only, where valueAt is a plain walk;
    // its ~0/~1 escapes are not decoded.
    const segments = e.instancePath.split("/").slice(1);
    const value = valueAt(knobs, ...segments);
    const got = `, got ${JSON.stringify(value)}`;
    const knob = segments[0];
    const description = knob ? schema.properties?.[knob]?.description : undefined;
    let message: string;
    switch (e.keyword) {
        case "enum":
            message = `must be one of ${(e.params.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(", ")}${got}`;
            break;
        case "uniqueItems":
            message = `lists ${JSON.stringify((value as unknown[])[e.params.i as number])} more than once${got}`;
            break;
        case "minItems":
            message = `must list at least ${e.params.limit} value${e.params.limit === 1 ? "" : "s"}${got}`;
            break;
        case "type":
            message = `must be ${/^[aeiou]/.test(String(e.params.type)) ? "an" : "a"} ${e.params.type}${got}`;
            break;
        case "required":
            return `${e.params.missingProperty}: is required`;
        default:
            message = `${e.message}${got}`;
    }
    return `${settingPath(e.instancePath) || "(settings)"}: ${message}${description ? ` (${description})` : ""}`;
}

/**
 * Checks `raw` (a parsed --policy-pack-config file) as the engine would for a pack with `policies`
 * (by default this pack's), and returns the config the engine would configure the pack with.
 */
export function validatePolicyPackConfig(
    raw: unknown,
    policies: readonly PolicyInfo[] = packPolicies,
): CheckedPolicyConfig {
    const problems: string[] = [];
    const policyNames = policies.map(p => p.name);
    if (!isObject(raw)) {
        return { config: {}, problems: ["a policy pack config is a JSON object keyed by policy name"] };
    }
    const { environments, ...rest } = raw;
    if (environments !== undefined) {
        // parsePolicyPackConfig takes it out; the engine opens the ESC environments it names.
        problems.push(
            "environments: ESC environments are resolved by Pulumi Cloud, which this check has no access to; " +
                "write the values into the file instead",
        );
    }
    const entries = parseEntries(rest, problems);
    for (const [name, entry] of entries) {
        if (name === "all") {
            if (Object.keys(entry.knobs).length > 0) {
                problems.push(
                    `all: takes only an enforcementLevel; settings ${Object.keys(entry.knobs).join(", ")} are ignored by the engine`,
                );
            }
        } else if (!policyNames.includes(name)) {
            problems.push(
                `${name}: no such policy in this pack, and the engine would silently ignore it (policies: ${policyNames.join(", ")})`,
            );
        }
    }

    // ReconcilePolicyPackConfig: defaults, then `all`'s level, then each policy's own entry.
    const all = entries.get("all")?.level;
    const config: PolicyPackConfig = {};
    for (const policy of policies) {
        const defaults = Object.fromEntries(
            Object.entries(policy.configSchema?.properties ?? {})
                .filter(([, property]) => property.default !== undefined)
                .map(([knob, property]) => [knob, property.default]),
        );
        const entry = entries.get(policy.name);
        const knobs = { ...defaults, ...entry?.knobs };
        const enforcementLevel = entry?.level ?? all ?? policy.enforcementLevel ?? "advisory";
        config[policy.name] = { enforcementLevel: enforcementLevel as EnforcementLevel, ...knobs };

        const schema = policy.configSchema;
        const known = Object.keys(schema?.properties ?? {});
        const unknown = Object.keys(entry?.knobs ?? {}).filter(k => !known.includes(k));
        if (unknown.length > 0) {
            problems.push(
                `${policy.name}: ${unknown.join(", ")}: no such setting, and the engine would silently ignore it (settings: ${known.join(", ") || "none"})`,
            );
        }
        if (schema) {
            const validate = validatorFor(schema);
            if (!validate(knobs)) {
                problems.push(
                    ...(validate.errors ?? []).map(e => `${policy.name}: ${describeError(e, knobs, schema)}`),
                );
                continue;
            }
        }
        // The schema passed: the rule's own reading of the knobs should too (a disagreement is a bug worth seeing).
        const problem = knobProblem(policy.name, knobs);
        if (problem) {
            problems.push(problem);
        }
    }
    return { config, problems };
}

/** Why a --policy-pack-config file was refused; the message starts with the file's name. */
export class PolicyPackConfigFileError extends Error {}

/**
 * Reads, parses and checks a --policy-pack-config file as the engine does; throws a
 * PolicyPackConfigFileError naming every problem. Returns the config with its defaults filled in.
 */
export function readPolicyPackConfigFile(file: string): PolicyPackConfig {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        throw new PolicyPackConfigFileError(`${file}: cannot read: ${(e as Error).message}`);
    }
    // The engine takes an empty file as no config.
    if (text.trim() === "") return {};
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new PolicyPackConfigFileError(`${file}: invalid JSON: ${(e as Error).message}`);
    }
    const { config, problems } = validatePolicyPackConfig(raw);
    if (problems.length > 0) {
        throw new PolicyPackConfigFileError(`${file}: invalid policy pack config:\n  ${problems.join("\n  ")}`);
    }
    return config;
}
