// The component's inputs, their defaults, and the one validation that both `index.ts` (stack
// config) and direct users of the component go through before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { BOUNDED_DURATION_FORMAT, DURATION_FORMAT, isBoundedDuration, isKarpenterDuration } from "./duration";
import { instanceFamilyProblem, instanceTypeInfo, instanceTypeProblem, listTypes, poolCost } from "./cost";
import { cronProblem } from "./cron";
import { CAPACITY_TYPES, CONSOLIDATION_POLICIES, instanceRequirement } from "./gpu";
import { editDistance } from "./edit-distance";

export { CAPACITY_TYPES, CONSOLIDATION_POLICIES };

export const DEFAULT_KARPENTER_VERSION = "1.14.1";
/** v1beta1 is still served (through conversion webhooks) before 1.1; the v1 API is all we render. */
export const MIN_KARPENTER_VERSION = "1.1.0";
export const DEFAULT_DEVICE_PLUGIN_VERSION = "0.18.2";
/** The first Karpenter whose NodePool CRD accepts consolidationPolicy "Balanced". */
export const BALANCED_SINCE = "1.14.0";

export const IDENTITIES = ["irsa", "podIdentity"] as const;
export const NODE_ACCESS_MODES = ["auto", "accessEntry", "awsAuth", "none"] as const;
export const DISCOVERY_MODES = ["ids", "tags"] as const;
export const AMI_FAMILIES = ["al2023", "bottlerocket"] as const;
export const LOG_LEVELS = ["debug", "info", "error"] as const;
/** What a disruption budget may be limited to (NodePool `spec.disruption.budgets[].reasons`). */
export const DISRUPTION_REASONS = ["Underutilized", "Empty", "Drifted"] as const;
export const INSTANCE_STORE_POLICIES = ["RAID0", "none"] as const;
/** Karpenter's feature gates a pool of GPU nodes may want, both alpha and off in the chart by default. */
export const FEATURE_GATES = ["nodeRepair", "spotToSpotConsolidation"] as const;

export type Identity = (typeof IDENTITIES)[number];
export type NodeAccessMode = (typeof NODE_ACCESS_MODES)[number];
export type DiscoveryMode = (typeof DISCOVERY_MODES)[number];
export type CapacityType = (typeof CAPACITY_TYPES)[number];
export type ConsolidationPolicy = (typeof CONSOLIDATION_POLICIES)[number];
type FeatureGate = (typeof FEATURE_GATES)[number];

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
    /**
     * How long Karpenter waits for a node's pods to leave (PodDisruptionBudgets and
     * `karpenter.sh/do-not-disrupt` pods included) before it terminates the node anyway, whatever
     * the reason: consolidation, drift, expiry, or `pulumi destroy`. Default "1h".
     */
    terminationGracePeriod?: string;
    /** EC2NodeClass AMI alias: `al2023@latest`, `al2023@v20251016`, `bottlerocket@latest`... Default "al2023@latest". */
    amiAlias?: string;
    /** Root (AL2023) or data (Bottlerocket) volume in GiB, gp3 and encrypted. Default 100. */
    rootVolumeSize?: number;
    /** gp3 throughput of that volume in MiB/s, 125-1000 (at most a quarter of its IOPS). Default gp3's 125. */
    rootVolumeThroughput?: number;
    /** gp3 IOPS of that volume, 3000-16000. Default gp3's 3000. */
    rootVolumeIops?: number;
    /**
     * "RAID0": the instance's local NVMe disks as one array holding containerd's images and the
     * kubelet's ephemeral storage (almost every GPU family has them; g5g has none, and then the EBS
     * volume serves). "none": images stay on the EBS volume. Default "RAID0".
     */
    instanceStorePolicy?: (typeof INSTANCE_STORE_POLICIES)[number];
    /**
     * How many of the pool's nodes Karpenter may disrupt at once, when, and for which reasons
     * (`spec.disruption.budgets`). Default: Karpenter's own (10% at any time).
     */
    disruptionBudgets?: DisruptionBudgetArgs[];
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

export interface DisruptionBudgetArgs {
    /** A number of nodes ("0", 1) or a percentage of the pool ("10%"). */
    nodes: string | number;
    /** Only these disruptions count against the budget; default every one. */
    reasons?: (typeof DISRUPTION_REASONS)[number][];
    /** When the budget applies: a cron in UTC such as "0 8 * * mon-fri"; set with duration. */
    schedule?: string;
    /** How long it applies from each schedule time, in hours and minutes: "10h", "90m", "1h30m". */
    duration?: string;
}

export interface FeatureGatesArgs {
    /** Replace nodes whose conditions stay unhealthy, GPUs' included (needs the EKS node monitoring agent). */
    nodeRepair?: boolean;
    /** Let consolidation replace a spot node with a cheaper spot node. */
    spotToSpotConsolidation?: boolean;
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
    /** Alpha features of Karpenter to turn on; all off by default. */
    featureGates?: FeatureGatesArgs;
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

/** Whose AWS identity `aws eks get-token` logs in to the cluster with (as pulumi-eks's providerCredentialOpts). */
export interface ProviderCredentialOpts {
    /** AWS CLI profile. Default: the stack's `aws:profile`. */
    profileName?: string;
    /** Role to assume for the token. Default: the last role of the stack's `aws:assumeRoles`. */
    roleArn?: string;
}

export interface GpuKarpenterArgs {
    /**
     * The EKS cluster's name. A plain string is looked up (endpoint, CA, OIDC, security group,
     * authentication mode, node groups' subnets). An Output, such as the name of a cluster created
     * in the same program, cannot be looked up before it exists: pass `cluster` and `subnetIds` with it.
     */
    clusterName: pulumi.Input<string>;
    /** Skip the look-ups of an existing cluster (needed when the cluster is created in the same program). */
    cluster?: ClusterDetails;
    /** Karpenter chart and CRD chart version. Default 1.14.1; at least 1.1. */
    karpenterVersion?: string;
    /** Namespace of the controller. Default "kube-system". */
    namespace?: string;
    /** How the controller gets AWS credentials. Default "irsa". */
    identity?: Identity;
    /**
     * How GPU nodes may join: an access entry, an aws-auth mapping, chosen by the cluster's
     * authentication mode ("auto"), or "none" when the node role already has access (a role a
     * managed node group uses has an access entry EKS created). Default "auto".
     */
    nodeAccess?: NodeAccessMode;
    /**
     * How EC2NodeClasses select subnets and security groups: "ids" (by id, nothing shared is
     * changed) or "tags" (tag them `karpenter.sh/discovery=<cluster>`, as the manual guide does;
     * refused where another cluster's value is there already). Default "ids".
     */
    discovery?: DiscoveryMode;
    /** Login for the Kubernetes provider the component builds (unused when one is passed in `opts.providers`). */
    providerCredentialOpts?: ProviderCredentialOpts;
    /**
     * Bring your own node role (its ARN) instead of creating one. With nodeAccess "auto", a plain
     * ARN is checked for an existing access entry, which is kept; an Output gets a new one.
     */
    nodeRoleArn?: pulumi.Input<string>;
    /** Name of the node role to create (default: generated). */
    nodeRoleName?: string;
    /** Name of the controller role to create (default: generated). */
    controllerRoleName?: string;
    /**
     * Subnets for GPU nodes. Default: the subnets of the cluster's node groups. With discovery
     * "tags" the list and each id must be plain: there is one tag per subnet, checked first.
     */
    subnetIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups for GPU nodes. Default: the cluster security group. Plain with discovery "tags". */
    securityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** SQS interruption queue with its EventBridge rules. Default true. */
    interruptionQueue?: boolean;
    /** Interruption queue name. Default: the cluster name. */
    interruptionQueueName?: pulumi.Input<string>;
    controller?: ControllerArgs;
    devicePlugin?: DevicePluginArgs;
    /** Tags for every AWS resource and every instance Karpenter launches. */
    tags?: Record<string, pulumi.Input<string>>;
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
    terminationGracePeriod: string;
    amiAlias: string;
    amiFamily: (typeof AMI_FAMILIES)[number];
    rootVolumeSize: number;
    rootVolumeThroughput?: number;
    rootVolumeIops?: number;
    instanceStorePolicy: (typeof INSTANCE_STORE_POLICIES)[number];
    disruptionBudgets?: ResolvedDisruptionBudget[];
    labels: Record<string, string>;
    weight?: number;
}

export interface ResolvedDisruptionBudget {
    nodes: string;
    reasons?: (typeof DISRUPTION_REASONS)[number][];
    schedule?: string;
    duration?: string;
}

export interface ResolvedArgs {
    clusterName: pulumi.Input<string>;
    cluster?: ClusterDetails;
    karpenterVersion: string;
    namespace: string;
    identity: Identity;
    nodeAccess: NodeAccessMode;
    discovery: DiscoveryMode;
    providerCredentialOpts: ProviderCredentialOpts;
    nodeRoleArn?: pulumi.Input<string>;
    nodeRoleName?: string;
    controllerRoleName?: string;
    subnetIds?: pulumi.Input<pulumi.Input<string>[]>;
    securityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
    interruptionQueue: boolean;
    interruptionQueueName: pulumi.Input<string>;
    controller: Required<Omit<ControllerArgs, "nodeGroup" | "featureGates">> & {
        nodeGroup?: string;
        featureGates: Required<FeatureGatesArgs>;
    };
    devicePlugin: Required<DevicePluginArgs>;
    tags: Record<string, pulumi.Input<string>>;
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
    terminationGracePeriod: "1h",
    amiAlias: "al2023@latest",
    rootVolumeSize: 100,
    instanceStorePolicy: "RAID0" as (typeof INSTANCE_STORE_POLICIES)[number],
};

export const CONTROLLER_DEFAULTS = {
    replicas: 2,
    cpu: "1",
    memory: "1Gi",
    logLevel: "info" as (typeof LOG_LEVELS)[number],
};

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
    "clusterName",
    "cluster",
    "karpenterVersion",
    "namespace",
    "identity",
    "nodeAccess",
    "discovery",
    "providerCredentialOpts",
    "nodeRoleArn",
    "nodeRoleName",
    "controllerRoleName",
    "subnetIds",
    "securityGroupIds",
    "interruptionQueue",
    "interruptionQueueName",
    "controller",
    "devicePlugin",
    "tags",
    "gpuPools",
    "exampleWorkload",
];
const POOL_KEYS: (keyof GpuPoolArgs)[] = [
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
    "disruptionBudgets",
    "labels",
    "weight",
];
const CONTROLLER_KEYS: (keyof ControllerArgs)[] = [
    "replicas",
    "cpu",
    "memory",
    "nodeGroup",
    "logLevel",
    "featureGates",
];
const BUDGET_KEYS: (keyof DisruptionBudgetArgs)[] = ["nodes", "reasons", "schedule", "duration"];
const BUDGET_NODES = /^((100|[0-9]{1,2})%|[0-9]+)$/;
// The CRD's pattern for a budget's duration, without the "0s" tail it also tolerates.
const BUDGET_DURATION = /^(([0-9]+(h|m))|([0-9]+h[0-9]+m))$/;
/** gp3 allows at most 0.25 MiB/s of throughput per provisioned IOPS. */
const GP3_MIBS_PER_IOPS = 0.25;
const GP3_BASELINE_IOPS = 3000;
const DEVICE_PLUGIN_KEYS: (keyof DevicePluginArgs)[] = ["enabled", "version"];
const CLUSTER_KEYS: (keyof ClusterDetails)[] = [
    "endpoint",
    "certificateAuthority",
    "oidcIssuerUrl",
    "oidcProviderArn",
    "clusterSecurityGroupId",
    "authenticationMode",
];

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const ROLE_ARN_FORMAT = "an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;
const AMI_ALIAS = /^([a-z0-9]+)@(latest|v[0-9][0-9a-z.-]*)$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const LABEL_KEY =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// Karpenter owns these label domains; NodePool labels in them are rejected by its CRD.
const RESTRICTED_LABEL_DOMAINS = ["karpenter.sh", "karpenter.k8s.aws", "kubernetes.io", "k8s.io"];

/** A value given directly, as opposed to an Output or promise of one. */
export function isPlain<T>(value: pulumi.Input<T>): value is T {
    return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/** The value when it is given plainly; undefined when it is only known once resources exist. */
export function plainValue<T>(value: pulumi.Input<T> | undefined): T | undefined {
    return value !== undefined && isPlain(value) ? value : undefined;
}

function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

// Shared by the plain checks and by inputs checked once their value is known, so both say the same.
const nonEmptyStringProblem = (v: unknown) =>
    typeof v === "string" && v.length > 0 ? undefined : `${show(v)} is not allowed; use a non-empty string`;
const stringProblem = (v: unknown) => (typeof v === "string" ? undefined : `${show(v)} is not allowed; use a string`);

/** Closest allowed key, for "did you mean" on a misspelt key. */
export function closest(key: string, allowed: readonly string[], maxDistance?: number): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of allowed) {
        const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    return bestDistance <= (maxDistance ?? Math.max(2, Math.floor(key.length / 3))) ? best : undefined;
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
                this.add(
                    where ? `${where}.${key}` : key,
                    `unknown setting${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${allowed.join(", ")}`,
                );
            }
        }
    }
    oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
        if (value === undefined) return fallback;
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
        this.add(key, `${show(value)} is not allowed; use one of ${allowed.map(a => `"${a}"`).join(", ")}`);
        return fallback;
    }
    /** An optional non-empty list of distinct values, each one of `allowed`; undefined when unset or bad. */
    distinctList<T extends string>(key: string, value: unknown, allowed: readonly T[]): T[] | undefined {
        if (value === undefined) return undefined;
        if (
            Array.isArray(value) &&
            value.length > 0 &&
            new Set(value).size === value.length &&
            value.every(v => (allowed as readonly unknown[]).includes(v))
        ) {
            return value as T[];
        }
        this.add(
            key,
            `${show(value)} is not allowed; use a list of distinct values from ${allowed.map(a => `"${a}"`).join(", ")}`,
        );
        return undefined;
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
        const why = nonEmptyStringProblem(value);
        if (!why) return value as string;
        this.add(key, why);
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
    /**
     * An input that may come from another resource: checked now when plain; otherwise checked when
     * its value is known, failing the deployment with the same message.
     */
    input<T>(key: string, value: pulumi.Input<T>, problem: (v: T) => string | undefined): pulumi.Input<T> {
        if (isPlain(value)) {
            const why = problem(value);
            if (why) this.add(key, why);
            return value;
        }
        return pulumi.output(value).apply(v => {
            const why = problem(v as T);
            if (why) throw new GpuKarpenterConfigError(`invalid GpuKarpenter settings:\n  ${key}: ${why}`);
            return v;
        }) as pulumi.Input<T>;
    }
    /** An optional string input that must match `pattern`; otherwise it "is not" `what`. */
    matching(key: string, value: unknown, pattern: RegExp, what: string): pulumi.Input<string> | undefined {
        if (value === undefined) return undefined;
        return this.input(key, value as pulumi.Input<string>, v =>
            typeof v === "string" && pattern.test(v) ? undefined : `${show(v)} is not ${what}`,
        );
    }
    stringMap(key: string, value: unknown): Record<string, string> {
        if (value === undefined) return {};
        if (this.object(key, value)) {
            for (const [k, v] of Object.entries(value)) {
                const why = stringProblem(v);
                if (why) this.add(`${key}.${k}`, why);
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
        p.add(
            "karpenterVersion",
            `${show(version)} is not a release version; use one like "${DEFAULT_KARPENTER_VERSION}"`,
        );
    } else if (compareVersions(plain, MIN_KARPENTER_VERSION) < 0) {
        p.add(
            "karpenterVersion",
            `${show(version)} is not supported: versions before ${MIN_KARPENTER_VERSION} still serve the ` +
                `dropped v1beta1 APIs; use ${MIN_KARPENTER_VERSION} or later (default ${DEFAULT_KARPENTER_VERSION})`,
        );
    }
    return plain;
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
    // Checked against the instance-type table (components/cost.ts), which the ceiling uses too.
    families?.forEach((family, i) => {
        const problem = instanceFamilyProblem(family);
        if (problem) p.add(`${key}.instanceFamilies[${i}]`, problem);
    });
    types?.forEach((type, i) => {
        const problem = instanceTypeProblem(type);
        if (problem) p.add(`${key}.instanceTypes[${i}]`, problem);
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

    const consolidateAfter = p.str(`${key}.consolidateAfter`, raw.consolidateAfter, POOL_DEFAULTS.consolidateAfter)!;
    if (!isKarpenterDuration(consolidateAfter)) {
        p.add(`${key}.consolidateAfter`, `${show(consolidateAfter)} is not a duration; use ${DURATION_FORMAT}`);
    }
    const expireAfter = p.str(`${key}.expireAfter`, raw.expireAfter, POOL_DEFAULTS.expireAfter)!;
    if (!isKarpenterDuration(expireAfter)) {
        p.add(`${key}.expireAfter`, `${show(expireAfter)} is not a duration; use ${DURATION_FORMAT}`);
    }
    const terminationGracePeriod = p.str(
        `${key}.terminationGracePeriod`,
        raw.terminationGracePeriod,
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
    }

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
        rootVolumeThroughput,
        rootVolumeIops,
        instanceStorePolicy: p.oneOf(
            `${key}.instanceStorePolicy`,
            raw.instanceStorePolicy,
            INSTANCE_STORE_POLICIES,
            POOL_DEFAULTS.instanceStorePolicy,
        ),
        disruptionBudgets,
        labels,
        weight: raw.weight === undefined ? undefined : p.int(`${key}.weight`, raw.weight, 1, 1, 100),
    };
}

// The EC2NodeClass CRD (v1.14.1) takes at most 30 capacityReservationSelectorTerms, ids matching
// ^cr-[0-9a-z]+$, and at most 20 tags per term, none empty.
const CAPACITY_RESERVATION_ID = /^cr-[0-9a-z]+$/;
const CAPACITY_RESERVATION_KEYS: (keyof CapacityReservationArgs)[] = ["ids", "tags"];

function resolveCapacityReservations(
    p: Problems,
    pool: string,
    value: unknown,
    capacityTypes: CapacityType[],
): CapacityReservationArgs | undefined {
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
        if (typeof nodes !== "string" || !BUDGET_NODES.test(nodes)) {
            p.add(
                `${at}.nodes`,
                raw.nodes === undefined
                    ? `is required: a number of nodes ("0", 1) or a percentage ("10%")`
                    : `${show(raw.nodes)} is not allowed; use a whole number of nodes ("0", 1) or a percentage from "0%" to "100%"`,
            );
        }
        const reasons = p.distinctList(`${at}.reasons`, raw.reasons, DISRUPTION_REASONS);
        const schedule = p.str(`${at}.schedule`, raw.schedule);
        const duration = p.str(`${at}.duration`, raw.duration);
        if ((schedule === undefined) !== (duration === undefined)) {
            p.add(
                at,
                `schedule and duration go together: set both (when the budget starts, and for how long) or neither`,
            );
        }
        const scheduleProblem = schedule === undefined ? undefined : cronProblem(schedule);
        if (scheduleProblem) p.add(`${at}.schedule`, `${scheduleProblem} (times are UTC)`);
        if (duration !== undefined && !BUDGET_DURATION.test(duration)) {
            p.add(
                `${at}.duration`,
                `${show(duration)} is not allowed; use hours and minutes only, such as "10h", "90m" or "1h30m"`,
            );
        }
        return {
            nodes: String(nodes),
            ...(reasons ? { reasons } : {}),
            ...(schedule !== undefined ? { schedule } : {}),
            ...(duration !== undefined ? { duration } : {}),
        };
    });
}

// Karpenter sets these tags on what it launches itself; its EC2NodeClass CRD refuses them.
const RESERVED_TAG_KEYS = [
    "karpenter.sh/nodepool",
    "karpenter.sh/nodeclaim",
    "karpenter.k8s.aws/ec2nodeclass",
    "eks:eks-cluster-name",
];

function resolveTags(p: Problems, value: unknown): Record<string, pulumi.Input<string>> {
    if (value === undefined || !p.object("tags", value)) return {};
    const tags: Record<string, pulumi.Input<string>> = {};
    for (const [key, tag] of Object.entries(value)) {
        if (RESERVED_TAG_KEYS.includes(key) || key.startsWith("kubernetes.io/cluster")) {
            p.add(
                `tags.${key}`,
                `is set by Karpenter itself; use another key (reserved: ${RESERVED_TAG_KEYS.join(", ")}, kubernetes.io/cluster/*)`,
            );
        }
        tags[key] = p.input(`tags.${key}`, tag as pulumi.Input<string>, stringProblem);
    }
    return tags;
}

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;

/** A list of ids, or an Output of one: non-empty, every id a non-empty string (checked when known). */
function resolveIds(p: Problems, key: string, value: unknown): pulumi.Input<pulumi.Input<string>[]> | undefined {
    if (value === undefined) return undefined;
    const problem = (list: unknown) =>
        !Array.isArray(list) || list.length === 0
            ? `${show(list)} is not allowed; use a non-empty list of ids, or leave it unset to discover them`
            : undefined;
    const idProblem = (id: unknown) =>
        typeof id === "string" && id.length > 0 ? undefined : `${show(id)} is not an id`;
    const list = p.input(key, value as pulumi.Input<unknown[]>, problem);
    if (!isPlain(list) || problem(list)) return list as pulumi.Input<pulumi.Input<string>[]>;
    return list.map((id, i) => p.input(`${key}[${i}]`, id as pulumi.Input<string>, idProblem));
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

    const clusterName = p.matching(
        "clusterName",
        raw.clusterName,
        CLUSTER_NAME,
        `an EKS cluster name (1-100 letters, digits, "-" or "_", starting with a letter or digit)`,
    );
    if (clusterName === undefined)
        p.add("clusterName", "is required: the name of the EKS cluster to add GPU capacity to");
    if (raw.cluster !== undefined && p.object("cluster", raw.cluster)) {
        p.unknownKeys("cluster", raw.cluster, CLUSTER_KEYS);
    }

    const controllerRaw = raw.controller ?? {};
    const controller: ResolvedArgs["controller"] = {
        ...CONTROLLER_DEFAULTS,
        nodeGroup: undefined,
        // Typed by FEATURE_GATES, so a gate FeatureGatesArgs has and the list lacks does not compile.
        featureGates: Object.fromEntries(FEATURE_GATES.map(gate => [gate, false])) as Record<FeatureGate, boolean>,
    };
    if (p.object("controller", controllerRaw)) {
        p.unknownKeys("controller", controllerRaw, CONTROLLER_KEYS);
        controller.replicas = p.int("controller.replicas", controllerRaw.replicas, CONTROLLER_DEFAULTS.replicas, 1, 10);
        for (const k of ["cpu", "memory"] as const) {
            const v = p.str(`controller.${k}`, controllerRaw[k], CONTROLLER_DEFAULTS[k])!;
            if (!QUANTITY.test(v))
                p.add(
                    `controller.${k}`,
                    `${show(v)} is not a Kubernetes quantity; use one like "${CONTROLLER_DEFAULTS[k]}"`,
                );
            controller[k] = v;
        }
        controller.nodeGroup = p.str("controller.nodeGroup", controllerRaw.nodeGroup);
        controller.logLevel = p.oneOf(
            "controller.logLevel",
            controllerRaw.logLevel,
            LOG_LEVELS,
            CONTROLLER_DEFAULTS.logLevel,
        );
        const gates = controllerRaw.featureGates;
        if (gates !== undefined && p.object("controller.featureGates", gates)) {
            p.unknownKeys("controller.featureGates", gates, FEATURE_GATES);
            for (const gate of FEATURE_GATES) {
                controller.featureGates[gate] = p.bool(`controller.featureGates.${gate}`, gates[gate], false);
            }
        }
    }

    const devicePluginRaw = raw.devicePlugin ?? {};
    const devicePlugin = { enabled: true, version: DEFAULT_DEVICE_PLUGIN_VERSION };
    if (p.object("devicePlugin", devicePluginRaw)) {
        p.unknownKeys("devicePlugin", devicePluginRaw, DEVICE_PLUGIN_KEYS);
        devicePlugin.enabled = p.bool("devicePlugin.enabled", devicePluginRaw.enabled, true);
        devicePlugin.version = p
            .str("devicePlugin.version", devicePluginRaw.version, DEFAULT_DEVICE_PLUGIN_VERSION)!
            .replace(/^v/, "");
        if (!SEMVER.test(devicePlugin.version)) {
            p.add(
                "devicePlugin.version",
                `${show(devicePluginRaw.version)} is not a chart version; use one like "${DEFAULT_DEVICE_PLUGIN_VERSION}"`,
            );
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
    if (!DNS_LABEL.test(namespace))
        p.add("namespace", `${show(namespace)} is not a valid Kubernetes namespace (a DNS label)`);

    const subnetIds = resolveIds(p, "subnetIds", raw.subnetIds);
    const securityGroupIds = resolveIds(p, "securityGroupIds", raw.securityGroupIds);
    const nodeRoleArn = p.matching("nodeRoleArn", raw.nodeRoleArn, ROLE_ARN, ROLE_ARN_FORMAT);
    if (nodeRoleArn !== undefined && raw.nodeRoleName !== undefined) {
        p.add("nodeRoleName", "cannot be set with nodeRoleArn: the node role is brought, not created");
    }

    const karpenterVersion = resolveKarpenterVersion(p, raw.karpenterVersion);
    if (SEMVER.test(karpenterVersion) && compareVersions(karpenterVersion, BALANCED_SINCE) < 0) {
        gpuPools.forEach((pool, i) => {
            if (pool.consolidationPolicy === "Balanced") {
                p.add(
                    `gpuPools[${i}].consolidationPolicy`,
                    `"Balanced" needs Karpenter ${BALANCED_SINCE} or later ` +
                        `(karpenterVersion is ${show(karpenterVersion)}); use "WhenEmpty" or "WhenEmptyOrUnderutilized", or a newer karpenterVersion`,
                );
            }
        });
    }
    const nodeAccess = p.oneOf("nodeAccess", raw.nodeAccess, NODE_ACCESS_MODES, "auto");
    if (nodeAccess === "none" && nodeRoleArn === undefined) {
        p.add(
            "nodeAccess",
            `"none" needs nodeRoleArn: a node role this stack creates has no access to the cluster ` +
                `unless the stack grants it; use "auto", or bring a role that already has access`,
        );
    }
    const providerCredentialOpts: ProviderCredentialOpts = {};
    if (raw.providerCredentialOpts !== undefined && p.object("providerCredentialOpts", raw.providerCredentialOpts)) {
        const opts = raw.providerCredentialOpts;
        p.unknownKeys("providerCredentialOpts", opts, ["profileName", "roleArn"]);
        providerCredentialOpts.profileName = p.str("providerCredentialOpts.profileName", opts.profileName);
        // Not p.matching: the login needs a plain string, and an empty or non-string one keeps p.str's message.
        const roleArn = p.str("providerCredentialOpts.roleArn", opts.roleArn);
        if (roleArn && !ROLE_ARN.test(roleArn)) {
            p.add("providerCredentialOpts.roleArn", `${show(roleArn)} is not ${ROLE_ARN_FORMAT}`);
        }
        providerCredentialOpts.roleArn = roleArn;
    }

    const resolved: ResolvedArgs = {
        clusterName: clusterName ?? "",
        cluster: raw.cluster as ClusterDetails | undefined,
        karpenterVersion,
        namespace,
        identity: p.oneOf("identity", raw.identity, IDENTITIES, "irsa"),
        nodeAccess,
        discovery: p.oneOf("discovery", raw.discovery, DISCOVERY_MODES, "ids"),
        providerCredentialOpts,
        nodeRoleArn,
        nodeRoleName: p.str("nodeRoleName", raw.nodeRoleName),
        controllerRoleName: p.str("controllerRoleName", raw.controllerRoleName),
        subnetIds,
        securityGroupIds,
        interruptionQueue: p.bool("interruptionQueue", raw.interruptionQueue, true),
        interruptionQueueName:
            raw.interruptionQueueName === undefined
                ? (clusterName ?? "")
                : p.input(
                      "interruptionQueueName",
                      raw.interruptionQueueName as pulumi.Input<string>,
                      nonEmptyStringProblem,
                  ),
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
