// What the policy tests hand the policies: NodePools as the engine passes their inputs. Plain data
// and the policy sources only; no Pulumi SDK.
import type { EngineResource } from "../policies/rules";

// Label keys as a user writes them in a NodePool, not the pack's constants: a misspelt constant
// must fail here. Self-managed Karpenter's, then EKS Auto Mode's
// (awsdocs/amazon-eks-user-guide latest/ug/automode/create-node-pool.adoc).
export const CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type";
export const INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type";
export const GPU_COUNT = "karpenter.k8s.aws/instance-gpu-count";
export const INSTANCE_CATEGORY_LABEL = "karpenter.k8s.aws/instance-category";
export const INSTANCE_FAMILY_LABEL = "karpenter.k8s.aws/instance-family";
export const INSTANCE_SIZE_LABEL = "karpenter.k8s.aws/instance-size";
export const AUTO = {
    gpuCount: "eks.amazonaws.com/instance-gpu-count",
    gpuName: "eks.amazonaws.com/instance-gpu-name",
    gpuManufacturer: "eks.amazonaws.com/instance-gpu-manufacturer",
    gpuMemory: "eks.amazonaws.com/instance-gpu-memory",
    category: "eks.amazonaws.com/instance-category",
    family: "eks.amazonaws.com/instance-family",
    size: "eks.amazonaws.com/instance-size",
};

export type Requirement = { key: string; operator: string; values?: unknown[] };
export const req = (key: string, operator: string, ...values: unknown[]): Requirement =>
    operator === "Exists" || operator === "DoesNotExist" ? { key, operator } : { key, operator, values };

export const SPOT = req(CAPACITY_TYPE_LABEL, "In", "spot");
export const G5_G6 = req(INSTANCE_FAMILY_LABEL, "In", "g5", "g6");
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" };

export interface PoolSpec {
    nodeClassRef?: unknown;
    requirements?: unknown;
    taints?: unknown;
    limits?: unknown;
    disruption?: unknown;
}

/** A spot GPU pool that passes every policy, with `spec` replacing parts (undefined removes one). */
export function nodePool(name: string, spec: PoolSpec = {}, apiVersion = "karpenter.sh/v1"): EngineResource {
    const s: PoolSpec = {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "gpu" },
        requirements: [SPOT, G5_G6],
        taints: [GPU_TAINT],
        limits: { "nvidia.com/gpu": 8 },
        disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "5m" },
        ...spec,
    };
    return {
        type: `kubernetes:${apiVersion}:NodePool`,
        name: `${name}-nodepool`,
        props: {
            apiVersion,
            kind: "NodePool",
            metadata: { name },
            spec: {
                template: {
                    spec: {
                        nodeClassRef: s.nodeClassRef,
                        ...(s.requirements === undefined ? {} : { requirements: s.requirements }),
                        ...(s.taints === undefined ? {} : { taints: s.taints }),
                        terminationGracePeriod: "1h",
                    },
                },
                ...(s.limits === undefined ? {} : { limits: s.limits }),
                ...(s.disruption === undefined ? {} : { disruption: s.disruption }),
            },
        },
    };
}

/** An EKS Auto Mode pool: Auto Mode's own NodeClass and labels. */
export const AUTO_MODE_CLASS = { group: "eks.amazonaws.com", kind: "NodeClass", name: "default" };
export const autoModePool = (name: string, spec: PoolSpec) =>
    nodePool(name, { nodeClassRef: AUTO_MODE_CLASS, ...spec });
