// The stack: read config, optionally create a cluster, build one GpuKarpenter, export its outputs.
import * as pulumi from "@pulumi/pulumi";
import { GpuKarpenter, loginIdentity } from "./components/gpu-karpenter";
import { readStackConfig } from "./components/stack-config";
import type { ClusterProgram, CreatedCluster } from "./program/cluster-program";

const config = readStackConfig(pulumi.runtime.allConfig());
const { args } = config;

let created: CreatedCluster | undefined;
if (config.createCluster) {
    // Loaded only when asked for: @pulumi/eks is heavy to load and to type-check.
    const { createCluster, SYSTEM_NODE_GROUP } = (require("./program/cluster") as { clusterProgram: ClusterProgram })
        .clusterProgram;
    created = createCluster(config.clusterName, {
        clusterName: config.clusterName,
        kubernetesVersion: config.kubernetesVersion,
        subnetIds: config.subnetIds!,
        vpcId: config.vpcId,
        tags: config.tags,
        providerCredentialOpts: loginIdentity(),
        podIdentityAgent: args.identity === "podIdentity" && args.podIdentityAgent !== "selfManaged",
    });
    args.cluster = created.details;
    // The agent add-on is created above, beside the cluster: there is nothing to look up yet.
    if (args.identity === "podIdentity") args.podIdentityAgent = "selfManaged";
    args.controller = { nodeGroup: SYSTEM_NODE_GROUP, ...args.controller };
}

const gpu = new GpuKarpenter("gpu-karpenter", args, { dependsOn: created?.resources });

export const nodeRoleArn = gpu.nodeRoleArn;
export const nodeRoleName = gpu.nodeRoleName;
export const controllerRoleArn = gpu.controllerRoleArn;
export const interruptionQueueName = gpu.interruptionQueueName;
export const nodePoolNames = gpu.nodePoolNames;
export const nodeClassNames = gpu.nodeClassNames;
export const karpenterVersion = gpu.karpenterVersion;
