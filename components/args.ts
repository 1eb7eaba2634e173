// The component's inputs, their defaults, and the one validation that both `index.ts` (stack
// config) and direct users of the component go through before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { DURATION_FORMAT, isKarpenterDuration } from "./duration";
import { CAPACITY_TYPES, CONSOLIDATION_POLICIES, instanceFamilyOf, nvidiaFamilyProblem } from "./gpu";

export { CAPACITY_TYPES, CONSOLIDATION_POLICIES };

export const DEFAULT_KARPENTER_VERSION = "1.14.1";
/** v1beta1 is still served (through conversion webhooks) before 1.1; the v1 API is all we render. */
export const MIN_KARPENTER_VERSION = "1.1.0";
export const DEFAULT_DEVICE_PLUGIN_VERSION = "0.18.2";

export const IDENTITIES = ["irsa", "podIdentity"] as const;
export const NODE_ACCESS_MODES = ["auto", "accessEntry", "awsAuth"] as const;
export const AMI_FAMILIES = ["al2023", "bottlerocket"] as const;
export const LOG_LEVELS = ["debug", "info", "error"] as const;

export type Identity = (typeof IDENTITIES)[number];
export type NodeAccessMode = (typeof NODE_ACCESS_MODES)[number];
export type CapacityType = (typeof CAPACITY_TYPES)[number];
export type ConsolidationPolicy = (typeof CONSOLIDATION_POLICIES)[number];

export interface GpuPoolArgs {
    /** NodePool and EC2NodeClass name: a DNS label. */
    name: string;
    /** EC2 families, e.g. ["g5", "g6e"]. Default ["g5", "g6", "g6e"] unless instanceTypes is set. */
    instanceFamilies?: string[];
    /** Exact EC2 types, e.g. ["g6e.12xlarge"]; use instead of instanceFamilies. */
    instanceTypes?: string[];
    /** Default ["spot"]. "reserved" needs capacityReservations. */
    capacityTypes?: CapacityType[];
    /** The On-Demand Capacity Reservations or Capacity Blocks the pool may launch into (capacity type "reserved"). */
    capacityReservations?: CapacityReservationArgs;
    /** Most GPUs the pool may run at once (NodePool `limits["nvidia.com/gpu"]`). Default 8. */
    gpuLimit?: number;
    /** Default "WhenEmpty". */
    consolidationPolicy?: ConsolidationPolicy;
    /** How long a node stays idle before it is removed. Default "1m". */
    consolidateAfter?: string;
    /** Node lifetime before replacement. Default "720h". */
    expireAfter?: string;
    /** EC2NodeClass AMI alias: `al2023@latest`, `al2023@v20251016`, `bottlerocket@latest`... Default "al2023@latest". */
    amiAlias?: string;
    /** Root (AL2023) or data (Bottlerocket) volume in GiB, gp3 and encrypted. Default 100. */
    rootVolumeSize?: number;
    /** Extra node labels. */
    labels?: Record<string, string>;
    /** NodePool weight (1-100): higher is tried first. */
    weight?: number;
}

/** Rendered to the EC2NodeClass's capacityReservationSelectorTerms: each id one term, the tags one more. */
export interface CapacityReservationArgs {
    /** Reservation ids, e.g. ["cr-0123456789abcdef0"]. */
    ids?: string[];
    /** Selects every reservation carrying all these tags ("*" for any value of a key). */
    tags?: Record<string, string>;
}

export interface ControllerArgs {
    /** Default 2. */
    replicas?: number;
    /** CPU request and limit. Default "1". */
    cpu?: string;
    /** Memory request and limit. Default "1Gi". */
    memory?: string;
    /** Pin the controller to this EKS managed node group (label eks.amazonaws.com/nodegroup). */
    nodeGroup?: string;
    /** Default "info". */
    logLevel?: (typeof LOG_LEVELS)[number];
}

export interface DevicePluginArgs {
    /** Default true (skipped anyway when every pool is Bottlerocket, whose AMI ships one). */
    enabled?: boolean;
    /** nvidia-device-plugin chart version. */
    version?: string;
}

/** What the component needs to know of the cluster; looked up by name when not given. */
export interface ClusterDetails {
    endpoint: pulumi.Input<string>;
    certificateAuthority: pulumi.Input<string>;
    /** e.g. https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE */
    oidcIssuerUrl: pulumi.Input<string>;
    /** The IAM OIDC provider for the issuer (IRSA); looked up from the issuer when absent. */
    oidcProviderArn?: pulumi.Input<string>;
    clusterSecurityGroupId: pulumi.Input<string>;
    /** API, API_AND_CONFIG_MAP or CONFIG_MAP. */
    authenticationMode: string;
}

export interface GpuKarpenterArgs {
    /** The existing EKS cluster's name. */
    clusterName: string;
    /** Skip the look-ups of an existing cluster (used when the cluster is created in the same program). */
    cluster?: ClusterDetails;
    /** Karpenter chart and CRD chart version. Default 1.14.1; at least 1.1. */
    karpenterVersion?: string;
    /** Namespace of the controller. Default "kube-system". */
    namespace?: string;
    /** How the controller gets AWS credentials. Default "irsa". */
    identity?: Identity;
    /** How GPU nodes may join: access entry, aws-auth, or chosen by the cluster's authentication mode. Default "auto". */
    nodeAccess?: NodeAccessMode;
    /** Bring your own node role (its ARN) instead of creating one. */
    nodeRoleArn?: string;
    /** Name of the node role to create (default: generated). */
    nodeRoleName?: string;
    /** Name of the controller role to create (default: generated). */
    controllerRoleName?: string;
    /** Subnets to tag for discovery. Default: the subnets of the cluster's node groups. */
    subnetIds?: pulumi.Input<string>[];
    /** Security groups to tag for discovery. Default: the cluster security group. */
    securityGroupIds?: pulumi.Input<string>[];
    /** SQS interruption queue with its EventBridge rules. Default true. */
    interruptionQueue?: boolean;
    /** Interruption queue name. Default: the cluster name. */
    interruptionQueueName?: string;
    controller?: ControllerArgs;
    devicePlugin?: DevicePluginArgs;
    /** Tags for every AWS resource and every instance Karpenter launches. */
    tags?: Record<string, string>;
    /** GPU pools. Default: one spot pool named "gpu". */
    gpuPools?: GpuPoolArgs[];
    /** Deploy a one-GPU sample workload that makes a GPU node appear. Default false. */
    exampleWorkload?: boolean;
}

export interface ResolvedGpuPool {
    name: string;
    instanceFamilies?: string[];
    instanceTypes?: string[];
    capacityTypes: CapacityType[];
    capacityReservations?: CapacityReservationArgs;
    gpuLimit: number;
    consolidationPolicy: ConsolidationPolicy;
    consolidateAfter: string;
    expireAfter: string;
    amiAlias: string;
    amiFamily: (typeof AMI_FAMILIES)[number];
    rootVolumeSize: number;
    labels: Record<string, string>;
    weight?: number;
}

export interface ResolvedArgs {
    clusterName: string;
    cluster?: ClusterDetails;
    karpenterVersion: string;
    namespace: string;
    identity: Identity;
    nodeAccess: NodeAccessMode;
    nodeRoleArn?: string;
    nodeRoleName?: string;
    controllerRoleName?: string;
    subnetIds?: pulumi.Input<string>[];
    securityGroupIds?: pulumi.Input<string>[];
    interruptionQueue: boolean;
    interruptionQueueName: string;
    controller: Required<Omit<ControllerArgs, "nodeGroup">> & { nodeGroup?: string };
    devicePlugin: Required<DevicePluginArgs>;
    tags: Record<string, string>;
    gpuPools: ResolvedGpuPool[];
    exampleWorkload: boolean;
}

export const DEFAULT_POOL_FAMILIES = ["g5", "g6", "g6e"];

export const POOL_DEFAULTS = {
    capacityTypes: ["spot"] as CapacityType[],
    gpuLimit: 8,
    consolidationPolicy: "WhenEmpty" as ConsolidationPolicy,
    consolidateAfter: "1m",
    expireAfter: "720h",
    amiAlias: "al2023@latest",
    rootVolumeSize: 100,
};

export const CONTROLLER_DEFAULTS = { replicas: 2, cpu: "1", memory: "1Gi", logLevel: "info" as (typeof LOG_LEVELS)[number] };

/**
 * Bad input. A RunError, so `pulumi up` prints the message alone, without a stack trace.
 */
export class GpuKarpenterConfigError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "GpuKarpenterConfigError";
    }
}

const ARG_KEYS: (keyof GpuKarpenterArgs)[] = [
    "clusterName", "cluster", "karpenterVersion", "namespace", "identity", "nodeAccess", "nodeRoleArn",
    "nodeRoleName", "controllerRoleName", "subnetIds", "securityGroupIds", "interruptionQueue",
    "interruptionQueueName", "controller", "devicePlugin", "tags", "gpuPools", "exampleWorkload",
];
const POOL_KEYS: (keyof GpuPoolArgs)[] = [
    "name", "instanceFamilies", "instanceTypes", "capacityTypes", "capacityReservations", "gpuLimit", "consolidationPolicy",
    "consolidateAfter", "expireAfter", "amiAlias", "rootVolumeSize", "labels", "weight",
];
const CONTROLLER_KEYS: (keyof ControllerArgs)[] = ["replicas", "cpu", "memory", "nodeGroup", "logLevel"];
const DEVICE_PLUGIN_KEYS: (keyof DevicePluginArgs)[] = ["enabled", "version"];
const CLUSTER_KEYS: (keyof ClusterDetails)[] = [
    "endpoint", "certificateAuthority", "oidcIssuerUrl", "oidcProviderArn", "clusterSecurityGroupId", "authenticationMode",
];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;
const AMI_ALIAS = /^([a-z0-9]+)@(latest|v[0-9][0-9a-z.\-]*)$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// Karpenter owns these label domains; NodePool labels in them are rejected by its CRD.
const RESTRICTED_LABEL_DOMAINS = ["karpenter.sh", "karpenter.k8s.aws", "kubernetes.io", "k8s.io"];

function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

/** Closest allowed key, for "did you mean" on a misspelt key. */
function closest(key: string, allowed: readonly string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
        for (let j = 1; j <= b.length; j++) d[0][j] = j;
        for (let i = 1; i <= a.length; i++) {
            for (let j = 1; j <= b.length; j++) {
                d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            }
        }
        return d[a.length][b.length];
    };
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of allowed) {
        const d = distance(key.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Collects every problem, so one run shows them all. */
class Problems {
    readonly list: string[] = [];
    add(key: string, message: string) {
        this.list.push(`${key}: ${message}`);
    }
    unknownKeys(where: string, value: object, allowed: readonly string[]) {
        for (const key of Object.keys(value)) {
            if (!allowed.includes(key)) {
                const hint = closest(key, allowed);
                this.add(where ? `${where}.${key}` : key,
                    `unknown setting${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${allowed.join(", ")}`);
            }
        }
    }
    oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
        if (value === undefined) return fallback;
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
        this.add(key, `${show(value)} is not allowed; use one of ${allowed.map(a => `"${a}"`).join(", ")}`);
        return fallback;
    }
    bool(key: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) return fallback;
        if (typeof value === "boolean") return value;
        this.add(key, `${show(value)} is not a boolean; use true or false`);
        return fallback;
    }
    int(key: string, value: unknown, fallback: number, min: number, max: number, unit = ""): number {
        if (value === undefined) return fallback;
        if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
        this.add(key, `${show(value)} is not allowed; use a whole number${unit} from ${min} to ${max}`);
        return fallback;
    }
    str(key: string, value: unknown, fallback?: string): string | undefined {
        if (value === undefined) return fallback;
        if (typeof value === "string" && value.length > 0) return value;
        this.add(key, `${show(value)} is not allowed; use a non-empty string`);
        return fallback;
    }
    object(key: string, value: unknown): value is Record<string, unknown> {
        if (value !== null && typeof value === "object" && !Array.isArray(value)) return true;
        this.add(key, `${show(value)} is not allowed; use an object`);
        return false;
    }
    stringList(key: string, value: unknown): string[] | undefined {
        if (value === undefined) return undefined;
        if (Array.isArray(value) && value.length > 0 && value.every(v => typeof v === "string" && v.length > 0)) {
            return value as string[];
        }
        this.add(key, `${show(value)} is not allowed; use a non-empty list of strings`);
        return undefined;
    }
    stringMap(key: string, value: unknown): Record<string, string> {
        if (value === undefined) return {};
        if (this.object(key, value)) {
            for (const [k, v] of Object.entries(value)) {
                if (typeof v !== "string") this.add(`${key}.${k}`, `${show(v)} is not allowed; use a string`);
            }
            return value as Record<string, string>;
        }
        return {};
    }
}

export function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < 3; i++) {
        if (pa[i] !== pb[i]) return pa[i] - pb[i];
    }
    return 0;
}

function resolveKarpenterVersion(p: Problems, value: unknown): string {
    const version = p.str("karpenterVersion", value, DEFAULT_KARPENTER_VERSION)!;
    const plain = version.replace(/^v/, "");
    if (!SEMVER.test(plain)) {
        p.add("karpenterVersion", `${show(version)} is not a release version; use one like "${DEFAULT_KARPENTER_VERSION}"`);
    } else if (compareVersions(plain, MIN_KARPENTER_VERSION) < 0) {
        p.add("karpenterVersion", `${show(version)} is not supported: versions before ${MIN_KARPENTER_VERSION} still serve the ` +
            `dropped v1beta1 APIs; use ${MIN_KARPENTER_VERSION} or later (default ${DEFAULT_KARPENTER_VERSION})`);
    }
    return plain;
}

function resolvePool(p: Problems, key: string, raw: unknown): ResolvedGpuPool | undefined {
    if (!p.object(key, raw)) return undefined;
    p.unknownKeys(key, raw, POOL_KEYS);
    const name = raw.name;
    if (typeof name !== "string" || !DNS_LABEL.test(name) || name.length > 63) {
        p.add(`${key}.name`, `${show(name)} is not allowed; use a DNS label: lowercase letters, digits and "-", ` +
            `starting and ending with a letter or digit, at most 63 characters`);
    }
    const families = p.stringList(`${key}.instanceFamilies`, raw.instanceFamilies);
    const types = p.stringList(`${key}.instanceTypes`, raw.instanceTypes);
    if (families && types) {
        p.add(key, `set either instanceFamilies or instanceTypes, not both`);
    }
    families?.forEach((family, i) => {
        const problem = nvidiaFamilyProblem(family);
        if (problem) p.add(`${key}.instanceFamilies[${i}]`, problem);
    });
    types?.forEach((type, i) => {
        if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(type)) {
            p.add(`${key}.instanceTypes[${i}]`, `${show(type)} is not an EC2 instance type; use one like "g6e.xlarge"`);
            return;
        }
        const problem = nvidiaFamilyProblem(instanceFamilyOf(type));
        if (problem) p.add(`${key}.instanceTypes[${i}]`, problem);
    });

    let capacityTypes = POOL_DEFAULTS.capacityTypes;
    if (raw.capacityTypes !== undefined) {
        const list = raw.capacityTypes;
        if (!Array.isArray(list) || list.length === 0 ||
            !list.every(v => (CAPACITY_TYPES as readonly unknown[]).includes(v)) || new Set(list).size !== list.length) {
            p.add(`${key}.capacityTypes`, `${show(list)} is not allowed; use a list of distinct values from ` +
                `${CAPACITY_TYPES.map(c => `"${c}"`).join(", ")}`);
        } else {
            capacityTypes = list as CapacityType[];
        }
    }

    const capacityReservations = resolveCapacityReservations(p, key, raw.capacityReservations, capacityTypes);

    const consolidateAfter = p.str(`${key}.consolidateAfter`, raw.consolidateAfter, POOL_DEFAULTS.consolidateAfter)!;
    if (!isKarpenterDuration(consolidateAfter)) {
        p.add(`${key}.consolidateAfter`, `${show(consolidateAfter)} is not a duration; use ${DURATION_FORMAT}`);
    }
    const expireAfter = p.str(`${key}.expireAfter`, raw.expireAfter, POOL_DEFAULTS.expireAfter)!;
    if (!isKarpenterDuration(expireAfter)) {
        p.add(`${key}.expireAfter`, `${show(expireAfter)} is not a duration; use ${DURATION_FORMAT}`);
    }

    const amiAlias = p.str(`${key}.amiAlias`, raw.amiAlias, POOL_DEFAULTS.amiAlias)!;
    const alias = AMI_ALIAS.exec(amiAlias);
    let amiFamily: ResolvedGpuPool["amiFamily"] = "al2023";
    if (!alias) {
        p.add(`${key}.amiAlias`, `${show(amiAlias)} is not an AMI alias; use "<family>@latest" or "<family>@v<version>" ` +
            `with family ${AMI_FAMILIES.map(f => `"${f}"`).join(" or ")}, e.g. "al2023@latest" or "al2023@v20251016"`);
    } else if (alias[1] === "al2") {
        p.add(`${key}.amiAlias`, `${show(amiAlias)} is not allowed: AL2 AMIs end with Kubernetes 1.32; ` +
            `use "al2023@..." or "bottlerocket@..."`);
    } else if (!(AMI_FAMILIES as readonly string[]).includes(alias[1])) {
        p.add(`${key}.amiAlias`, `${show(amiAlias)} is not allowed: GPU pools support the families ` +
            `${AMI_FAMILIES.map(f => `"${f}"`).join(" and ")}`);
    } else {
        amiFamily = alias[1] as ResolvedGpuPool["amiFamily"];
    }

    const labels = p.stringMap(`${key}.labels`, raw.labels);
    for (const [k, v] of Object.entries(labels)) {
        const domain = k.includes("/") ? k.slice(0, k.indexOf("/")) : "";
        if (!LABEL_KEY.test(k) || k.length > 317) {
            p.add(`${key}.labels`, `${show(k)} is not a valid label key`);
        } else if (RESTRICTED_LABEL_DOMAINS.some(d => domain === d || domain.endsWith(`.${d}`))) {
            p.add(`${key}.labels`, `${show(k)} is in a domain Karpenter or Kubernetes reserves ` +
                `(${RESTRICTED_LABEL_DOMAINS.join(", ")}); use your own prefix such as "example.com/team"`);
        }
        if (typeof v === "string" && (!LABEL_VALUE.test(v) || v.length > 63)) {
            p.add(`${key}.labels.${k}`, `${show(v)} is not a valid label value (at most 63 letters, digits, "-", "_" or ".")`);
        }
    }

    return {
        name: String(name),
        instanceFamilies: types ? undefined : families ?? DEFAULT_POOL_FAMILIES,
        instanceTypes: types,
        capacityTypes,
        ...(capacityReservations ? { capacityReservations } : {}),
        gpuLimit: p.int(`${key}.gpuLimit`, raw.gpuLimit, POOL_DEFAULTS.gpuLimit, 1, 10000, " of GPUs"),
        consolidationPolicy: p.oneOf(`${key}.consolidationPolicy`, raw.consolidationPolicy, CONSOLIDATION_POLICIES,
            POOL_DEFAULTS.consolidationPolicy),
        consolidateAfter,
        expireAfter,
        amiAlias,
        amiFamily,
        rootVolumeSize: p.int(`${key}.rootVolumeSize`, raw.rootVolumeSize, POOL_DEFAULTS.rootVolumeSize, 20, 16384, " of GiB"),
        labels,
        weight: raw.weight === undefined ? undefined : p.int(`${key}.weight`, raw.weight, 1, 1, 100),
    };
}

// The EC2NodeClass CRD (v1.14.1) takes at most 30 capacityReservationSelectorTerms, ids matching
// ^cr-[0-9a-z]+$, and at most 20 tags per term, none empty.
const CAPACITY_RESERVATION_ID = /^cr-[0-9a-z]+$/;
const CAPACITY_RESERVATION_KEYS: (keyof CapacityReservationArgs)[] = ["ids", "tags"];

function resolveCapacityReservations(p: Problems, pool: string, value: unknown,
    capacityTypes: CapacityType[]): CapacityReservationArgs | undefined {
    const key = `${pool}.capacityReservations`;
    const reserved = capacityTypes.includes("reserved");
    if (value === undefined) {
        if (reserved) {
            p.add(`${pool}.capacityTypes`, `"reserved" needs ${key}: the capacity reservations the pool may launch into, ` +
                `as ids (e.g. {"ids": ["cr-0123456789abcdef0"]}) and/or tags (e.g. {"tags": {"purpose": "training"}}); ` +
                `without them Karpenter never uses a reservation`);
        }
        return undefined;
    }
    if (!p.object(key, value)) return undefined;
    p.unknownKeys(key, value, CAPACITY_RESERVATION_KEYS);
    if (!reserved) {
        p.add(key, `is set, but ${pool}.capacityTypes does not include "reserved", so Karpenter would never launch into ` +
            `these reservations; add "reserved" to capacityTypes`);
    }
    const ids = p.stringList(`${key}.ids`, value.ids);
    ids?.forEach((id, i) => {
        if (!CAPACITY_RESERVATION_ID.test(id)) {
            p.add(`${key}.ids[${i}]`, `${show(id)} is not a capacity reservation id; use one like "cr-0123456789abcdef0"`);
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
        p.add(key, `name at least one reservation: ids (e.g. ["cr-0123456789abcdef0"]) and/or tags (e.g. {"purpose": "training"})`);
    }
    if ((ids?.length ?? 0) + (tags ? 1 : 0) > 30) {
        p.add(`${key}.ids`, `lists ${ids!.length} reservations; an EC2NodeClass takes at most 30 selector terms (each id is one, the tags one more)`);
    }
    return { ...(ids ? { ids } : {}), ...(tags ? { tags } : {}) };
}

// Karpenter sets these tags on what it launches itself; its EC2NodeClass CRD refuses them.
const RESERVED_TAG_KEYS = ["karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass", "eks:eks-cluster-name"];

function resolveTags(p: Problems, value: unknown): Record<string, string> {
    const tags = p.stringMap("tags", value);
    for (const key of Object.keys(tags)) {
        if (RESERVED_TAG_KEYS.includes(key) || key.startsWith("kubernetes.io/cluster")) {
            p.add(`tags.${key}`, `is set by Karpenter itself; use another key (reserved: ${RESERVED_TAG_KEYS.join(", ")}, kubernetes.io/cluster/*)`);
        }
    }
    return tags;
}

/**
 * Validates and fills in defaults. Throws one GpuKarpenterConfigError listing every problem,
 * each naming the setting, the bad value and what is allowed.
 */
export function resolveArgs(args: GpuKarpenterArgs): ResolvedArgs {
    const p = new Problems();
    const raw = args as unknown as Record<string, unknown>;
    if (!p.object("args", raw)) throw new GpuKarpenterConfigError(p.list.join("\n"));
    p.unknownKeys("", raw, ARG_KEYS);

    const clusterName = raw.clusterName;
    if (typeof clusterName !== "string" || !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(clusterName)) {
        p.add("clusterName", clusterName === undefined
            ? "is required: the name of the EKS cluster to add GPU capacity to"
            : `${show(clusterName)} is not an EKS cluster name (1-100 letters, digits, "-" or "_", starting with a letter or digit)`);
    }
    if (raw.cluster !== undefined && p.object("cluster", raw.cluster)) {
        p.unknownKeys("cluster", raw.cluster, CLUSTER_KEYS);
    }

    const controllerRaw = raw.controller ?? {};
    const controller = { ...CONTROLLER_DEFAULTS, nodeGroup: undefined as string | undefined };
    if (p.object("controller", controllerRaw)) {
        p.unknownKeys("controller", controllerRaw, CONTROLLER_KEYS);
        controller.replicas = p.int("controller.replicas", controllerRaw.replicas, CONTROLLER_DEFAULTS.replicas, 1, 10);
        for (const k of ["cpu", "memory"] as const) {
            const v = p.str(`controller.${k}`, controllerRaw[k], CONTROLLER_DEFAULTS[k])!;
            if (!QUANTITY.test(v)) p.add(`controller.${k}`, `${show(v)} is not a Kubernetes quantity; use one like "${CONTROLLER_DEFAULTS[k]}"`);
            controller[k] = v;
        }
        controller.nodeGroup = p.str("controller.nodeGroup", controllerRaw.nodeGroup);
        controller.logLevel = p.oneOf("controller.logLevel", controllerRaw.logLevel, LOG_LEVELS, CONTROLLER_DEFAULTS.logLevel);
    }

    const devicePluginRaw = raw.devicePlugin ?? {};
    const devicePlugin = { enabled: true, version: DEFAULT_DEVICE_PLUGIN_VERSION };
    if (p.object("devicePlugin", devicePluginRaw)) {
        p.unknownKeys("devicePlugin", devicePluginRaw, DEVICE_PLUGIN_KEYS);
        devicePlugin.enabled = p.bool("devicePlugin.enabled", devicePluginRaw.enabled, true);
        devicePlugin.version = p.str("devicePlugin.version", devicePluginRaw.version, DEFAULT_DEVICE_PLUGIN_VERSION)!.replace(/^v/, "");
        if (!SEMVER.test(devicePlugin.version)) {
            p.add("devicePlugin.version", `${show(devicePluginRaw.version)} is not a chart version; use one like "${DEFAULT_DEVICE_PLUGIN_VERSION}"`);
        }
    }

    const gpuPools: ResolvedGpuPool[] = [];
    const poolsRaw = raw.gpuPools ?? [{ name: "gpu" }];
    if (!Array.isArray(poolsRaw) || poolsRaw.length === 0) {
        p.add("gpuPools", `${show(poolsRaw)} is not allowed; use a non-empty list of pools, e.g. [{"name": "gpu"}]`);
    } else {
        poolsRaw.forEach((poolRaw, i) => {
            const pool = resolvePool(p, `gpuPools[${i}]`, poolRaw);
            if (!pool) return;
            if (gpuPools.some(other => other.name === pool.name)) {
                p.add(`gpuPools[${i}].name`, `${show(pool.name)} is used by another pool; pool names must be unique`);
            }
            gpuPools.push(pool);
        });
    }

    const namespace = p.str("namespace", raw.namespace, "kube-system")!;
    if (!DNS_LABEL.test(namespace)) p.add("namespace", `${show(namespace)} is not a valid Kubernetes namespace (a DNS label)`);

    for (const key of ["subnetIds", "securityGroupIds"] as const) {
        const list = raw[key];
        if (list !== undefined && (!Array.isArray(list) || list.length === 0)) {
            p.add(key, `${show(list)} is not allowed; use a non-empty list of ids, or leave it unset to discover them`);
        }
    }
    const nodeRoleArn = p.str("nodeRoleArn", raw.nodeRoleArn);
    if (nodeRoleArn && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(nodeRoleArn)) {
        p.add("nodeRoleArn", `${show(nodeRoleArn)} is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)`);
    }
    if (nodeRoleArn && raw.nodeRoleName !== undefined) {
        p.add("nodeRoleName", "cannot be set with nodeRoleArn: the node role is brought, not created");
    }

    const resolved: ResolvedArgs = {
        clusterName: String(clusterName),
        cluster: raw.cluster as ClusterDetails | undefined,
        karpenterVersion: resolveKarpenterVersion(p, raw.karpenterVersion),
        namespace,
        identity: p.oneOf("identity", raw.identity, IDENTITIES, "irsa"),
        nodeAccess: p.oneOf("nodeAccess", raw.nodeAccess, NODE_ACCESS_MODES, "auto"),
        nodeRoleArn,
        nodeRoleName: p.str("nodeRoleName", raw.nodeRoleName),
        controllerRoleName: p.str("controllerRoleName", raw.controllerRoleName),
        subnetIds: raw.subnetIds as pulumi.Input<string>[] | undefined,
        securityGroupIds: raw.securityGroupIds as pulumi.Input<string>[] | undefined,
        interruptionQueue: p.bool("interruptionQueue", raw.interruptionQueue, true),
        interruptionQueueName: p.str("interruptionQueueName", raw.interruptionQueueName, String(clusterName))!,
        controller,
        devicePlugin,
        tags: resolveTags(p, raw.tags),
        gpuPools,
        exampleWorkload: p.bool("exampleWorkload", raw.exampleWorkload, false),
    };
    if (p.list.length > 0) {
        throw new GpuKarpenterConfigError(`invalid GpuKarpenter settings:\n  ${p.list.join("\n  ")}`);
    }
    return resolved;
}
