// Stack config (namespace `gpu-karpenter`) to component args. Pure: it takes the raw key/value
// map Pulumi hands the program, so the offline plan and the tests read config exactly as `pulumi up` does.
import { GpuKarpenterArgs, resolveArgs } from "./args";
import { GpuKarpenterConfigError, unknownSettingMessage } from "./checks";
import { kubernetesCompatibility } from "./compatibility";
import { closest } from "./edit-distance";

export const CONFIG_NAMESPACE = "gpu-karpenter";

/** How the program reads each key: Pulumi hands every value over as text, lists and objects as JSON. */
export type StackKeyType = "string" | "boolean" | "array" | "object";

/** Every stack config key, with the type Pulumi.yaml declares it with (or would, for undeclared keys). */
export const STACK_CONFIG_KEYS: Record<string, StackKeyType> = {
    clusterName: "string",
    createCluster: "boolean",
    kubernetesVersion: "string",
    vpcId: "string",
    karpenterVersion: "string",
    namespace: "string",
    identity: "string",
    podIdentityAgent: "string",
    nodeAccess: "string",
    discovery: "string",
    nodeRoleArn: "string",
    nodeRoleName: "string",
    controllerRoleName: "string",
    subnetIds: "array",
    securityGroupIds: "array",
    interruptionQueue: "boolean",
    interruptionQueueName: "string",
    controller: "object",
    devicePlugin: "object",
    tags: "object",
    gpuPools: "array",
    exampleWorkload: "boolean",
};

/** Keys the program reads itself for a cluster it creates, beside the component's args. */
const CREATED_CLUSTER_KEYS = ["kubernetesVersion", "vpcId"] as const;

// Namespaces a stack may set besides ours; only a near miss of ours is taken for a typo.
const OTHER_NAMESPACES = ["aws", "kubernetes", "eks", "pulumi"];

export interface StackConfig {
    args: GpuKarpenterArgs;
    /** Stack config is plain text: these are known before deployment, for a cluster the program creates. */
    clusterName: string;
    subnetIds?: string[];
    tags: Record<string, string>;
    createCluster: boolean;
    kubernetesVersion?: string;
    vpcId?: string;
}

/**
 * A value as the program receives it, read by its key's type. A string key is the text as written
 * (`karpenterVersion: 1.14` is "1.14"); booleans are "true"/"false"; lists and objects are JSON. What
 * does not read as its type is passed on as text, so validation names the key and the value.
 */
function parseValue(type: StackKeyType, raw: string): unknown {
    switch (type) {
        case "string":
            return raw;
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : raw;
        default:
            try {
                return JSON.parse(raw);
            } catch {
                return raw;
            }
    }
}

/**
 * Reads `gpu-karpenter:*` keys from the program's config map (as `pulumi.runtime.allConfig()`
 * returns it) and validates them all before anything is registered.
 */
export function readStackConfig(all: Record<string, string>): StackConfig {
    const values: Record<string, unknown> = {};
    const problems: string[] = [];
    // Keys a misspelt one was taken for (clustername: clusterName): named as the misspelling, not as missing.
    const meant = new Set<string>();
    const keys = Object.keys(STACK_CONFIG_KEYS);
    for (const [fullKey, raw] of Object.entries(all)) {
        const colon = fullKey.indexOf(":");
        const namespace = fullKey.slice(0, colon);
        const key = fullKey.slice(colon + 1);
        if (namespace !== CONFIG_NAMESPACE) {
            if (!OTHER_NAMESPACES.includes(namespace) && closest(namespace, [CONFIG_NAMESPACE], 3)) {
                problems.push(
                    `${fullKey}: unknown namespace "${namespace}" (did you mean "${CONFIG_NAMESPACE}:${key}"?)`,
                );
            }
            continue;
        }
        if (!(key in STACK_CONFIG_KEYS)) {
            const hint = closest(key, keys);
            if (hint) meant.add(hint);
            problems.push(`${fullKey}: ${unknownSettingMessage(hint, keys)}`);
            continue;
        }
        values[key] = parseValue(STACK_CONFIG_KEYS[key], raw);
    }
    // kubernetesVersion and vpcId are string keys: the text as written (parseValue) when set.
    const { createCluster = false, kubernetesVersion, vpcId, ...args } = values;
    if (typeof createCluster !== "boolean") {
        problems.push(
            `${CONFIG_NAMESPACE}:createCluster: ${JSON.stringify(createCluster)} is not a boolean; use true or false`,
        );
    }
    if (createCluster === true && args.subnetIds === undefined) {
        problems.push(
            `${CONFIG_NAMESPACE}:subnetIds: is required with createCluster: the subnets (in at least two ` +
                `availability zones) for the new cluster, its system nodes and GPU nodes`,
        );
    }
    if (kubernetesVersion !== undefined && !/^1\.\d+$/.test(kubernetesVersion as string)) {
        problems.push(
            `${CONFIG_NAMESPACE}:kubernetesVersion: ${JSON.stringify(kubernetesVersion)} is not allowed; use a version like "1.34"`,
        );
    }
    if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId as string)) {
        problems.push(
            `${CONFIG_NAMESPACE}:vpcId: ${JSON.stringify(vpcId)} is not a VPC id; use one like "vpc-0a1b2c3d4e5f60718"`,
        );
    }
    for (const key of CREATED_CLUSTER_KEYS) {
        if (values[key] !== undefined && createCluster !== true) {
            problems.push(
                `${CONFIG_NAMESPACE}:${key}: only applies with createCluster: true; unset it, or set createCluster`,
            );
        }
    }
    try {
        const { karpenterVersion } = resolveArgs(args as unknown as GpuKarpenterArgs, meant);
        // A created cluster's version is known now: refused here, before the cluster is registered, not after.
        if (createCluster === true && typeof kubernetesVersion === "string") {
            const { error } = kubernetesCompatibility(karpenterVersion, kubernetesVersion, "the created cluster");
            if (error) problems.push(`${CONFIG_NAMESPACE}:${error}`);
        }
    } catch (e) {
        if (!(e instanceof GpuKarpenterConfigError)) throw e;
        problems.push(
            ...e.message
                .split("\n")
                .slice(1)
                .map(line => `${CONFIG_NAMESPACE}:${line.trim()}`),
        );
    }
    if (problems.length > 0) {
        throw new GpuKarpenterConfigError(`invalid stack config:\n  ${problems.join("\n  ")}`);
    }
    return {
        args: args as unknown as GpuKarpenterArgs,
        clusterName: args.clusterName as string,
        subnetIds: args.subnetIds as string[] | undefined,
        tags: (args.tags ?? {}) as Record<string, string>,
        createCluster: createCluster as boolean,
        kubernetesVersion: kubernetesVersion as string | undefined,
        vpcId: vpcId as string | undefined,
    };
}
