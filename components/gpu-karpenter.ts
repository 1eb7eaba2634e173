import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/kubernetes/provider";
import { GpuKarpenterArgs, ResolvedArgs, resolveArgs } from "./args";
import { checkDerivedNames } from "./aws-names";
import { GpuKarpenterConfigError, isPlain, plainValue } from "./checks";
import type { ProviderCredentialOpts } from "./cluster-args";
import { chooseNodeAccess, registerNodeAccess } from "./access";
import { tableWarning } from "./cost";
import { imageWarnings } from "./image-args";
import { GPU_KARPENTER_TYPE } from "./naming";
import { registerController } from "./controller";
import { registerDevicePlugin } from "./device-plugin";
import { registerDiscoveryTags } from "./discovery";
import { registerExampleWorkload } from "./example-workload";
import { NodeNetwork, registerGpuPools } from "./gpu-pools";
import { checkCluster } from "./preflight";
import { registerControllerIdentity, registerNodeIdentity, registerSpotServiceLinkedRole } from "./identity";
import { registerInterruptionQueue } from "./interruption";
import { NODE_MONITORING_AGENT, registerNodeMonitoringAgent } from "./node-health";
import { OWNER_TAG, declares, ownerTagValue } from "./ownership";
import {
    findAccessEntry,
    findAddon,
    findSpotServiceLinkedRole,
    lookupAwsEnvironment,
    lookupCluster,
    lookupNodeGroupSubnets,
    lookupOidcProviderArn,
    lookupTags,
} from "./lookups";

export { GPU_KARPENTER_TYPE };

export interface GpuKarpenterOutputs {
    nodeRoleArn: pulumi.Output<string>;
    nodeRoleName: pulumi.Output<string>;
    controllerRoleArn: pulumi.Output<string>;
    interruptionQueueName: pulumi.Output<string | undefined>;
    nodePoolNames: pulumi.Output<string[]>;
    nodeClassNames: pulumi.Output<string[]>;
    karpenterVersion: pulumi.Output<string>;
}

/**
 * Automatic, cost-effective GPU capacity for an existing EKS cluster: Karpenter with its IAM,
 * discovery tags, node access and interruption queue, GPU NodePools, and the NVIDIA device plugin.
 *
 * A Kubernetes provider may be passed in `opts.providers`; otherwise one is built for the cluster
 * (it authenticates with `aws eks get-token`).
 */
export class GpuKarpenter extends pulumi.ComponentResource<GpuKarpenterOutputs> {
    // `declare`: set from the data `initialize` returns, never re-initialised after super().
    /** ARN of the GPU nodes' IAM role (created, or the one brought with nodeRoleArn). */
    declare readonly nodeRoleArn: pulumi.Output<string>;
    /** Name of the GPU nodes' IAM role. */
    declare readonly nodeRoleName: pulumi.Output<string>;
    /** ARN of the Karpenter controller's IAM role. */
    declare readonly controllerRoleArn: pulumi.Output<string>;
    /** Name of the SQS interruption queue; unset when interruptionQueue is false. */
    declare readonly interruptionQueueName: pulumi.Output<string | undefined>;
    /** Names of the NodePools, one per GPU pool. */
    declare readonly nodePoolNames: pulumi.Output<string[]>;
    /** Names of the EC2NodeClasses, one per GPU pool. */
    declare readonly nodeClassNames: pulumi.Output<string[]>;
    /** The Karpenter version installed. */
    declare readonly karpenterVersion: pulumi.Output<string>;

    constructor(name: string, args: GpuKarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before anything is registered.
        const resolved = resolveArgs(args);
        checkDerivedNames(name, resolved);
        super(GPU_KARPENTER_TYPE, name, resolved, opts);
        for (const pool of resolved.gpuPools) {
            for (const instance of pool.instanceTypes ?? pool.instanceFamilies ?? []) {
                const warning = tableWarning(instance);
                if (warning) void pulumi.log.warn(`GPU pool "${pool.name}": ${warning}`, this);
            }
            for (const warning of imageWarnings(pool))
                void pulumi.log.warn(`GPU pool "${pool.name}": ${warning}`, this);
        }
        const data = pulumi.output(this.getData());
        this.nodeRoleArn = data.nodeRoleArn;
        this.nodeRoleName = data.nodeRoleName;
        this.controllerRoleArn = data.controllerRoleArn;
        this.interruptionQueueName = data.interruptionQueueName;
        this.nodePoolNames = data.nodePoolNames;
        this.nodeClassNames = data.nodeClassNames;
        this.karpenterVersion = data.karpenterVersion;
    }

    // Async because some resources depend on what look-ups find: whether the cluster takes access
    // entries, whether the account has the spot service-linked role, which tags are already there.
    // A found add-on, access entry or role that carries this stack's owner tag is one an earlier run
    // created: it is declared again, or the next update would delete it (components/ownership.ts).
    protected override async initialize(
        args: ResolvedArgs,
        _opts: unknown,
        name: string,
    ): Promise<GpuKarpenterOutputs> {
        const invokeOpts = { parent: this };
        const env = pulumi.output(lookupAwsEnvironment(invokeOpts));
        // Look-ups that decide which resources exist need the cluster's name before deployment.
        const knownName = plainValue(args.clusterName);
        const needsName = (what: string, instead: string) => {
            if (knownName === undefined) {
                throw new GpuKarpenterConfigError(
                    `clusterName: it is an Output, not known until deployment, so the component ` +
                        `cannot look up ${what}; ${instead}, or a plain clusterName`,
                );
            }
            return knownName;
        };
        const cluster =
            args.cluster ??
            (await lookupCluster(
                needsName(
                    "the cluster",
                    "pass cluster (endpoint, certificateAuthority, oidcIssuerUrl, clusterSecurityGroupId, authenticationMode)",
                ),
                args.identity === "irsa",
                invokeOpts,
            ));
        const chartVersion = await checkCluster(args, cluster, knownName, invokeOpts);
        let subnetIds = args.subnetIds;
        if (subnetIds === undefined) {
            const clusterName = needsName("its node groups' subnets", "pass subnetIds");
            subnetIds = await lookupNodeGroupSubnets(clusterName, invokeOpts);
        }
        const securityGroupIds = args.securityGroupIds ?? [cluster.clusterSecurityGroupId];

        let nodeAccess = chooseNodeAccess(args.nodeAccess, cluster.authenticationMode);
        const knownRoleArn = plainValue(args.nodeRoleArn);
        const entry =
            nodeAccess === "accessEntry" && knownName && knownRoleArn
                ? await findAccessEntry(knownName, knownRoleArn, invokeOpts)
                : undefined;
        if (!declares(entry)) {
            if (args.nodeAccess === "accessEntry") {
                throw new GpuKarpenterConfigError(
                    `nodeAccess: "accessEntry": ${knownRoleArn} already has an access entry in cluster ` +
                        `${knownName} that this stack did not make (EKS makes one for a managed node group's role; ` +
                        `one this stack made carries the tag ${OWNER_TAG}=${ownerTagValue()}); use "none" or "auto"`,
                );
            }
            nodeAccess = "none";
        }

        const login = loginIdentity(args.providerCredentialOpts);
        const kubernetesProvider =
            this.getProvider("kubernetes::Provider") ??
            new Provider(
                `${name}-k8s`,
                {
                    kubeconfig: pulumi
                        .all([args.clusterName, cluster.endpoint, cluster.certificateAuthority, env])
                        .apply(([clusterName, endpoint, ca, e]) =>
                            kubeconfig(clusterName, endpoint, ca, e.region, login),
                        ),
                    // Known at preview: only another cluster replaces the provider and the resources on it, not an
                    // endpoint or certificate that is unknown while the cluster is being updated.
                    clusterIdentifier: args.clusterName,
                },
                { parent: this },
            );

        const network = nodeNetwork(args.discovery, subnetIds, securityGroupIds);
        const discovery =
            args.discovery === "tags"
                ? registerDiscoveryTags(
                      name,
                      needsName("which subnets carry another cluster's discovery tag", `use discovery "ids"`),
                      await lookupTags(plainIds(subnetIds, securityGroupIds), invokeOpts),
                      this,
                  )
                : [];
        const spotRole: pulumi.Resource[] = [];
        if (args.gpuPools.some(pool => pool.capacityTypes.includes("spot"))) {
            const found = await findSpotServiceLinkedRole(invokeOpts);
            if (declares(found)) {
                spotRole.push(registerSpotServiceLinkedRole(name, args.tags, this, found?.arn));
            }
        }
        const nodeHealth: pulumi.Resource[] = [];
        if (args.controller.featureGates.nodeRepair) {
            // A cluster known only by an Output is new, so it has no add-on yet.
            const found = knownName ? await findAddon(knownName, NODE_MONITORING_AGENT, invokeOpts) : undefined;
            if (declares(found)) {
                nodeHealth.push(registerNodeMonitoringAgent(name, args.clusterName, args.tags, this));
            }
        }
        // Given cluster details may leave the provider out; looked up as lookupCluster does, once the issuer is known.
        const oidcProviderArn =
            cluster.oidcProviderArn ??
            (args.identity === "irsa"
                ? pulumi
                      .all([args.clusterName, cluster.oidcIssuerUrl])
                      .apply(([clusterName, issuer]) => lookupOidcProviderArn(clusterName, issuer, invokeOpts))
                : "");
        const node = registerNodeIdentity(name, args, env, this);
        const queue = args.interruptionQueue
            ? registerInterruptionQueue(name, {
                  clusterName: args.clusterName,
                  queueName: args.interruptionQueueName,
                  tags: args.tags,
                  parent: this,
              })
            : undefined;
        const controllerIdentity = registerControllerIdentity(name, args, {
            env,
            nodeRoleArn: node.nodeRoleArn,
            interruptionQueueArn: queue?.queue.arn,
            oidcProviderArn,
            oidcIssuerUrl: cluster.oidcIssuerUrl,
            parent: this,
        });
        const access =
            nodeAccess === "none"
                ? []
                : registerNodeAccess(name, {
                      mode: nodeAccess,
                      clusterName: args.clusterName,
                      nodeRoleArn: node.nodeRoleArn,
                      tags: args.tags,
                      parent: this,
                      kubernetesProvider,
                  });

        const k8s = { parent: this, provider: kubernetesProvider };
        const { controller } = registerController(name, args, {
            controllerRoleArn: controllerIdentity.controllerRoleArn,
            interruptionQueueName: queue?.queue.name,
            chartVersion,
            dependsOn: [
                ...node.resources,
                ...controllerIdentity.resources,
                ...access,
                ...(queue?.resources ?? []),
                ...discovery,
                ...spotRole,
                ...nodeHealth,
            ],
            k8s,
        });
        const devicePlugin = registerDevicePlugin(name, args, k8s);
        const pools = registerGpuPools(name, args.gpuPools, {
            clusterName: args.clusterName,
            nodeRoleName: node.nodeRoleName,
            network,
            tags: args.tags,
            controller,
            devicePlugin,
            k8s,
        });
        if (args.exampleWorkload) {
            registerExampleWorkload(name, { dependsOn: pools.nodePools, k8s });
        }

        const outputs: GpuKarpenterOutputs = {
            nodeRoleArn: node.nodeRoleArn,
            nodeRoleName: node.nodeRoleName,
            controllerRoleArn: controllerIdentity.controllerRoleArn,
            interruptionQueueName: queue ? queue.queue.name : pulumi.output(undefined),
            nodePoolNames: pulumi.output(args.gpuPools.map(pool => pool.name)),
            nodeClassNames: pulumi.output(args.gpuPools.map(pool => pool.name)),
            karpenterVersion: pulumi.output(args.karpenterVersion),
        };
        this.registerOutputs(outputs);
        return outputs;
    }
}

type Ids = pulumi.Input<pulumi.Input<string>[]>;

function nodeNetwork(
    discovery: ResolvedArgs["discovery"],
    subnetIds: Ids,
    securityGroupIds: Ids,
): pulumi.Output<NodeNetwork> {
    if (discovery === "tags") return pulumi.output<NodeNetwork>({ discovery: "tags" });
    return pulumi
        .all([pulumi.output(subnetIds), pulumi.output(securityGroupIds)])
        .apply(([subnets, groups]): NodeNetwork => ({
            discovery: "ids",
            subnetIds: subnets,
            securityGroupIds: groups,
        }));
}

/** Tag discovery makes one tag per id, and checks what each carries first: the ids must be plain values. */
function plainIds(subnetIds: Ids, securityGroupIds: Ids) {
    const plain = (key: string, ids: Ids): string[] => {
        const list = isPlain(ids) ? ids : undefined;
        if (!list || !list.every((id): id is string => typeof id === "string")) {
            throw new GpuKarpenterConfigError(
                `${key}: discovery "tags" needs ids known before deployment (one tag per id); ` +
                    `pass plain strings, or use discovery "ids"`,
            );
        }
        return list;
    };
    return { subnets: plain("subnetIds", subnetIds), securityGroups: plain("securityGroupIds", securityGroupIds) };
}

/** Whose AWS identity the kubeconfig's token is for: the component's args, else the stack's AWS provider config. */
export function loginIdentity(
    explicit: ProviderCredentialOpts = {},
    aws = new pulumi.Config("aws"),
): ProviderCredentialOpts {
    // With chained roles, the last is the identity the AWS provider ends up with.
    const assumeRoles = aws.getObject<{ roleArn?: string }[]>("assumeRoles");
    return {
        profileName: explicit.profileName ?? aws.get("profile"),
        roleArn: explicit.roleArn ?? assumeRoles?.[assumeRoles.length - 1]?.roleArn,
    };
}

export function kubeconfig(
    clusterName: string,
    endpoint: string,
    certificateAuthority: string,
    region: string,
    login: ProviderCredentialOpts = {},
): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            { name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } },
        ],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            clusterName,
                            "--region",
                            region,
                            "--output",
                            "json",
                            ...(login.profileName ? ["--profile", login.profileName] : []),
                            ...(login.roleArn ? ["--role-arn", login.roleArn] : []),
                        ],
                    },
                },
            },
        ],
    });
}
