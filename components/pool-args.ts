// A GPU pool's args (one NodePool and its EC2NodeClass each), their defaults and their checks.
import { BOUNDED_DURATION_FORMAT, DURATION_FORMAT, isBoundedDuration, isKarpenterDuration } from "./duration";
import {
    UNLISTED_SETTING,
    instanceFamilyProblem,
    instanceTypeInfo,
    instanceTypeProblem,
    listTypes,
    poolCost,
    tableWarning,
    unlistedProblem,
} from "./cost";
import { cronProblem } from "./cron";
import { CAPACITY_TYPES, CONSOLIDATION_POLICIES, CapacityType, ConsolidationPolicy, instanceRequirement } from "./gpu";
import { DNS_LABEL, Integer, Problems, show } from "./checks";
import { ImageSnapshot, ResolvedImageSnapshot, resolveImageSettings } from "./image-args";
import { poolKey } from "./key-path";

/** AMI families a GPU pool may run: the first part of its amiAlias. AL2 ends with Kubernetes 1.32. */
export const AmiFamily = {
    Al2023: "al2023",
    Bottlerocket: "bottlerocket",
} as const;
export type AmiFamily = (typeof AmiFamily)[keyof typeof AmiFamily];
export const AMI_FAMILIES: readonly AmiFamily[] = Object.values(AmiFamily);

/** What a disruption budget may be limited to (NodePool `spec.disruption.budgets[].reasons`). */
export const DisruptionReason = {
    /** Consolidation of a node whose pods fit on other nodes. */
    Underutilized: "Underutilized",
    /** Consolidation of a node that runs no pods but daemons. */
    Empty: "Empty",
    /** Replacement of a node that no longer matches its NodePool or EC2NodeClass (a new AMI, say). */
    Drifted: "Drifted",
} as const;
export type DisruptionReason = (typeof DisruptionReason)[keyof typeof DisruptionReason];
export const DISRUPTION_REASONS: readonly DisruptionReason[] = Object.values(DisruptionReason);

/** Where a node keeps containerd's images and the kubelet's ephemeral storage. */
export const InstanceStorePolicy = {
    /** The instance's local NVMe disks as one array. */
    Raid0: "RAID0",
    /** The EBS volume. */
    None: "none",
} as const;
export type InstanceStorePolicy = (typeof InstanceStorePolicy)[keyof typeof InstanceStorePolicy];
export const INSTANCE_STORE_POLICIES: readonly InstanceStorePolicy[] = Object.values(InstanceStorePolicy);

/** A GPU pool: one Karpenter NodePool and its EC2NodeClass. */
export interface GpuPool {
    /** NodePool and EC2NodeClass name: a DNS label, unique among the pools. */
    name: string;
    /** EC2 families, e.g. ["g5", "g6e"]. Default ["g5", "g6", "g6e"] unless instanceTypes is set. */
    instanceFamilies?: string[];
    /** Exact EC2 types, e.g. ["g6e.12xlarge"]; use instead of instanceFamilies. */
    instanceTypes?: string[];
    /** How the pool's instances are bought. Default ["spot"]. "reserved" needs capacityReservations. */
    capacityTypes?: CapacityType[];
    /** The On-Demand Capacity Reservations or Capacity Blocks the pool may launch into (capacity type "reserved"). */
    capacityReservations?: CapacityReservation;
    /** Most GPUs the pool may run at once (NodePool `limits["nvidia.com/gpu"]`). Default 8. */
    gpuLimit?: Integer;
    /** Which nodes Karpenter may remove or replace to save money. Default "WhenEmpty". */
    consolidationPolicy?: ConsolidationPolicy;
    /** How long a node stays idle before it is removed. Default "1m". */
    consolidateAfter?: string;
    /** Node lifetime before replacement. Default "720h". */
    expireAfter?: string;
    /**
     * How long Karpenter waits for a node's pods to leave (PodDisruptionBudgets and
     * `karpenter.sh/do-not-disrupt` pods included) before it terminates the node anyway, whatever
     * the reason: consolidation, drift, expiry, or `pulumi destroy`. Default "1h".
     */
    terminationGracePeriod?: string;
    /** EC2NodeClass AMI alias: `al2023@latest`, `al2023@v20251016`, `bottlerocket@latest`... Default "al2023@latest". */
    amiAlias?: string;
    /**
     * Root (AL2023) or data (Bottlerocket) volume in GiB, gp3, encrypted (with imageSnapshot, as the
     * snapshot is). Default 100; with imageSnapshot, at least the snapshot's size.
     */
    rootVolumeSize?: Integer;
    /**
     * gp3 throughput of that volume in MiB/s, 125-1000 (at most a quarter of its IOPS). Default gp3's
     * 125, or 600 with fastImagePull.
     */
    rootVolumeThroughput?: Integer;
    /** gp3 IOPS of that volume, 3000-16000. Default gp3's 3000. */
    rootVolumeIops?: Integer;
    /**
     * "RAID0": the instance's local NVMe disks as one array holding containerd's images and the
     * kubelet's ephemeral storage (almost every GPU family has them; g5g has none, and then the EBS
     * volume serves). "none": images stay on the EBS volume. Default "RAID0", or "none" with imageSnapshot.
     */
    instanceStorePolicy?: InstanceStorePolicy;
    /**
     * Pull and unpack image layers in parallel (the SOCI snapshotter): AL2023 nodeadm's FastImagePull
     * feature gate (AMI release v20250821 and later), or Bottlerocket's soci snapshotter in
     * parallel-pull-unpack mode (1.44.0 and later). Uses more CPU, memory and disk throughput while
     * a node pulls; makes rootVolumeThroughput 600 where it is unset. Default false, or true where
     * the pool's userData turns it on.
     */
    fastImagePull?: boolean;
    /**
     * Bottlerocket only: the data volume is restored from this EBS snapshot, the images already
     * pulled onto it, so a new node does not pull them. Makes instanceStorePolicy "none" (RAID0
     * would hide the volume's images).
     */
    imageSnapshot?: ImageSnapshot;
    /**
     * The EC2NodeClass userData: AL2023 NodeConfig YAML, a shell script or a MIME multi-part archive
     * of them; Bottlerocket settings TOML. Karpenter merges its own settings in; fastImagePull adds its
     * own part or settings to these, and a setting that contradicts it is refused.
     */
    userData?: string;
    /**
     * How many of the pool's nodes Karpenter may disrupt at once, when, and for which reasons
     * (`spec.disruption.budgets`). Default: Karpenter's own (10% at any time).
     */
    disruptionBudgets?: DisruptionBudget[];
    /** Extra labels on the pool's nodes; keys in Karpenter's and Kubernetes' own domains are refused. */
    labels?: Record<string, string>;
    /** NodePool weight (1-100): where several pools fit a pod, the higher weight is tried first. */
    weight?: Integer;
    /**
     * Families or types of instanceFamilies / instanceTypes that the instance-type table (Karpenter's
     * data, components/data/gpu-instance-types.json) does not list, because they are newer: admitted as
     * they are, with a warning that their cost is unknown. Anything else the table does not list is
     * taken for a misspelling and refused.
     */
    unlistedInstances?: string[];
}

/** Rendered to the EC2NodeClass's capacityReservationSelectorTerms: each id one term, the tags one more. */
export interface CapacityReservation {
    /** Reservation ids, e.g. ["cr-0123456789abcdef0"]. */
    ids?: string[];
    /** Selects every reservation carrying all these tags ("*" for any value of a key). */
    tags?: Record<string, string>;
}

/** A limit on how many of a pool's nodes Karpenter may disrupt at once (NodePool `spec.disruption.budgets[]`). */
export interface DisruptionBudget {
    /** A whole number of nodes ("0", "1") or a percentage of the pool ("10%"), a string as Karpenter takes it. */
    nodes: string;
    /** Only these disruptions count against the budget; default every one. */
    reasons?: DisruptionReason[];
    /** When the budget applies: a cron in UTC such as "0 8 * * mon-fri"; set with duration. */
    schedule?: string;
    /** How long it applies from each schedule time, in hours and minutes: "10h", "90m", "1h30m". */
    duration?: string;
}

export interface ResolvedGpuPool {
    name: string;
    instanceFamilies?: string[];
    instanceTypes?: string[];
    capacityTypes: CapacityType[];
    capacityReservations?: CapacityReservation;
    gpuLimit: number;
    consolidationPolicy: ConsolidationPolicy;
    consolidateAfter: string;
    expireAfter: string;
    terminationGracePeriod: string;
    amiAlias: string;
    amiFamily: AmiFamily;
    rootVolumeSize: number;
    rootVolumeThroughput?: number;
    rootVolumeIops?: number;
    instanceStorePolicy: InstanceStorePolicy;
    fastImagePull: boolean;
    imageSnapshot?: ResolvedImageSnapshot;
    userData?: string;
    disruptionBudgets?: ResolvedDisruptionBudget[];
    labels: Record<string, string>;
    weight?: number;
}

export interface ResolvedDisruptionBudget {
    nodes: string;
    reasons?: DisruptionReason[];
    schedule?: string;
    duration?: string;
}

/** @deprecated Use GpuPool (renamed: codegen for other languages appends "Args" to input types). */
export type GpuPoolArgs = GpuPool;
/** @deprecated Use CapacityReservation. */
export type CapacityReservationArgs = CapacityReservation;
/** @deprecated Use DisruptionBudget. */
export type DisruptionBudgetArgs = DisruptionBudget;

export const DEFAULT_POOL_FAMILIES = ["g5", "g6", "g6e"];

export const POOL_DEFAULTS = {
    capacityTypes: ["spot"] as CapacityType[],
    gpuLimit: 8,
    consolidationPolicy: "WhenEmpty" as ConsolidationPolicy,
    consolidateAfter: "1m",
    expireAfter: "720h",
    terminationGracePeriod: "1h",
    amiAlias: "al2023@latest",
    rootVolumeSize: 100,
    instanceStorePolicy: "RAID0" as InstanceStorePolicy,
};

const POOL_KEYS: (keyof GpuPool)[] = [
    "name",
    "instanceFamilies",
    "instanceTypes",
    "capacityTypes",
    "capacityReservations",
    "gpuLimit",
    "consolidationPolicy",
    "consolidateAfter",
    "expireAfter",
    "terminationGracePeriod",
    "amiAlias",
    "rootVolumeSize",
    "rootVolumeThroughput",
    "rootVolumeIops",
    "instanceStorePolicy",
    "fastImagePull",
    "imageSnapshot",
    "userData",
    "disruptionBudgets",
    "labels",
    "weight",
    "unlistedInstances",
];
const BUDGET_KEYS: (keyof DisruptionBudget)[] = ["nodes", "reasons", "schedule", "duration"];
const BUDGET_NODES = /^((100|[0-9]{1,2})%|[0-9]+)$/;
// The CRD's pattern for a budget's duration, without the "0s" tail it also tolerates.
const BUDGET_DURATION = /^(([0-9]+(h|m))|([0-9]+h[0-9]+m))$/;
const BUDGET_DURATION_FORMAT = `hours and minutes only, such as "10h", "90m" or "1h30m"`;
/** gp3 allows at most 0.25 MiB/s of throughput per provisioned IOPS. */
const GP3_MIBS_PER_IOPS = 0.25;
const GP3_BASELINE_IOPS = 3000;
const AMI_ALIAS = /^([a-z0-9]+)@(latest|v[0-9][0-9a-z.-]*)$/;
const LABEL_KEY =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// Karpenter owns these label domains; NodePool labels in them are rejected by its CRD.
const RESTRICTED_LABEL_DOMAINS = ["karpenter.sh", "karpenter.k8s.aws", "kubernetes.io", "k8s.io"];

/** The pools, each checked, their names unique; the default is one spot pool named "gpu". */
export function resolvePools(p: Problems, value: unknown): ResolvedGpuPool[] {
    const gpuPools: ResolvedGpuPool[] = [];
    const poolsRaw = value ?? [{ name: "gpu" }];
    if (!Array.isArray(poolsRaw) || poolsRaw.length === 0) {
        p.add("gpuPools", `${show(poolsRaw)} is not allowed; use a non-empty list of pools, e.g. [{"name": "gpu"}]`);
    } else {
        poolsRaw.forEach((poolRaw, i) => {
            const key = poolKey(i, poolRaw);
            const pool = resolvePool(p, key, poolRaw);
            if (!pool) return;
            if (gpuPools.some(other => other.name === pool.name)) {
                p.add(`${key}.name`, `${show(pool.name)} is used by another pool; pool names must be unique`);
            }
            gpuPools.push(pool);
        });
    }
    return gpuPools;
}

/**
 * A duration setting: a string such as "5m". A number (YAML's `consolidateAfter: 60`) is named as
 * one, with the examples of `format`; `fallback` stands in for it.
 */
function durationSetting(p: Problems, key: string, value: unknown, format: string, fallback?: string) {
    if (typeof value !== "number") return p.str(key, value, fallback);
    p.add(key, `${value} is a number, not a duration; use a string: ${format}`);
    return fallback;
}

function resolvePool(p: Problems, key: string, raw: unknown): ResolvedGpuPool | undefined {
    if (!p.object(key, raw)) return undefined;
    p.unknownKeys(key, raw, POOL_KEYS);
    const name = raw.name;
    if (typeof name !== "string" || !DNS_LABEL.test(name) || name.length > 63) {
        p.add(
            `${key}.name`,
            `${show(name)} is not allowed; use a DNS label: lowercase letters, digits and "-", ` +
                `starting and ending with a letter or digit, at most 63 characters`,
        );
    }
    const families = p.stringList(`${key}.instanceFamilies`, raw.instanceFamilies);
    const types = p.stringList(`${key}.instanceTypes`, raw.instanceTypes);
    if (families && types) {
        p.add(key, `set either instanceFamilies or instanceTypes, not both`);
    }
    // The ceiling below is worked out only when the instances and gpuLimit are valid.
    const problemsBefore = p.list.length;
    const unlisted = p.stringList(`${key}.${UNLISTED_SETTING}`, raw.unlistedInstances) ?? [];
    // Checked against the instance-type table (components/cost.ts), which the ceiling uses too; what
    // it does not list is a misspelling unless the pool says it is newer than the table.
    const check = (setting: string, values: string[] | undefined, problemOf: (v: string) => string | undefined) =>
        values?.forEach((value, i) => {
            const problem = problemOf(value) ?? (unlisted.includes(value) ? undefined : unlistedProblem(value));
            if (problem) p.add(`${key}.${setting}[${i}]`, problem);
        });
    check("instanceFamilies", families, instanceFamilyProblem);
    check("instanceTypes", types, instanceTypeProblem);
    const admitted = types ?? families ?? [];
    unlisted.forEach((value, i) => {
        const at = `${key}.${UNLISTED_SETTING}[${i}]`;
        if (!admitted.includes(value)) {
            p.add(
                at,
                `${show(value)} is not in the pool's ${types ? "instanceTypes" : "instanceFamilies"}; ` +
                    `${UNLISTED_SETTING} only vouches for what the pool admits`,
            );
        } else if (!tableWarning(value)) {
            p.add(at, `${show(value)} is in the instance-type table; take it out of ${UNLISTED_SETTING}`);
        }
    });
    const gpuLimit = p.int(`${key}.gpuLimit`, raw.gpuLimit, POOL_DEFAULTS.gpuLimit, 1, 10000, " of GPUs");
    const instanceFamilies = types ? undefined : (families ?? DEFAULT_POOL_FAMILIES);
    const cost =
        p.list.length === problemsBefore
            ? poolCost([instanceRequirement({ instanceTypes: types, instanceFamilies })], gpuLimit)
            : undefined;
    if (cost?.smallestGpuCount !== undefined) {
        const smallest = cost.admittedTypes.filter(t => instanceTypeInfo(t)?.gpus === cost.smallestGpuCount);
        p.add(
            `${key}.gpuLimit`,
            `${gpuLimit} is fewer GPUs than any instance type the pool admits has (the smallest, ` +
                `${listTypes(smallest)}, ${smallest.length === 1 ? "has" : "have"} ${cost.smallestGpuCount}), so Karpenter could never ` +
                `launch a node for it; set gpuLimit to at least ${cost.smallestGpuCount}, or admit types with fewer GPUs`,
        );
    }

    const capacityTypes =
        p.distinctList(`${key}.capacityTypes`, raw.capacityTypes, CAPACITY_TYPES) ?? POOL_DEFAULTS.capacityTypes;

    const capacityReservations = resolveCapacityReservations(p, key, raw.capacityReservations, capacityTypes);

    const karpenterDuration = (setting: "consolidateAfter" | "expireAfter") => {
        const value = durationSetting(p, `${key}.${setting}`, raw[setting], DURATION_FORMAT, POOL_DEFAULTS[setting])!;
        if (!isKarpenterDuration(value)) {
            p.add(`${key}.${setting}`, `${show(value)} is not a duration; use ${DURATION_FORMAT}`);
        }
        return value;
    };
    const consolidateAfter = karpenterDuration("consolidateAfter");
    const expireAfter = karpenterDuration("expireAfter");
    const terminationGracePeriod = durationSetting(
        p,
        `${key}.terminationGracePeriod`,
        raw.terminationGracePeriod,
        BOUNDED_DURATION_FORMAT,
        POOL_DEFAULTS.terminationGracePeriod,
    )!;
    // Bounded on purpose: `pulumi destroy` waits for it, so "Never" would let one pod keep a GPU instance running.
    if (!isBoundedDuration(terminationGracePeriod)) {
        p.add(
            `${key}.terminationGracePeriod`,
            `${show(terminationGracePeriod)} is not allowed; use ` +
                `${BOUNDED_DURATION_FORMAT} (not "Never": destroy and drift must be able to finish)`,
        );
    }

    const amiAlias = p.str(`${key}.amiAlias`, raw.amiAlias, POOL_DEFAULTS.amiAlias)!;
    const alias = AMI_ALIAS.exec(amiAlias);
    let amiFamily: ResolvedGpuPool["amiFamily"] = "al2023";
    let knownFamily = false;
    if (!alias) {
        p.add(
            `${key}.amiAlias`,
            `${show(amiAlias)} is not an AMI alias; use "<family>@latest" or "<family>@v<version>" ` +
                `with family ${AMI_FAMILIES.map(f => `"${f}"`).join(" or ")}, e.g. "al2023@latest" or "al2023@v20251016"`,
        );
    } else if (alias[1] === "al2") {
        p.add(
            `${key}.amiAlias`,
            `${show(amiAlias)} is not allowed: AL2 AMIs end with Kubernetes 1.32; ` +
                `use "al2023@..." or "bottlerocket@..."`,
        );
    } else if (!(AMI_FAMILIES as readonly string[]).includes(alias[1])) {
        p.add(
            `${key}.amiAlias`,
            `${show(amiAlias)} is not allowed: GPU pools support the families ` +
                `${AMI_FAMILIES.map(f => `"${f}"`).join(" and ")}`,
        );
    } else {
        amiFamily = alias[1] as ResolvedGpuPool["amiFamily"];
        knownFamily = true;
    }
    const image = resolveImageSettings(p, key, raw, knownFamily ? amiFamily : undefined, alias?.[2]);

    const rootVolumeThroughput =
        raw.rootVolumeThroughput === undefined
            ? undefined
            : p.int(`${key}.rootVolumeThroughput`, raw.rootVolumeThroughput, 125, 125, 1000, " of MiB/s");
    const rootVolumeIops =
        raw.rootVolumeIops === undefined
            ? undefined
            : p.int(`${key}.rootVolumeIops`, raw.rootVolumeIops, GP3_BASELINE_IOPS, 3000, 16000, " of IOPS");
    if (
        rootVolumeThroughput !== undefined &&
        rootVolumeThroughput > (rootVolumeIops ?? GP3_BASELINE_IOPS) * GP3_MIBS_PER_IOPS
    ) {
        // EC2 refuses such a volume at launch, so every node of the pool would fail to start.
        p.add(
            `${key}.rootVolumeThroughput`,
            `${rootVolumeThroughput} MiB/s needs at least ` +
                `${Math.ceil(rootVolumeThroughput / GP3_MIBS_PER_IOPS)} IOPS (gp3 allows ${GP3_MIBS_PER_IOPS} MiB/s per IOPS); ` +
                `set rootVolumeIops to that or more (it is ${rootVolumeIops ?? `gp3's baseline ${GP3_BASELINE_IOPS}`})`,
        );
    }
    const disruptionBudgets = resolveBudgets(p, `${key}.disruptionBudgets`, raw.disruptionBudgets);

    const labels = p.stringMap(`${key}.labels`, raw.labels);
    for (const [k, v] of Object.entries(labels)) {
        const domain = k.includes("/") ? k.slice(0, k.indexOf("/")) : "";
        if (!LABEL_KEY.test(k) || k.length > 317) {
            p.add(`${key}.labels`, `${show(k)} is not a valid label key`);
        } else if (RESTRICTED_LABEL_DOMAINS.some(d => domain === d || domain.endsWith(`.${d}`))) {
            p.add(
                `${key}.labels`,
                `${show(k)} is in a domain Karpenter or Kubernetes reserves ` +
                    `(${RESTRICTED_LABEL_DOMAINS.join(", ")}); use your own prefix such as "example.com/team"`,
            );
        }
        if (typeof v === "string" && (!LABEL_VALUE.test(v) || v.length > 63)) {
            p.add(
                `${key}.labels.${k}`,
                `${show(v)} is not a valid label value (at most 63 letters, digits, "-", "_" or ".")`,
            );
        }
    }

    return {
        name: String(name),
        instanceFamilies,
        instanceTypes: types,
        capacityTypes,
        ...(capacityReservations ? { capacityReservations } : {}),
        gpuLimit,
        consolidationPolicy: p.oneOf(
            `${key}.consolidationPolicy`,
            raw.consolidationPolicy,
            CONSOLIDATION_POLICIES,
            POOL_DEFAULTS.consolidationPolicy,
        ),
        consolidateAfter,
        expireAfter,
        terminationGracePeriod,
        amiAlias,
        amiFamily,
        rootVolumeSize: p.int(
            `${key}.rootVolumeSize`,
            raw.rootVolumeSize,
            POOL_DEFAULTS.rootVolumeSize,
            20,
            16384,
            " of GiB",
        ),
        rootVolumeThroughput: rootVolumeThroughput ?? image.defaults.rootVolumeThroughput,
        rootVolumeIops,
        instanceStorePolicy: p.oneOf(
            `${key}.instanceStorePolicy`,
            raw.instanceStorePolicy,
            INSTANCE_STORE_POLICIES,
            image.defaults.instanceStorePolicy ?? POOL_DEFAULTS.instanceStorePolicy,
        ),
        fastImagePull: image.fastImagePull,
        ...(image.imageSnapshot ? { imageSnapshot: image.imageSnapshot } : {}),
        ...(image.userData === undefined ? {} : { userData: image.userData }),
        disruptionBudgets,
        labels,
        weight: raw.weight === undefined ? undefined : p.int(`${key}.weight`, raw.weight, 1, 1, 100),
    };
}

// The EC2NodeClass CRD (v1.14.1) takes at most 30 capacityReservationSelectorTerms, ids matching
// ^cr-[0-9a-z]+$, and at most 20 tags per term, none empty.
const CAPACITY_RESERVATION_ID = /^cr-[0-9a-z]+$/;
const CAPACITY_RESERVATION_KEYS: (keyof CapacityReservation)[] = ["ids", "tags"];

function resolveCapacityReservations(
    p: Problems,
    pool: string,
    value: unknown,
    capacityTypes: CapacityType[],
): CapacityReservation | undefined {
    const key = `${pool}.capacityReservations`;
    const reserved = capacityTypes.includes("reserved");
    if (value === undefined) {
        if (reserved) {
            p.add(
                `${pool}.capacityTypes`,
                `"reserved" needs ${key}: the capacity reservations the pool may launch into, ` +
                    `as ids (e.g. {"ids": ["cr-0123456789abcdef0"]}) and/or tags (e.g. {"tags": {"purpose": "training"}}); ` +
                    `without them Karpenter never uses a reservation`,
            );
        }
        return undefined;
    }
    if (!p.object(key, value)) return undefined;
    p.unknownKeys(key, value, CAPACITY_RESERVATION_KEYS);
    if (!reserved) {
        p.add(
            key,
            `is set, but ${pool}.capacityTypes does not include "reserved", so Karpenter would never launch into ` +
                `these reservations; add "reserved" to capacityTypes`,
        );
    }
    const ids = p.stringList(`${key}.ids`, value.ids);
    ids?.forEach((id, i) => {
        if (!CAPACITY_RESERVATION_ID.test(id)) {
            p.add(
                `${key}.ids[${i}]`,
                `${show(id)} is not a capacity reservation id; use one like "cr-0123456789abcdef0"`,
            );
        } else if (ids.indexOf(id) !== i) {
            p.add(`${key}.ids[${i}]`, `${show(id)} is listed twice`);
        }
    });
    let tags: Record<string, string> | undefined;
    if (value.tags !== undefined) {
        tags = p.stringMap(`${key}.tags`, value.tags);
        const entries = Object.entries(tags);
        if (entries.length === 0 || entries.length > 20) {
            p.add(`${key}.tags`, `${show(value.tags)} is not allowed; use 1 to 20 tags, e.g. {"purpose": "training"}`);
        }
        for (const [k, v] of entries) {
            if (k === "" || v === "") {
                p.add(`${key}.tags`, `${show(k)}: empty tag keys and values are not allowed; use "*" for any value`);
            }
        }
    }
    if (!ids && !tags) {
        p.add(
            key,
            `name at least one reservation: ids (e.g. ["cr-0123456789abcdef0"]) and/or tags (e.g. {"purpose": "training"})`,
        );
    }
    if ((ids?.length ?? 0) + (tags ? 1 : 0) > 30) {
        p.add(
            `${key}.ids`,
            `lists ${ids!.length} reservations; an EC2NodeClass takes at most 30 selector terms (each id is one, the tags one more)`,
        );
    }
    return { ...(ids ? { ids } : {}), ...(tags ? { tags } : {}) };
}

function resolveBudgets(p: Problems, key: string, value: unknown): ResolvedDisruptionBudget[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0 || value.length > 50) {
        p.add(key, `${show(value)} is not allowed; use a list of 1 to 50 budgets such as [{"nodes": "10%"}]`);
        return undefined;
    }
    return value.map((raw, i): ResolvedDisruptionBudget => {
        const at = `${key}[${i}]`;
        if (!p.object(at, raw)) return { nodes: "0" };
        p.unknownKeys(at, raw, BUDGET_KEYS);
        const nodes =
            typeof raw.nodes === "number" && Number.isInteger(raw.nodes) && raw.nodes >= 0
                ? String(raw.nodes)
                : raw.nodes;
        if (raw.nodes === undefined) {
            p.required(`${at}.nodes`, `a number of nodes ("0", 1) or a percentage ("10%")`);
        } else if (typeof nodes !== "string" || !BUDGET_NODES.test(nodes)) {
            p.add(
                `${at}.nodes`,
                `${show(raw.nodes)} is not allowed; use a whole number of nodes ("0", 1) or a percentage from "0%" to "100%"`,
            );
        }
        const reasons = p.distinctList(`${at}.reasons`, raw.reasons, DISRUPTION_REASONS);
        const schedule = p.str(`${at}.schedule`, raw.schedule);
        const duration = durationSetting(p, `${at}.duration`, raw.duration, BUDGET_DURATION_FORMAT);
        // By what was given: a duration given as a number is reported above, not as missing here.
        if ((raw.schedule === undefined) !== (raw.duration === undefined)) {
            p.add(
                at,
                `schedule and duration go together: set both (when the budget starts, and for how long) or neither`,
            );
        }
        const scheduleProblem = schedule === undefined ? undefined : cronProblem(schedule);
        if (scheduleProblem) p.add(`${at}.schedule`, `${scheduleProblem} (times are UTC)`);
        if (duration !== undefined && !BUDGET_DURATION.test(duration)) {
            p.add(`${at}.duration`, `${show(duration)} is not allowed; use ${BUDGET_DURATION_FORMAT}`);
        }
        return {
            nodes: String(nodes),
            ...(reasons ? { reasons } : {}),
            ...(schedule !== undefined ? { schedule } : {}),
            ...(duration !== undefined ? { duration } : {}),
        };
    });
}
