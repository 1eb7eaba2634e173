// The policy pack the engine runs: `pulumi preview --policy-pack policies`. The policies
// themselves are in rules.ts, which tests and the manifest checker load without starting this.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("gpu-karpenter-policies", {
    description: "Keeps Karpenter GPU NodePools cheap and safe: spot only, consolidated, GPU-limited, interruption-aware, on the Karpenter v1 API.",
    policies,
});
