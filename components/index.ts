export { GpuKarpenter, GpuKarpenterOutputs, GPU_KARPENTER_TYPE } from "./gpu-karpenter";
// The args, from the files of their concerns; every name args.ts exported before its split is here.
export { GpuKarpenterArgs, ResolvedArgs, resolveArgs } from "./args";
export { GpuKarpenterConfigError, isPlain, plainValue } from "./checks";
export { closest } from "./edit-distance";
export {
    AUTHENTICATION_MODES,
    AuthenticationMode,
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
} from "./cluster-args";
export {
    CONTROLLER_DEFAULTS,
    ControllerArgs,
    ControllerSettings,
    DevicePluginArgs,
    DevicePluginSettings,
    FEATURE_GATES,
    FeatureGates,
    FeatureGatesArgs,
    LOG_LEVELS,
    LogLevel,
    ResolvedController,
} from "./controller-args";
export { CAPACITY_TYPES, CONSOLIDATION_POLICIES, CapacityType, ConsolidationPolicy } from "./gpu";
export {
    AMI_FAMILIES,
    AmiFamily,
    CapacityReservation,
    CapacityReservationArgs,
    DEFAULT_POOL_FAMILIES,
    DISRUPTION_REASONS,
    DisruptionBudget,
    DisruptionBudgetArgs,
    DisruptionReason,
    GpuPool,
    GpuPoolArgs,
    INSTANCE_STORE_POLICIES,
    InstanceStorePolicy,
    POOL_DEFAULTS,
    ResolvedDisruptionBudget,
    ResolvedGpuPool,
} from "./pool-args";
export {
    BALANCED_SINCE,
    DEFAULT_DEVICE_PLUGIN_VERSION,
    DEFAULT_KARPENTER_VERSION,
    MIN_KARPENTER_VERSION,
    compareVersions,
} from "./versions";
export { controllerPolicies, irsaTrustPolicy, podIdentityTrustPolicy, nodeTrustPolicy } from "./iam-documents";
export { nodePoolManifest, ec2NodeClassManifest } from "./gpu-pools";
export { ImageSnapshot, ResolvedImageSnapshot } from "./image-args";
export { controllerValues } from "./controller";
export { devicePluginValues } from "./device-plugin";
export { exampleWorkloadManifest } from "./example-workload";
