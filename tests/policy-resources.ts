// What the policy tests hand the policies: NodePools as the engine passes their inputs, and the
// policies called as the engine calls them. Plain data, the policy sources and the policy SDK's
// proxy; no Pulumi SDK.
import type {
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { type EngineResource, policies } from "../policies/rules";

// The SDK's own unknown-value proxy and sentinel (internal, so untyped): the policies get exactly
// what the engine hands them during a preview.
export const { unknownCheckingProxy, unknownStringValue } = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy: <T extends object>(props: T) => T;
    unknownStringValue: string;
};

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

export const byName = (name: string) => policies.find(p => p.name === name)!;

/** A resource's URN as the engine would name it in stack dev of project p. */
const engineUrn = (r: EngineResource) => `urn:pulumi:dev::p::${r.type}::${r.name}`;

/** Calls a resource policy the way the engine does: props behind the unknown-checking proxy. */
export function engineReports(policy: string, resource: EngineResource, config: object = {}): string[] {
    const reports: string[] = [];
    const args = {
        type: resource.type,
        name: resource.name,
        urn: engineUrn(resource),
        props: unknownCheckingProxy(resource.props as Record<string, unknown>),
        getConfig: () => config,
    } as unknown as ResourceValidationArgs;
    const validate = (byName(policy) as ResourceValidationPolicy).validateResource as (
        a: ResourceValidationArgs,
        r: (m: string) => void,
    ) => void;
    validate(args, m => reports.push(m));
    return reports;
}

/** Calls a stack policy the way the engine does: each resource's props behind the proxy, with its URN. */
export async function stackReports(
    policy: string,
    resources: EngineResource[],
    config: object = {},
    urnOf: (r: EngineResource) => string = engineUrn,
): Promise<{ message: string; urn?: string }[]> {
    const reports: { message: string; urn?: string }[] = [];
    await (byName(policy) as StackValidationPolicy).validateStack(
        {
            resources: resources.map(r => ({
                type: r.type,
                name: r.name,
                urn: urnOf(r),
                props: unknownCheckingProxy(r.props as Record<string, unknown>),
            })),
            getConfig: () => config,
        } as unknown as StackValidationArgs,
        (message, urn) => reports.push({ message, urn }),
    );
    return reports;
}
