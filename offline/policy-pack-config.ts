// `npm run plan -- --policy-pack-config FILE`: the file `pulumi preview --policy-pack-config` takes,
// read and checked as the engine does before it runs a policy, and more strictly, by the pack's
// one check (policies/policy-config.ts, after pulumi/pulumi pkg/resource/analyzer/config.go).
import { PolicyPackConfigFileError, readPolicyPackConfigFile } from "../policies/policy-config";
import type { PolicyPackConfig } from "../policies/rules";

export class PolicyPackConfigError extends Error {}

/** Reads and checks the file; throws a PolicyPackConfigError naming every problem. */
export function loadPolicyPackConfig(file: string): PolicyPackConfig {
    try {
        return readPolicyPackConfigFile(file);
    } catch (e) {
        throw e instanceof PolicyPackConfigFileError
            ? new PolicyPackConfigError(`--policy-pack-config ${e.message}`)
            : e;
    }
}
