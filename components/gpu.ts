// What we know about EC2 GPU instances, shared by the component (config validation, NodePool
// requirements) and the policy pack (deciding whether a NodePool can launch a GPU node).
// Dependency-free on purpose: the policy pack's build bundles it into the pack.

// EKS Auto Mode runs Karpenter itself, with the same karpenter.sh/v1 NodePools, but spells
// Karpenter's instance labels in its own domain (eks.amazonaws.com/instance-family, -gpu-count, ...:
// awsdocs/amazon-eks-user-guide latest/ug/automode/create-node-pool.adoc, "EKS Auto Mode Supported
// Labels"). Both spellings mean the same to the pack.
export const KARPENTER_INSTANCE_LABEL_PREFIX = "karpenter.k8s.aws/instance-";
export const EKS_AUTO_INSTANCE_LABEL_PREFIX = "eks.amazonaws.com/instance-";

/** A label key in Karpenter's spelling: `eks.amazonaws.com/instance-family` -> `karpenter.k8s.aws/instance-family`. */
export function canonicalInstanceLabel(key: string): string {
    return key.startsWith(EKS_AUTO_INSTANCE_LABEL_PREFIX)
        ? KARPENTER_INSTANCE_LABEL_PREFIX + key.slice(EKS_AUTO_INSTANCE_LABEL_PREFIX.length)
        : key;
}

/** Karpenter's well-known labels that describe an instance's GPUs. */
export const GPU_LABELS = [
    "karpenter.k8s.aws/instance-gpu-count",
    "karpenter.k8s.aws/instance-gpu-name",
    "karpenter.k8s.aws/instance-gpu-manufacturer",
    "karpenter.k8s.aws/instance-gpu-memory",
] as const;

export const INSTANCE_FAMILY_LABEL = "karpenter.k8s.aws/instance-family";
export const INSTANCE_CATEGORY_LABEL = "karpenter.k8s.aws/instance-category";
export const INSTANCE_SIZE_LABEL = "karpenter.k8s.aws/instance-size";

export const INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type";
export const INSTANCE_TYPE_LABEL_BETA = "beta.kubernetes.io/instance-type";

/** The requirement that says which instances a pool admits: its exact types if it names any, else its families. */
export function instanceRequirement(pool: { instanceTypes?: string[]; instanceFamilies?: string[] }) {
    return pool.instanceTypes
        ? { key: INSTANCE_TYPE_LABEL, operator: "In" as const, values: pool.instanceTypes }
        : { key: INSTANCE_FAMILY_LABEL, operator: "In" as const, values: pool.instanceFamilies ?? [] };
}
export const GPU_MANUFACTURER_LABEL = "karpenter.k8s.aws/instance-gpu-manufacturer";
export const CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type";
export const NVIDIA_GPU_RESOURCE = "nvidia.com/gpu";
export const ARCH_LABEL = "kubernetes.io/arch";

/** Karpenter's label naming the NodePool a node belongs to. */
export const NODEPOOL_LABEL = "karpenter.sh/nodepool";

// Each choice is an `as const` object declared before a type of the same name: the form Pulumi's
// component analyzer turns into a schema enum (a union of literals it would refuse).

/** Values of the karpenter.sh/capacity-type label; a NodePool without the requirement gets on-demand. */
export const CapacityType = {
    /** Spare EC2 capacity at a discount, reclaimed with two minutes' notice. */
    Spot: "spot",
    /** On-Demand instances, billed by the second. */
    OnDemand: "on-demand",
    /** On-Demand Capacity Reservations and Capacity Blocks. */
    Reserved: "reserved",
} as const;
export type CapacityType = (typeof CapacityType)[keyof typeof CapacityType];
export const CAPACITY_TYPES: readonly CapacityType[] = Object.values(CapacityType);

/** NodePool `spec.disruption.consolidationPolicy` values; Balanced since Karpenter 1.14. */
export const ConsolidationPolicy = {
    /** Removes a node only once its last pod (daemons aside) is gone. */
    WhenEmpty: "WhenEmpty",
    /** Also moves pods off nodes they could pack tighter, which restarts them: for inference, not training. */
    WhenEmptyOrUnderutilized: "WhenEmptyOrUnderutilized",
    /** Also moves pods off nodes they underuse, as Karpenter balances it (Karpenter 1.14 or later); restarts pods. */
    Balanced: "Balanced",
} as const;
export type ConsolidationPolicy = (typeof ConsolidationPolicy)[keyof typeof ConsolidationPolicy];
export const CONSOLIDATION_POLICIES: readonly ConsolidationPolicy[] = Object.values(ConsolidationPolicy);

/** Instance categories (Karpenter's `instance-category` label) whose every family carries GPUs. */
export const GPU_INSTANCE_CATEGORIES = ["g", "gr", "p"] as const;

// Every EC2 family in categories g, gr and p has GPUs: g4dn, g5, g5g, g6, g6e, g6f, gr6, gr6f,
// g7e, p4d, p5, p5e, p5en, p6-b200, p6-b300, p6e-gb200, ... A pattern keeps new generations
// recognised without a release of this project.
const GPU_FAMILY = /^(g|gr|p)[0-9]+[a-z0-9-]*$/;

/** GPU families whose GPUs are not NVIDIA's (AMD Radeon Pro V520). */
export const NON_NVIDIA_GPU_FAMILIES = ["g4ad"] as const;

/** NVIDIA families too old for the drivers in current EKS-optimized AL2023 and Bottlerocket AMIs (K80, M60). */
export const LEGACY_GPU_FAMILIES = ["p2", "g3", "g3s"] as const;

/** `g5.xlarge` -> `g5`, `p6-b200.48xlarge` -> `p6-b200`. */
export function instanceFamilyOf(instanceType: string): string {
    const dot = instanceType.indexOf(".");
    return (dot < 0 ? instanceType : instanceType.slice(0, dot)).toLowerCase();
}

/** Karpenter's category: the letters before the generation, `g4dn` -> `g`, `gr6` -> `gr`. */
export function instanceCategoryOf(family: string): string {
    const m = /^[a-z]+/.exec(family.toLowerCase());
    return m ? m[0] : "";
}

/** Karpenter's generation: the number after the category letters, `p6-b200` -> `6`. */
export function instanceGenerationOf(family: string): string | undefined {
    return /^[a-z]+([0-9]+)/.exec(family)?.[1];
}

/** The instance labels Karpenter derives from the family name; refresh-instance-types checks them against its data. */
export function familyLabels(family: string): { family: string; category: string; generation: string | undefined } {
    return { family, category: instanceCategoryOf(family), generation: instanceGenerationOf(family) };
}

export function isGpuInstanceFamily(family: string): boolean {
    return GPU_FAMILY.test(family.toLowerCase());
}

export function isGpuInstanceType(instanceType: string): boolean {
    return instanceType.includes(".") && isGpuInstanceFamily(instanceFamilyOf(instanceType));
}

export function isGpuInstanceCategory(category: string): boolean {
    return (GPU_INSTANCE_CATEGORIES as readonly string[]).includes(category.toLowerCase());
}

/**
 * Why a family cannot back an NVIDIA GPU pool, or undefined when it can. Used to validate the
 * families and types a user configures.
 */
export function nvidiaFamilyProblem(family: string): string | undefined {
    const f = family.toLowerCase();
    if (!isGpuInstanceFamily(f)) {
        return `"${family}" is not a GPU instance family (GPU families are g*, gr* and p*, e.g. g5, g6e, p5)`;
    }
    if ((NON_NVIDIA_GPU_FAMILIES as readonly string[]).includes(f)) {
        return `"${family}" has AMD GPUs; NVIDIA pools need an NVIDIA family such as g5, g6, g6e or p5`;
    }
    if ((LEGACY_GPU_FAMILIES as readonly string[]).includes(f)) {
        return `"${family}" GPUs are not supported by the NVIDIA drivers in current EKS AMIs; use g4dn or newer`;
    }
    return undefined;
}
