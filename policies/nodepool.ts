// What a Karpenter v1 NodePool's requirements allow: GPU instances, capacity types, instance types.
// Requirements are ANDed, so one requirement that rules something out rules it out for the pool.
import {
    CAPACITY_TYPE_LABEL,
    CAPACITY_TYPES,
    GPU_INSTANCE_CATEGORIES,
    GPU_LABELS,
    INSTANCE_CATEGORY_LABEL,
    INSTANCE_FAMILY_LABEL,
    INSTANCE_SIZE_LABEL,
    INSTANCE_TYPE_LABEL,
    INSTANCE_TYPE_LABEL_BETA,
    NVIDIA_GPU_RESOURCE,
    canonicalInstanceLabel,
    isGpuInstanceCategory,
    isGpuInstanceFamily,
    isGpuInstanceType,
} from "../components/gpu";
import { GPU_KARPENTER_TYPE } from "../components/naming";
import type { EngineResource } from "./karpenter";
import { UNKNOWN, displayName, isUnknown, knownString, listAt, valueAt } from "./values";

export const NODEPOOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool";
export const EC2NODECLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";

/** The nodeClassRef group of EKS Auto Mode's NodeClass; self-managed Karpenter's EC2NodeClass is karpenter.k8s.aws. */
const AUTO_MODE_NODECLASS_GROUP = "eks.amazonaws.com";

/**
 * Where a NodePool that GpuKarpenter made is set, for a violation's fix: the pool's `setting` in
 * gpuPools, or `knob` of `policy` in the policy pack config. "" for any other NodePool (its URN's
 * type chain does not run through the component).
 */
export function componentFix(pool: EngineResource, setting: string, policy: string, knob: string): string {
    if (!pool.urn?.includes(`${GPU_KARPENTER_TYPE}$${NODEPOOL_TYPE}::`)) return "";
    return (
        ` GpuKarpenter made this pool: set ${setting} in its gpuPools entry (gpu-karpenter:gpuPools in the ` +
        `stack config), or ${knob} of ${policy} in the policy pack config.`
    );
}

/** How messages name a GPU pool: `GPU NodePool "gpu"`. */
export function poolLabel(pool: EngineResource): string {
    return `GPU NodePool "${displayName(pool)}"`;
}

const nodeClassGroup = (props: unknown) => valueAt(props, "spec", "template", "spec", "nodeClassRef", "group");

/** Does EKS Auto Mode run this pool? */
export function isAutoModePool(props: unknown): boolean {
    return nodeClassGroup(props) === AUTO_MODE_NODECLASS_GROUP;
}

/** Does EKS Auto Mode run this pool, or might it, the reference not being known yet? */
export function mayBeAutoModePool(props: unknown): boolean {
    return isAutoModePool(props) || isUnknown(nodeClassGroup(props));
}

const INSTANCE_TYPE_LABELS: readonly string[] = [INSTANCE_TYPE_LABEL, INSTANCE_TYPE_LABEL_BETA];

/** Labels every instance has, with the test for a value that names GPU instances. */
const INSTANCE_LABEL_GPU_TEST: Record<string, (value: string) => boolean> = {
    ...Object.fromEntries(INSTANCE_TYPE_LABELS.map(label => [label, isGpuInstanceType])),
    [INSTANCE_FAMILY_LABEL]: isGpuInstanceFamily,
    [INSTANCE_CATEGORY_LABEL]: isGpuInstanceCategory,
};

/** Only GPU instances carry the GPU labels, and their counts and memory are positive. */
function gpuLabelValueAdmitsGpus(value: string): boolean {
    const n = Number(value);
    return value !== "" && !(Number.isFinite(n) && n <= 0);
}

export interface Requirement {
    /** In Karpenter's spelling, not always the pool's; UNKNOWN when not known yet, and operator and values then too. */
    key: string;
    operator: unknown;
    /** UNKNOWN when the list is not known; single values inside it may also be UNKNOWN. */
    values: unknown[] | typeof UNKNOWN;
}

/**
 * The pool's requirements, UNKNOWN when the list is not known yet. EKS Auto Mode's instance labels
 * (eks.amazonaws.com/...) mean the same as self-managed Karpenter's, so keys come in Karpenter's
 * spelling and a pool reads the same whichever it uses.
 */
export function requirementsOf(props: unknown): Requirement[] | typeof UNKNOWN {
    const list = listAt(props, "spec", "template", "spec", "requirements");
    if (list === UNKNOWN) {
        return UNKNOWN;
    }
    return list.flatMap(r => {
        const key = valueAt(r, "key");
        if (isUnknown(key)) {
            return [{ key: UNKNOWN, operator: UNKNOWN, values: UNKNOWN }];
        }
        return typeof key === "string"
            ? [{ key: canonicalInstanceLabel(key), operator: valueAt(r, "operator"), values: listAt(r, "values") }]
            : [];
    });
}

interface GpuVerdict {
    /** undefined: cannot tell yet. */
    excludesGpus: boolean | undefined;
    /** It names GPU instances (a GPU type, family or category, a GPU label): evidence of a GPU pool. */
    showsGpus: boolean;
}

const NEUTRAL: GpuVerdict = { excludesGpus: false, showsGpus: false };
const UNSURE: GpuVerdict = { excludesGpus: undefined, showsGpus: false };
const EXCLUDES: GpuVerdict = { excludesGpus: true, showsGpus: false };
const SHOWS: GpuVerdict = { excludesGpus: false, showsGpus: true };

/** For In: does some listed value admit GPUs, none, or can that not be told yet. */
function inVerdict(values: unknown[] | typeof UNKNOWN, admitsGpus: (value: string) => boolean): GpuVerdict {
    if (values === UNKNOWN) {
        return UNSURE;
    }
    if (values.some(v => typeof v === "string" && !isUnknown(v) && admitsGpus(v))) {
        return SHOWS;
    }
    return values.some(isUnknown) ? UNSURE : EXCLUDES;
}

function gpuVerdict(r: Requirement): GpuVerdict {
    if (isUnknown(r.key) || isUnknown(r.operator)) {
        return UNSURE;
    }
    const isGpuLabel = (GPU_LABELS as readonly string[]).includes(r.key);
    const instanceTest = INSTANCE_LABEL_GPU_TEST[r.key];
    if (!isGpuLabel && !instanceTest) {
        return NEUTRAL;
    }
    switch (r.operator) {
        case "Exists":
            return isGpuLabel ? SHOWS : NEUTRAL;
        case "DoesNotExist":
            // Instances without GPUs have no GPU labels; no instance lacks a type, family or category.
            return EXCLUDES;
        case "In":
            return inVerdict(r.values, isGpuLabel ? gpuLabelValueAdmitsGpus : instanceTest);
        case "NotIn":
            // Only categories are few enough to be excluded one by one.
            if (r.key !== INSTANCE_CATEGORY_LABEL || r.values === UNKNOWN) {
                return NEUTRAL;
            }
            if (GPU_INSTANCE_CATEGORIES.every(c => (r.values as unknown[]).includes(c))) {
                return EXCLUDES;
            }
            return r.values.some(isUnknown) ? UNSURE : NEUTRAL;
        case "Gt":
        case "Gte":
        case "Lt":
        case "Lte": {
            const bound = r.values === UNKNOWN ? UNKNOWN : r.values[0];
            if (isUnknown(bound)) {
                return UNSURE;
            }
            const n = Number(bound);
            if (!isGpuLabel || typeof bound !== "string" || !Number.isFinite(n)) {
                return NEUTRAL;
            }
            // The label must exist to compare, so only GPU instances can match; the smallest GPU
            // count (and memory) is 1.
            const admits = r.operator === "Gt" || r.operator === "Gte" || (r.operator === "Lt" ? n > 1 : n >= 1);
            return admits ? SHOWS : EXCLUDES;
        }
        default:
            return NEUTRAL;
    }
}

/**
 * Can the pool launch a GPU instance? true unless its requirements exclude every GPU instance; a
 * pool without instance restrictions launches GPU nodes for GPU pods. undefined when an unknown
 * requirement might exclude them and nothing known shows GPUs (GPU-only requirement, GPU taint).
 */
export function isGpuPool(props: unknown): boolean | undefined {
    const requirements = requirementsOf(props);
    const verdicts = requirements === UNKNOWN ? [UNSURE] : requirements.map(gpuVerdict);
    if (verdicts.some(v => v.excludesGpus === true)) {
        return false;
    }
    if (verdicts.every(v => v.excludesGpus === false)) {
        return true;
    }
    const taintEffects = gpuTaintEffects(props);
    return verdicts.some(v => v.showsGpus) || (taintEffects !== UNKNOWN && taintEffects.length > 0) ? true : undefined;
}

/** The effects of the pool's nvidia.com/gpu taints; UNKNOWN when the taints are not known yet. */
export function gpuTaintEffects(props: unknown): string[] | typeof UNKNOWN {
    const taints = listAt(props, "spec", "template", "spec", "taints");
    if (taints === UNKNOWN) {
        return UNKNOWN;
    }
    const effects: string[] = [];
    for (const t of taints) {
        const key = valueAt(t, "key");
        const effect = valueAt(t, "effect");
        if (isUnknown(key) || isUnknown(effect)) {
            return UNKNOWN;
        }
        if (key === NVIDIA_GPU_RESOURCE) {
            effects.push(String(effect));
        }
    }
    return effects;
}

function capacityTypesAllowedBy(r: Requirement): Set<string> | undefined {
    if (r.values === UNKNOWN || r.values.some(isUnknown) || isUnknown(r.operator)) {
        return undefined;
    }
    const values = r.values;
    switch (r.operator) {
        case "In":
            return new Set(CAPACITY_TYPES.filter(t => values.includes(t)));
        case "NotIn":
            return new Set(CAPACITY_TYPES.filter(t => !values.includes(t)));
        case "Exists":
            return new Set(CAPACITY_TYPES);
        case "DoesNotExist":
            return new Set();
        default:
            return undefined;
    }
}

export interface CapacityTypes {
    /** In the order of CAPACITY_TYPES. */
    admitted: string[];
    /** False when no requirement names the capacity type, so Karpenter defaults to on-demand. */
    stated: boolean;
}

/** The capacity types the pool can launch; undefined when that is not known yet. */
export function capacityTypesOf(props: unknown): CapacityTypes | undefined {
    const requirements = requirementsOf(props);
    if (requirements === UNKNOWN) {
        return undefined;
    }
    if (requirements.some(r => isUnknown(r.key))) {
        return undefined;
    }
    let admitted: Set<string> | undefined;
    for (const r of requirements.filter(r => r.key === CAPACITY_TYPE_LABEL)) {
        const allowed = capacityTypesAllowedBy(r);
        if (!allowed) {
            return undefined;
        }
        admitted = admitted ? new Set([...admitted].filter(t => allowed.has(t))) : allowed;
    }
    if (!admitted) {
        return { admitted: ["on-demand"], stated: false };
    }
    return { admitted: CAPACITY_TYPES.filter(t => admitted.has(t)), stated: true };
}

export function admitsSpot(props: unknown): boolean {
    return capacityTypesOf(props)?.admitted.includes("spot") === true;
}

/** Known values of the In requirements on `keys`, intersected; undefined when none or not known. */
function inValues(requirements: Requirement[], keys: readonly string[]): Set<string> | undefined {
    let result: Set<string> | undefined;
    for (const r of requirements.filter(r => keys.includes(r.key) && r.operator === "In")) {
        if (r.values === UNKNOWN || r.values.some(isUnknown)) {
            return undefined;
        }
        const values = new Set(r.values.map(knownString).filter((v): v is string => v !== undefined));
        result = result ? new Set([...result].filter(v => values.has(v))) : values;
    }
    return result;
}

/**
 * The GPU instance types the pool is pinned to, when its requirements name them (instance types,
 * or families times sizes); undefined when they leave the choice open or are not known yet.
 */
export function pinnedGpuInstanceTypes(props: unknown): string[] | undefined {
    const requirements = requirementsOf(props);
    if (requirements === UNKNOWN) {
        return undefined;
    }
    const types = inValues(requirements, INSTANCE_TYPE_LABELS);
    if (types) {
        return [...types].filter(isGpuInstanceType);
    }
    const families = inValues(requirements, [INSTANCE_FAMILY_LABEL]);
    const sizes = inValues(requirements, [INSTANCE_SIZE_LABEL]);
    if (!families || !sizes) {
        return undefined;
    }
    return [...families].filter(isGpuInstanceFamily).flatMap(f => [...sizes].map(s => `${f}.${s}`));
}
