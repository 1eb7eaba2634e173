// The policy pack the engine runs: `pulumi preview --policy-pack policies`. build.js bundles this
// file, with everything it imports, into bin/index.js (the package's main). The policies
// themselves are in rules.ts, which tests, check-manifests and the plan load without starting this.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("gpu-karpenter-policies", {
    description:
        "Keeps Karpenter GPU NodePools (self-managed or EKS Auto Mode) cheap and safe: spot or reserved capacity only, consolidated, GPU-limited, within budget, interruption-aware, on the Karpenter v1 API, and advised on how fast their nodes pull images.",
    policies,
});
