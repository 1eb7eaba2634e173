// What index.ts knows of program/cluster.ts, apart from it: ts-node type-checks each file `pulumi up`
// loads, and naming program/cluster.ts's types in index.ts would make every stack's cold type-check
// load @pulumi/eks and, through it, all of @pulumi/aws's declarations, createCluster or not
// (docs/engine-harness.md#cost).
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterDetails } from "../components/cluster-args";

export interface CreatedCluster {
    details: ClusterDetails;
    /** What GpuKarpenter must wait for: the cluster and the nodes the controller runs on. */
    resources: pulumi.Resource[];
}

export interface CreateClusterOptions {
    clusterName: string;
    kubernetesVersion?: string;
    subnetIds: pulumi.Input<string>[];
    /** Default: the VPC of the first subnet. */
    vpcId?: pulumi.Input<string>;
    tags: Record<string, string>;
    providerCredentialOpts?: { profileName?: string; roleArn?: string };
    /** Install the eks-pod-identity-agent add-on (identity "podIdentity"). */
    podIdentityAgent?: boolean;
}

/** program/cluster.ts's `clusterProgram`, as index.ts requires it when `createCluster` is on. */
export interface ClusterProgram {
    createCluster: (name: string, opts: CreateClusterOptions) => CreatedCluster;
    /** The node group the Karpenter controller runs on. */
    SYSTEM_NODE_GROUP: string;
}
