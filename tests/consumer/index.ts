// Another project's Pulumi program that uses the component, written as its README shows. The
// consumer test (tests/consumer.test.ts) installs the packed component next to it.
import { GpuKarpenter } from "gpu-karpenter";

// What a program takes from its other resources. Plain values for now; once GpuKarpenter's
// arguments take pulumi.Input, these become the Outputs of a cluster, a role and subnets.
const cluster = { name: "my-cluster" };
const nodeRole = { arn: "arn:aws:iam::111122223333:role/gpu-nodes" };
const subnets = { ids: ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"] };

const gpu = new GpuKarpenter("gpu", {
    clusterName: cluster.name,
    nodeRoleArn: nodeRole.arn,
    subnetIds: subnets.ids,
    identity: "podIdentity",
    gpuPools: [
        { name: "inference", instanceFamilies: ["g6", "g6e"], gpuLimit: 16 },
        { name: "training", instanceTypes: ["p5.48xlarge", "p5e.48xlarge"], gpuLimit: 64, consolidateAfter: "2m" },
    ],
});

export const nodeRoleArn = gpu.nodeRoleArn;
export const nodePoolNames = gpu.nodePoolNames;
