// Another project's Pulumi program that uses the component, written as its README shows: the
// cluster, the GPU node role and the subnets are resources of its own, passed as Outputs. The
// consumer test (tests/consumer.test.ts) installs the packed component next to it.
import * as aws from "@pulumi/aws";
import { GpuKarpenter } from "gpu-karpenter";

const subnets = ["a", "b"].map((zone, i) => new aws.ec2.Subnet(`gpu-${zone}`, {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    cidrBlock: `10.0.${16 * i}.0/20`,
    availabilityZone: `us-west-2${zone}`,
}));
const cluster = new aws.eks.Cluster("ai", {
    roleArn: "arn:aws:iam::111122223333:role/eks-cluster",
    vpcConfig: { subnetIds: subnets.map(s => s.id) },
    accessConfig: { authenticationMode: "API" },
});
const nodeRole = new aws.iam.Role("gpu-nodes", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});

// A new cluster runs no Pod Identity agent until the program adds one, and the component cannot
// look one up on a cluster that does not exist yet: so it is added here and declared selfManaged.
const podIdentityAgent = new aws.eks.Addon("pod-identity-agent", {
    clusterName: cluster.name,
    addonName: "eks-pod-identity-agent",
});

const gpu = new GpuKarpenter("gpu", {
    clusterName: cluster.name,
    // A cluster created here cannot be looked up before it exists: its details come from the resource.
    cluster: {
        endpoint: cluster.endpoint,
        certificateAuthority: cluster.certificateAuthority.data,
        oidcIssuerUrl: cluster.identities.apply(ids => ids[0].oidcs?.[0]?.issuer ?? ""),
        clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
        authenticationMode: "API",
    },
    nodeRoleArn: nodeRole.arn,
    subnetIds: subnets.map(s => s.id),
    identity: "podIdentity",
    podIdentityAgent: "selfManaged",
    tags: { team: "ml-platform", cluster: cluster.name },
    gpuPools: [
        { name: "inference", instanceFamilies: ["g6", "g6e"], gpuLimit: 16 },
        { name: "training", instanceTypes: ["p5.48xlarge", "p4d.24xlarge"], gpuLimit: 64, consolidateAfter: "2m" },
    ],
}, { dependsOn: [podIdentityAgent] });

export const nodeRoleArn = gpu.nodeRoleArn;
export const nodePoolNames = gpu.nodePoolNames;
