export { GpuKarpenter, GpuKarpenterOutputs, GPU_KARPENTER_TYPE } from "./gpu-karpenter";
export * from "./args";
export { controllerPolicies, irsaTrustPolicy, podIdentityTrustPolicy, nodeTrustPolicy } from "./iam-documents";
export { nodePoolManifest, ec2NodeClassManifest } from "./gpu-pools";
export { controllerValues } from "./controller";
export { devicePluginValues } from "./device-plugin";
export { exampleWorkloadManifest } from "./example-workload";
