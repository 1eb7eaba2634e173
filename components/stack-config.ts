// Stack config (namespace `gpu-karpenter`) to component args. Pure: it takes the raw key/value
// map Pulumi hands the program, so the offline plan and the tests read config exactly as `pulumi up` does.
import { GpuKarpenterArgs, GpuKarpenterConfigError, resolveArgs } from "./args";

export const CONFIG_NAMESPACE = "gpu-karpenter";

/** Keys the program reads itself, beside the component's args. */
const PROGRAM_KEYS = ["createCluster", "kubernetesVersion"] as const;
/** Component args that are not stack config: they come from code (a cluster created in the same program). */
const CODE_ONLY_ARGS = ["cluster"];
export const STACK_CONFIG_KEYS = [
    "clusterName", "karpenterVersion", "namespace", "identity", "nodeAccess", "nodeRoleArn", "nodeRoleName",
    "controllerRoleName", "subnetIds", "securityGroupIds", "interruptionQueue", "interruptionQueueName", "controller",
    "devicePlugin", "tags", "gpuPools", "exampleWorkload", ...PROGRAM_KEYS,
];

export interface StackConfig {
    args: GpuKarpenterArgs;
    createCluster: boolean;
    kubernetesVersion?: string;
}

/** Pulumi hands every config value over as a string; objects, lists, numbers and booleans as JSON. */
function parseValue(key: string, raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

/**
 * Reads `gpu-karpenter:*` keys from the program's config map (as `pulumi.runtime.allConfig()`
 * returns it) and validates them all before anything is registered.
 */
export function readStackConfig(all: Record<string, string>): StackConfig {
    const values: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [fullKey, raw] of Object.entries(all)) {
        const [namespace, key] = fullKey.split(":", 2);
        if (namespace !== CONFIG_NAMESPACE) continue;
        if (!STACK_CONFIG_KEYS.includes(key)) {
            problems.push(`${fullKey}: unknown setting; allowed: ${STACK_CONFIG_KEYS.join(", ")}`);
            continue;
        }
        values[key] = key === "clusterName" || key === "kubernetesVersion" ? raw : parseValue(key, raw);
    }
    const { createCluster = false, kubernetesVersion, ...args } = values;
    if (typeof createCluster !== "boolean") {
        problems.push(`${CONFIG_NAMESPACE}:createCluster: ${JSON.stringify(createCluster)} is not a boolean; use true or false`);
    }
    if (createCluster === true && args.subnetIds === undefined) {
        problems.push(`${CONFIG_NAMESPACE}:subnetIds: is required with createCluster: the subnets (in at least two ` +
            `availability zones) for the new cluster, its system nodes and GPU nodes`);
    }
    if (kubernetesVersion !== undefined && (typeof kubernetesVersion !== "string" || !/^1\.\d+$/.test(kubernetesVersion))) {
        problems.push(`${CONFIG_NAMESPACE}:kubernetesVersion: ${JSON.stringify(kubernetesVersion)} is not allowed; use a version like "1.34"`);
    }
    try {
        resolveArgs(args as unknown as GpuKarpenterArgs);
    } catch (e) {
        if (!(e instanceof GpuKarpenterConfigError)) throw e;
        problems.push(...e.message.split("\n").slice(1).map(line => `${CONFIG_NAMESPACE}:${line.trim()}`));
    }
    if (problems.length > 0) {
        throw new GpuKarpenterConfigError(`invalid stack config:\n  ${problems.join("\n  ")}`);
    }
    for (const key of CODE_ONLY_ARGS) delete (args as Record<string, unknown>)[key];
    return {
        args: args as unknown as GpuKarpenterArgs,
        createCluster: createCluster as boolean,
        kubernetesVersion: kubernetesVersion as string | undefined,
    };
}
