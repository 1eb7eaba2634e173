// `createCluster: true`: a new EKS cluster to install onto, with an OIDC provider, access entries
// and a small system node group where the Karpenter controller runs. Loaded only when asked for,
// as @pulumi/eks is heavy.
import { Cluster, ManagedNodeGroup, AuthenticationMode } from "@pulumi/eks";
import { Role, RolePolicyAttachment } from "@pulumi/aws/iam";
import { Addon } from "@pulumi/aws/eks";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { getSubnetOutput } from "@pulumi/aws/ec2";
import type { ClusterProgram, CreateClusterOptions, CreatedCluster } from "./cluster-program";
import { NODE_MANAGED_POLICIES, managedPolicyArn, nodeTrustPolicy } from "../components/iam-documents";
import { autoNamedRoleFits } from "../components/aws-names";
import { POD_IDENTITY_AGENT } from "../components/preflight";

export const SYSTEM_NODE_GROUP = "system";

export function createCluster(name: string, opts: CreateClusterOptions): CreatedCluster {
    const cluster = new Cluster(name, {
        name: opts.clusterName,
        version: opts.kubernetesVersion,
        // Without a VPC, @pulumi/eks puts its security groups in the account's default VPC.
        vpcId: opts.vpcId ?? getSubnetOutput({ id: opts.subnetIds[0] }).vpcId,
        subnetIds: opts.subnetIds,
        ...(opts.providerCredentialOpts?.profileName || opts.providerCredentialOpts?.roleArn
            ? { providerCredentialOpts: opts.providerCredentialOpts }
            : {}),
        createOidcProvider: true,
        authenticationMode: AuthenticationMode.Api,
        skipDefaultNodeGroup: true,
        tags: opts.tags,
    });
    const partition = getPartitionOutput();
    const roleName = `${name}-system-nodes`;
    const role = new Role(roleName, {
        // Auto-naming adds "-" and 7 characters and fails past IAM's 64; a long cluster name takes a prefix
        // AWS completes instead (at most 38 characters, 26 added), still unique per stack.
        ...(autoNamedRoleFits(roleName) ? {} : { namePrefix: `${name.slice(0, 24)}-system-nodes-` }),
        assumeRolePolicy: partition.apply(p => JSON.stringify(nodeTrustPolicy(p))),
        tags: opts.tags,
    });
    const attachments = NODE_MANAGED_POLICIES.map(
        policy =>
            new RolePolicyAttachment(`${name}-system-nodes-${policy}`, {
                role: role.name,
                policyArn: partition.apply(p => managedPolicyArn(p.partition, policy)),
            }),
    );
    const nodeGroup = new ManagedNodeGroup(
        `${name}-${SYSTEM_NODE_GROUP}`,
        {
            cluster,
            nodeGroupName: SYSTEM_NODE_GROUP,
            nodeRole: role,
            instanceTypes: ["m7i.large"],
            scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 3 },
            tags: opts.tags,
        },
        { dependsOn: attachments },
    );
    const eksCluster = cluster.eksCluster;
    // A new cluster has no add-ons but those @pulumi/eks installs; the agent runs on the system nodes.
    const agent = opts.podIdentityAgent
        ? [
              new Addon(
                  `${name}-pod-identity-agent`,
                  { clusterName: eksCluster.name, addonName: POD_IDENTITY_AGENT, tags: opts.tags },
                  { dependsOn: [nodeGroup] },
              ),
          ]
        : [];
    return {
        details: {
            endpoint: eksCluster.endpoint,
            certificateAuthority: eksCluster.certificateAuthority.data,
            oidcIssuerUrl: eksCluster.identities.apply(ids => ids[0].oidcs[0].issuer),
            oidcProviderArn: cluster.oidcProviderArn,
            // EKS's own cluster security group, which the managed node group's nodes get too, so GPU
            // nodes reach CoreDNS and the API server reaches their kubelet (@pulumi/eks's
            // clusterSecurityGroupId is a group of its own that admits nodes only on 443).
            clusterSecurityGroupId: eksCluster.vpcConfig.clusterSecurityGroupId,
            authenticationMode: "API",
            version: opts.kubernetesVersion ?? eksCluster.version,
            autoMode: false,
        },
        resources: [cluster, nodeGroup, ...agent],
    };
}

/** What index.ts loads (program/cluster-program.ts): declared as a ClusterProgram, so tsc holds the two in step. */
export const clusterProgram: ClusterProgram = { createCluster, SYSTEM_NODE_GROUP };
