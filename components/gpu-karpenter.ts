import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentity } from "@pulumi/aws/getCallerIdentity";
import { getPartition } from "@pulumi/aws/getPartition";
import { getRegion } from "@pulumi/aws/getRegion";
import { getCluster, getNodeGroup, getNodeGroups } from "@pulumi/aws/eks";
import { getOpenIdConnectProvider } from "@pulumi/aws/iam";
import { Provider } from "@pulumi/kubernetes/provider";
import { ClusterDetails, GpuKarpenterArgs, GpuKarpenterConfigError, ResolvedArgs, resolveArgs } from "./args";
import { chooseNodeAccess, registerNodeAccess } from "./access";
import { tableWarning } from "./cost";
import { registerController } from "./controller";
import { registerDevicePlugin } from "./device-plugin";
import { registerDiscoveryTags } from "./discovery";
import { registerExampleWorkload } from "./example-workload";
import { registerGpuPools } from "./gpu-pools";
import type { AwsEnvironment } from "./iam-documents";
import { registerControllerIdentity, registerNodeIdentity } from "./identity";
import { registerInterruptionQueue } from "./interruption";

export const GPU_KARPENTER_TYPE = "gpu-karpenter:index:GpuKarpenter";

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
    declare readonly nodeRoleArn: pulumi.Output<string>;
    declare readonly nodeRoleName: pulumi.Output<string>;
    declare readonly controllerRoleArn: pulumi.Output<string>;
    declare readonly interruptionQueueName: pulumi.Output<string | undefined>;
    declare readonly nodePoolNames: pulumi.Output<string[]>;
    declare readonly nodeClassNames: pulumi.Output<string[]>;
    declare readonly karpenterVersion: pulumi.Output<string>;

    constructor(name: string, args: GpuKarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before anything is registered.
        const resolved = resolveArgs(args);
        super(GPU_KARPENTER_TYPE, name, resolved, opts);
        for (const pool of resolved.gpuPools) {
            for (const instance of pool.instanceTypes ?? pool.instanceFamilies ?? []) {
                const warning = tableWarning(instance);
                if (warning) void pulumi.log.warn(`GPU pool "${pool.name}": ${warning}`, this);
            }
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

    // Async because some resources depend on what look-ups find: which subnets to tag, and
    // whether the cluster takes access entries.
    protected override async initialize(args: ResolvedArgs, _opts: unknown, name: string): Promise<GpuKarpenterOutputs> {
        const invokeOpts = { parent: this };
        const env = pulumi.output(lookupAwsEnvironment(invokeOpts));
        const cluster = args.cluster ?? await lookupCluster(args.clusterName, args.identity === "irsa", invokeOpts);
        const nodeAccess = chooseNodeAccess(args.nodeAccess, cluster.authenticationMode);
        const subnetIds = args.subnetIds ?? await lookupNodeGroupSubnets(args.clusterName, invokeOpts);
        const kubernetesProvider = this.getProvider("kubernetes::Provider") ?? new Provider(`${name}-k8s`, {
            kubeconfig: pulumi.all([cluster.endpoint, cluster.certificateAuthority, env])
                .apply(([endpoint, ca, e]) => kubeconfig(args.clusterName, endpoint, ca, e.region)),
        }, { parent: this });

        const discovery = registerDiscoveryTags(name, args.clusterName, {
            subnetIds,
            securityGroupIds: args.securityGroupIds ?? [cluster.clusterSecurityGroupId],
        }, this);
        const node = registerNodeIdentity(name, args, env, this);
        const queue = args.interruptionQueue
            ? registerInterruptionQueue(name, { clusterName: args.clusterName, queueName: args.interruptionQueueName, tags: args.tags, parent: this })
            : undefined;
        const controllerIdentity = registerControllerIdentity(name, args, {
            env,
            nodeRoleArn: node.nodeRoleArn,
            interruptionQueueArn: queue?.queue.arn,
            oidcProviderArn: cluster.oidcProviderArn ?? "",
            oidcIssuerUrl: cluster.oidcIssuerUrl,
            parent: this,
        });
        const access = registerNodeAccess(name, {
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
            dependsOn: [...node.resources, ...controllerIdentity.resources, ...access, ...(queue?.resources ?? []), ...discovery],
            k8s,
        });
        const devicePlugin = registerDevicePlugin(name, args, k8s);
        const pools = registerGpuPools(name, args.gpuPools, {
            clusterName: args.clusterName,
            nodeRoleName: node.nodeRoleName,
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

async function lookupAwsEnvironment(opts: pulumi.InvokeOptions): Promise<AwsEnvironment> {
    const [partition, region, identity] = await Promise.all([
        getPartition({}, opts), getRegion({}, opts), getCallerIdentity({}, opts),
    ]);
    return { partition: partition.partition, dnsSuffix: partition.dnsSuffix, region: region.region, accountId: identity.accountId };
}

async function lookupCluster(clusterName: string, needsOidcProvider: boolean, opts: pulumi.InvokeOptions): Promise<ClusterDetails> {
    const cluster = await getCluster({ name: clusterName }, opts);
    const oidcIssuerUrl = cluster.identities?.[0]?.oidcs?.[0]?.issuer ?? "";
    let oidcProviderArn: string | undefined;
    if (needsOidcProvider) {
        if (!oidcIssuerUrl) {
            throw new GpuKarpenterConfigError(`identity: "irsa" needs an OIDC issuer, and cluster ${clusterName} has none; use "podIdentity"`);
        }
        try {
            oidcProviderArn = (await getOpenIdConnectProvider({ url: oidcIssuerUrl }, opts)).arn;
        } catch {
            throw new GpuKarpenterConfigError(`identity: "irsa" needs an IAM OIDC provider for ${oidcIssuerUrl}, and there is ` +
                `none; create one (eksctl utils associate-iam-oidc-provider --cluster ${clusterName} --approve) or use "podIdentity"`);
        }
    }
    return {
        endpoint: cluster.endpoint,
        certificateAuthority: cluster.certificateAuthorities[0].data,
        oidcIssuerUrl,
        oidcProviderArn,
        clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
        authenticationMode: cluster.accessConfigs?.[0]?.authenticationMode ?? "CONFIG_MAP",
    };
}

/** The subnets of the cluster's node groups: where its nodes already run. */
async function lookupNodeGroupSubnets(clusterName: string, opts: pulumi.InvokeOptions): Promise<string[]> {
    const { names } = await getNodeGroups({ clusterName }, opts);
    const groups = await Promise.all([...names].sort().map(nodeGroupName => getNodeGroup({ clusterName, nodeGroupName }, opts)));
    const subnets = [...new Set(groups.flatMap(group => group.subnetIds))].sort();
    if (subnets.length === 0) {
        throw new GpuKarpenterConfigError(`subnetIds: cluster ${clusterName} has no node groups to take subnets from; ` +
            `set subnetIds to the subnets GPU nodes should use`);
    }
    return subnets;
}

export function kubeconfig(clusterName: string, endpoint: string, certificateAuthority: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [{
            name: clusterName,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
                },
            },
        }],
    });
}
