// GPU NodePools and EC2NodeClasses: pure builders of the v1 objects, and their registration.
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions";
import type { INodePool } from "@kubernetes-models/karpenter/karpenter.sh/v1/NodePool";
import type { IEC2NodeClass } from "@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass";
import type { CapacityReservation, ResolvedGpuPool } from "./pool-args";
import type { KubernetesOptions } from "./controller";
import { CAPACITY_TYPE_LABEL, GPU_MANUFACTURER_LABEL, NVIDIA_GPU_RESOURCE, instanceRequirement } from "./gpu";
import { durationSeconds } from "./duration";
import { BOTTLEROCKET_DATA_DEVICE, nodeClassUserData } from "./image-pull";

export const DISCOVERY_TAG = "karpenter.sh/discovery";
export const GPU_TAINT = { key: NVIDIA_GPU_RESOURCE, value: "true", effect: "NoSchedule" as const };

// The builders' return types are what they build, checked (`satisfies`) against the typed Karpenter
// models of @kubernetes-models, which stay out of the declarations: those packages are ES modules
// only, which a CommonJS consumer's compiler cannot load.

export function nodePoolManifest(pool: ResolvedGpuPool, nodeClassName: string) {
    return {
        apiVersion: "karpenter.sh/v1",
        kind: "NodePool",
        metadata: { name: pool.name },
        spec: {
            template: {
                metadata: { labels: { ...pool.labels } },
                spec: {
                    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodeClassName },
                    requirements: [
                        { key: CAPACITY_TYPE_LABEL, operator: "In", values: [...pool.capacityTypes] },
                        instanceRequirement(pool),
                        { key: GPU_MANUFACTURER_LABEL, operator: "In", values: ["nvidia"] },
                        { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
                    ],
                    taints: [{ ...GPU_TAINT }],
                    expireAfter: pool.expireAfter,
                    terminationGracePeriod: pool.terminationGracePeriod,
                },
            },
            limits: { [NVIDIA_GPU_RESOURCE]: pool.gpuLimit },
            disruption: {
                consolidationPolicy: pool.consolidationPolicy,
                consolidateAfter: pool.consolidateAfter,
                ...(pool.disruptionBudgets ? { budgets: pool.disruptionBudgets.map(b => ({ ...b })) } : {}),
            },
            ...(pool.weight === undefined ? {} : { weight: pool.weight }),
        },
    } satisfies INodePool;
}

/**
 * Block devices sized for AI images. AL2023 keeps images on its root volume; Bottlerocket keeps
 * them on a second (data) volume and its root only holds the OS. Giving blockDeviceMappings replaces
 * Karpenter's defaults, so Bottlerocket's OS volume is declared too. With imageSnapshot the data
 * volume is restored from the snapshot, encrypted as the snapshot is (EC2 takes no encryption
 * setting for a volume from a snapshot; the EC2NodeClass CRD says so of `encrypted`).
 */
export function blockDeviceMappings(pool: ResolvedGpuPool) {
    const volume = (size: number) => ({
        volumeSize: `${size}Gi`,
        volumeType: "gp3" as const,
        encrypted: true,
        deleteOnTermination: true,
    });
    // Faster image pulls where there is no instance store to hold them.
    const speed = {
        ...(pool.rootVolumeIops === undefined ? {} : { iops: pool.rootVolumeIops }),
        ...(pool.rootVolumeThroughput === undefined ? {} : { throughput: pool.rootVolumeThroughput }),
    };
    const imageVolume = { ...volume(pool.rootVolumeSize), ...speed };
    if (pool.amiFamily !== "bottlerocket") return [{ deviceName: "/dev/xvda", rootVolume: true, ebs: imageVolume }];
    const snapshot = pool.imageSnapshot;
    const dataVolume = snapshot
        ? {
              volumeSize: `${pool.rootVolumeSize}Gi`,
              volumeType: "gp3" as const,
              deleteOnTermination: true,
              snapshotID: snapshot.snapshotId,
              ...(snapshot.initializationRate === undefined
                  ? {}
                  : { volumeInitializationRate: snapshot.initializationRate }),
              ...speed,
          }
        : imageVolume;
    return [
        { deviceName: "/dev/xvda", ebs: volume(4) },
        { deviceName: BOTTLEROCKET_DATA_DEVICE, ebs: dataVolume },
    ];
}

/** Terms are ORed: each reservation id is one, and the tags select every reservation carrying them all. */
export function capacityReservationSelectorTerms(reservations: CapacityReservation) {
    return [
        ...(reservations.ids ?? []).map(id => ({ id })),
        ...(reservations.tags ? [{ tags: { ...reservations.tags } }] : []),
    ];
}

/** Where GPU nodes go: the subnets and security groups by id, or whatever carries the discovery tag. */
export type NodeNetwork = { discovery: "ids"; subnetIds: string[]; securityGroupIds: string[] } | { discovery: "tags" };

export function ec2NodeClassManifest(
    pool: ResolvedGpuPool,
    opts: {
        clusterName: string;
        nodeRoleName: string;
        network: NodeNetwork;
        tags: Record<string, string>;
    },
) {
    const byTag = [{ tags: { [DISCOVERY_TAG]: opts.clusterName } }];
    const { network } = opts;
    const userData = nodeClassUserData(pool);
    return {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: pool.name },
        spec: {
            role: opts.nodeRoleName,
            amiSelectorTerms: [{ alias: pool.amiAlias }],
            subnetSelectorTerms: network.discovery === "ids" ? network.subnetIds.map(id => ({ id })) : byTag,
            securityGroupSelectorTerms:
                network.discovery === "ids" ? network.securityGroupIds.map(id => ({ id })) : byTag,
            ...(pool.capacityReservations
                ? { capacityReservationSelectorTerms: capacityReservationSelectorTerms(pool.capacityReservations) }
                : {}),
            blockDeviceMappings: blockDeviceMappings(pool),
            ...(pool.instanceStorePolicy === "RAID0" ? { instanceStorePolicy: "RAID0" as const } : {}),
            ...(userData === undefined ? {} : { userData }),
            // IMDSv2 only, and one hop so pods cannot borrow the node role.
            metadataOptions: {
                httpEndpoint: "enabled",
                httpProtocolIPv6: "disabled",
                httpPutResponseHopLimit: 1,
                httpTokens: "required",
            },
            ...(Object.keys(opts.tags).length ? { tags: { ...opts.tags } } : {}),
        },
    } satisfies IEC2NodeClass;
}

/** Long enough for Karpenter to drain a node for the whole grace period and then terminate its instance. */
export function nodePoolDeleteTimeout(pool: ResolvedGpuPool): string {
    return `${Math.ceil(durationSeconds(pool.terminationGracePeriod)! / 60) + INSTANCE_TERMINATION_MINUTES}m`;
}

/** What a NodeClaim needs after its drain: the EC2 instance to shut down, and the finalizer to clear. */
const INSTANCE_TERMINATION_MINUTES = 15;

/** Karpenter's Ready condition for the spec as it is now: each condition records the generation it judged. */
const currentReady = (status: "True" | "False") =>
    `$.status.conditions[?(@.type == "Ready" && (@.status == "${status}" && @.observedGeneration == $.metadata.generation))]`;

/**
 * What `pulumi up` waits for on each EC2NodeClass, so that it fails, rather than leave a pool that can
 * never launch, when Karpenter cannot resolve the role, subnets, security groups or AMI. An RFC 9535
 * JSONPath (pulumi-kubernetes 4.24 and later): satisfied once the current Ready condition is True.
 * While it is False the path selects the whole conditions list, and the provider's error when the
 * wait runs out prints that list, each condition's message with it (provider/pkg/jsonpath/jsonpath.go
 * `Matches`, await/internal/awaiter.go `Await`). `condition=Ready` said only "timed out waiting for
 * the condition", and Ready's own message names just the failing condition ("SubnetsReady=False").
 */
const NODE_CLASS_READY_AWAIT =
    "jsonpath={.status..[?(" +
    `(@ == "True" && ${currentReady("True")}) || (@ == $.status.conditions && ${currentReady("False")})` +
    ")]}=True";

export interface GpuPoolResources {
    nodeClasses: CustomResource[];
    nodePools: CustomResource[];
}

/**
 * Registers each pool's EC2NodeClass and NodePool. Deletion order matters so `pulumi destroy`
 * leaves no GPU instance running: a NodePool goes first (foreground deletion waits for its
 * NodeClaims, so for its instances to terminate), then its EC2NodeClass, while the controller,
 * which `controller` is, still runs to do both.
 */
export function registerGpuPools(
    componentName: string,
    pools: ResolvedGpuPool[],
    opts: {
        clusterName: pulumi.Input<string>;
        nodeRoleName: pulumi.Input<string>;
        network: pulumi.Input<NodeNetwork>;
        tags: Record<string, pulumi.Input<string>>;
        controller: pulumi.Resource;
        devicePlugin?: pulumi.Resource;
        k8s: KubernetesOptions;
    },
): GpuPoolResources {
    const nodeClasses: CustomResource[] = [];
    const nodePools: CustomResource[] = [];
    for (const pool of pools) {
        const nodeClassSpec = pulumi
            .all([opts.clusterName, opts.nodeRoleName, opts.network, opts.tags])
            .apply(
                ([clusterName, nodeRoleName, network, tags]) =>
                    ec2NodeClassManifest(pool, { clusterName, nodeRoleName, network, tags }).spec,
            );
        const nodeClass = new CustomResource(
            `${componentName}-${pool.name}-nodeclass`,
            {
                apiVersion: "karpenter.k8s.aws/v1",
                kind: "EC2NodeClass",
                metadata: {
                    name: pool.name,
                    annotations: { "pulumi.com/waitFor": NODE_CLASS_READY_AWAIT },
                },
                spec: nodeClassSpec,
            },
            { ...opts.k8s, dependsOn: [opts.controller], customTimeouts: { create: "5m", update: "5m" } },
        );

        const manifest = nodePoolManifest(pool, pool.name);
        const nodePool = new CustomResource(
            `${componentName}-${pool.name}-nodepool`,
            {
                apiVersion: manifest.apiVersion,
                kind: manifest.kind,
                metadata: { name: pool.name, annotations: { "pulumi.com/deletionPropagationPolicy": "foreground" } },
                spec: manifest.spec,
            },
            {
                ...opts.k8s,
                dependsOn: [nodeClass, opts.controller, ...(opts.devicePlugin ? [opts.devicePlugin] : [])],
                // Deletion waits for every node's drain (up to its terminationGracePeriod) and termination.
                customTimeouts: { delete: nodePoolDeleteTimeout(pool) },
            },
        );
        nodeClasses.push(nodeClass);
        nodePools.push(nodePool);
    }
    return { nodeClasses, nodePools };
}
