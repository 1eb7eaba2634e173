// The component's inputs, their defaults, and the one validation that both `index.ts` (stack
// config) and direct users of the component go through before any resource is registered. Each
// part's args and checks live with their concern: pool-args.ts, controller-args.ts,
// cluster-args.ts; checks.ts holds what they share.
import * as pulumi from "@pulumi/pulumi";
import { GpuKarpenterConfigError, DNS_LABEL, Problems, settingsError, show } from "./checks";
import {
    ClusterDetails,
    DISCOVERY_MODES,
    DiscoveryMode,
    IDENTITIES,
    Identity,
    NODE_ACCESS_MODES,
    NodeAccessMode,
    POD_IDENTITY_AGENTS,
    PodIdentityAgent,
    ProviderCredentialOpts,
    checkClusterDetails,
    resolveClusterName,
    resolveIds,
    resolveInterruptionQueueName,
    resolveNodeRoleArn,
    resolveProviderCredentialOpts,
    resolveTags,
} from "./cluster-args";
import {
    ControllerSettings,
    DevicePluginSettings,
    ResolvedController,
    resolveController,
    resolveDevicePlugin,
} from "./controller-args";
import { resolveRoleName } from "./aws-names";
import { checkPoolsAgainstKarpenter } from "./compatibility";
import { poolKey } from "./key-path";
import { GpuPool, ResolvedGpuPool, resolvePools } from "./pool-args";
import { BALANCED_SINCE, SEMVER, compareVersions, resolveKarpenterVersion } from "./versions";

/** The inputs of GpuKarpenter: only clusterName is required. */
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
     * With identity "podIdentity", where the Pod Identity agent comes from: "addon" (the cluster's
     * eks-pod-identity-agent add-on, checked before anything is created) or "selfManaged" (you run it,
     * e.g. from its Helm chart; not checked). Default "addon".
     */
    podIdentityAgent?: PodIdentityAgent;
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
    /** Karpenter's controller: replicas, CPU and memory, node group, log level, feature gates. */
    controller?: ControllerSettings;
    /** The NVIDIA device plugin: whether to install it, and its chart version. */
    devicePlugin?: DevicePluginSettings;
    /** Tags for every AWS resource and every instance Karpenter launches. */
    tags?: Record<string, pulumi.Input<string>>;
    /** GPU pools. Default: one spot pool named "gpu". */
    gpuPools?: GpuPool[];
    /** Deploy a one-GPU sample workload that makes a GPU node appear. Default false. */
    exampleWorkload?: boolean;
}

export interface ResolvedArgs {
    clusterName: pulumi.Input<string>;
    cluster?: ClusterDetails;
    karpenterVersion: string;
    namespace: string;
    identity: Identity;
    podIdentityAgent: PodIdentityAgent;
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
    controller: ResolvedController;
    devicePlugin: Required<DevicePluginSettings>;
    tags: Record<string, pulumi.Input<string>>;
    gpuPools: ResolvedGpuPool[];
    exampleWorkload: boolean;
}

const ARG_KEYS: (keyof GpuKarpenterArgs)[] = [
    "clusterName",
    "cluster",
    "karpenterVersion",
    "namespace",
    "identity",
    "podIdentityAgent",
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

/**
 * Validates and fills in defaults. Throws one GpuKarpenterConfigError listing every problem,
 * each naming the setting, the bad value and what is allowed. `meant`: settings the caller already
 * named a misspelling of, not reported again as missing.
 */
export function resolveArgs(args: GpuKarpenterArgs, meant: Iterable<string> = []): ResolvedArgs {
    const p = new Problems(meant);
    const raw = args as unknown as Record<string, unknown>;
    if (!p.object("args", raw)) throw new GpuKarpenterConfigError(p.list.join("\n"));
    p.unknownKeys("", raw, ARG_KEYS);

    const clusterName = resolveClusterName(p, raw.clusterName);
    checkClusterDetails(p, raw.cluster);
    const controller = resolveController(p, raw.controller);
    const devicePlugin = resolveDevicePlugin(p, raw.devicePlugin);
    const gpuPools = resolvePools(p, raw.gpuPools);

    const namespace = p.str("namespace", raw.namespace, "kube-system")!;
    if (!DNS_LABEL.test(namespace))
        p.add("namespace", `${show(namespace)} is not a valid Kubernetes namespace (a DNS label)`);

    const subnetIds = resolveIds(p, "subnetIds", raw.subnetIds);
    const securityGroupIds = resolveIds(p, "securityGroupIds", raw.securityGroupIds);
    const nodeRoleArn = resolveNodeRoleArn(p, raw.nodeRoleArn);
    if (nodeRoleArn !== undefined && raw.nodeRoleName !== undefined) {
        p.add("nodeRoleName", "cannot be set with nodeRoleArn: the node role is brought, not created");
    }

    const karpenterVersion = resolveKarpenterVersion(p, raw.karpenterVersion);
    if (SEMVER.test(karpenterVersion) && compareVersions(karpenterVersion, BALANCED_SINCE) < 0) {
        gpuPools.forEach((pool, i) => {
            if (pool.consolidationPolicy === "Balanced") {
                p.add(
                    `${poolKey(i, pool)}.consolidationPolicy`,
                    `"Balanced" needs Karpenter ${BALANCED_SINCE} or later ` +
                        `(karpenterVersion is ${show(karpenterVersion)}); use "WhenEmpty" or "WhenEmptyOrUnderutilized", or a newer karpenterVersion`,
                );
            }
        });
    }
    checkPoolsAgainstKarpenter(p, karpenterVersion, gpuPools);
    const nodeAccess = p.oneOf("nodeAccess", raw.nodeAccess, NODE_ACCESS_MODES, "auto");
    if (nodeAccess === "none" && nodeRoleArn === undefined) {
        p.add(
            "nodeAccess",
            `"none" needs nodeRoleArn: a node role this stack creates has no access to the cluster ` +
                `unless the stack grants it; use "auto", or bring a role that already has access`,
        );
    }
    const providerCredentialOpts = resolveProviderCredentialOpts(p, raw.providerCredentialOpts);
    const identity = p.oneOf("identity", raw.identity, IDENTITIES, "irsa");
    const podIdentityAgent = p.oneOf("podIdentityAgent", raw.podIdentityAgent, POD_IDENTITY_AGENTS, "addon");
    if (podIdentityAgent === "selfManaged" && identity !== "podIdentity") {
        p.add("podIdentityAgent", `"selfManaged" only applies with identity "podIdentity"; unset it`);
    }

    const resolved: ResolvedArgs = {
        clusterName: clusterName ?? "",
        cluster: raw.cluster as ClusterDetails | undefined,
        karpenterVersion,
        namespace,
        identity,
        podIdentityAgent,
        nodeAccess,
        discovery: p.oneOf("discovery", raw.discovery, DISCOVERY_MODES, "ids"),
        providerCredentialOpts,
        nodeRoleArn,
        nodeRoleName: resolveRoleName(p, "nodeRoleName", raw.nodeRoleName),
        controllerRoleName: resolveRoleName(p, "controllerRoleName", raw.controllerRoleName),
        subnetIds,
        securityGroupIds,
        interruptionQueue: p.bool("interruptionQueue", raw.interruptionQueue, true),
        interruptionQueueName: resolveInterruptionQueueName(p, raw.interruptionQueueName, clusterName),
        controller,
        devicePlugin,
        tags: resolveTags(p, raw.tags),
        gpuPools,
        exampleWorkload: p.bool("exampleWorkload", raw.exampleWorkload, false),
    };
    if (p.list.length > 0) {
        throw settingsError(p.list);
    }
    return resolved;
}
