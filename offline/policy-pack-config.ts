// `npm run plan -- --policy-pack-config FILE`: the file `pulumi preview --policy-pack-config` takes,
// read and checked as the engine does before it runs a policy, and more strictly, by the pack's
// one check (policies/policy-config.ts, after pulumi/pulumi pkg/resource/analyzer/config.go).
import { readFileSync } from "fs";
import { validatePolicyPackConfig } from "../policies/policy-config";
import type { PolicyPackConfig } from "../policies/rules";

export class PolicyPackConfigError extends Error {}

/** Every way `config` is not one the engine would run this pack with, or would partly ignore; [] when it is. */
export function policyPackConfigProblems(config: unknown): string[] {
    return validatePolicyPackConfig(config).problems;
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
    const checked = validatePolicyPackConfig(config);
    if (checked.problems.length > 0) {
        throw new PolicyPackConfigError(
            `--policy-pack-config ${file}: invalid policy pack config:\n  ${checked.problems.join("\n  ")}`,
        );
    }
    // With the defaults filled in, as the engine configures the pack.
    return checked.config;
}
