// A --policy-pack-config file checked and completed as the engine does it before calling the pack's
// Configure: pulumi/pulumi pkg/resource/analyzer/config.go (parsePolicyPackConfig,
// ReconcilePolicyPackConfig, validatePolicyPackConfig), plus the names the engine silently ignores.
import { expect } from "chai";
import { PolicyInfo, validatePolicyPackConfig } from "../policies/policy-config";
import { evaluateResources } from "../policies/rules";

const ALL_POLICIES = [
    "gpu-nodepool-spot-only",
    "gpu-nodepool-consolidation",
    "gpu-nodepool-gpu-limit",
    "gpu-nodepool-hourly-cost",
    "karpenter-v1-api",
    "gpu-nodepool-taint",
    "gpu-nodepool-termination-grace",
    "gpu-nodepool-instance-diversity",
    "spot-gpu-requires-interruption-handling",
    "gpu-stack-hourly-cost",
    "gpu-nodepool-image-pull",
];

describe("policies: the policy pack config, checked as the engine checks it", () => {
    it("fills in every policy's level and schema defaults when the file is empty (createConfigWithDefaults)", () => {
        expect(validatePolicyPackConfig({})).to.deep.equal({
            problems: [],
            config: {
                "gpu-nodepool-spot-only": { enforcementLevel: "mandatory", allowedCapacityTypes: ["spot"] },
                "gpu-nodepool-consolidation": {
                    enforcementLevel: "mandatory",
                    allowedPolicies: ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"],
                    maxConsolidateAfter: "10m",
                },
                "gpu-nodepool-gpu-limit": { enforcementLevel: "mandatory" },
                "gpu-nodepool-hourly-cost": {
                    enforcementLevel: "mandatory",
                    unpricedTypes: "allow",
                    region: "us-east-1",
                },
                "karpenter-v1-api": { enforcementLevel: "mandatory" },
                "gpu-nodepool-taint": { enforcementLevel: "advisory" },
                "gpu-nodepool-termination-grace": { enforcementLevel: "advisory" },
                "gpu-nodepool-instance-diversity": { enforcementLevel: "advisory" },
                "spot-gpu-requires-interruption-handling": { enforcementLevel: "mandatory" },
                "gpu-stack-hourly-cost": { enforcementLevel: "mandatory", unpricedTypes: "allow", region: "us-east-1" },
                "gpu-nodepool-image-pull": { enforcementLevel: "advisory" },
            },
        });
    });

    it("applies all's level first, then each policy's own level and settings (applyConfig)", () => {
        const { config, problems } = validatePolicyPackConfig({
            all: "advisory",
            "gpu-nodepool-taint": "disabled",
            "gpu-nodepool-consolidation": { maxConsolidateAfter: "5m" },
            "gpu-nodepool-gpu-limit": { enforcementLevel: "remediate", maxGpuLimit: 16 },
        });
        expect(problems).to.deep.equal([]);
        expect(
            Object.entries(config).map(
                ([name, c]) => `${name} ${(c as { enforcementLevel: string }).enforcementLevel}`,
            ),
        ).to.deep.equal([
            "gpu-nodepool-spot-only advisory",
            "gpu-nodepool-consolidation advisory",
            "gpu-nodepool-gpu-limit remediate",
            "gpu-nodepool-hourly-cost advisory",
            "karpenter-v1-api advisory",
            "gpu-nodepool-taint disabled",
            "gpu-nodepool-termination-grace advisory",
            "gpu-nodepool-instance-diversity advisory",
            "spot-gpu-requires-interruption-handling advisory",
            "gpu-stack-hourly-cost advisory",
            "gpu-nodepool-image-pull advisory",
        ]);
        expect(config["gpu-nodepool-consolidation"]).to.deep.equal({
            enforcementLevel: "advisory",
            allowedPolicies: ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"],
            maxConsolidateAfter: "5m",
        });
        expect(config["gpu-nodepool-gpu-limit"]).to.deep.equal({ enforcementLevel: "remediate", maxGpuLimit: 16 });
    });

    it("gives the runner a config it applies: the checked file's verdicts are the file's", () => {
        const pool = {
            type: "kubernetes:karpenter.sh/v1:NodePool",
            name: "gpu",
            props: {
                metadata: { name: "gpu" },
                spec: {
                    template: {
                        spec: {
                            requirements: [
                                { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
                            ],
                            taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }],
                            terminationGracePeriod: "1h",
                        },
                    },
                    limits: { "nvidia.com/gpu": 64 },
                    disruption: { consolidationPolicy: "Balanced", consolidateAfter: "8m" },
                },
            },
        };
        const { config } = validatePolicyPackConfig({
            all: "advisory",
            "gpu-nodepool-gpu-limit": { maxGpuLimit: 32 },
            "gpu-nodepool-consolidation": { enforcementLevel: "mandatory", maxConsolidateAfter: "5m" },
        });
        expect(evaluateResources([pool], config).map(v => `${v.policy} ${v.enforcement}`)).to.deep.equal([
            "gpu-nodepool-spot-only advisory",
            "gpu-nodepool-consolidation mandatory",
            "gpu-nodepool-gpu-limit advisory",
        ]);
    });

    it("refuses what the engine refuses: bad levels, entries of the wrong type, values the schemas reject", () => {
        expect(
            validatePolicyPackConfig({
                "gpu-nodepool-taint": "strict",
                "gpu-nodepool-gpu-limit": { enforcementLevel: 1, maxGpuLimit: 4 },
                "karpenter-v1-api": ["mandatory"],
                "gpu-nodepool-spot-only": { allowedCapacityTypes: ["spot", "spot", "preemptible"] },
                "gpu-nodepool-consolidation": { allowedPolicies: [], maxConsolidateAfter: "Never" },
            }).problems,
        ).to.deep.equal([
            'gpu-nodepool-taint: "strict" is not an enforcement level; use one of advisory, mandatory, remediate, disabled',
            "gpu-nodepool-gpu-limit: enforcementLevel 1 is not allowed; use one of advisory, mandatory, remediate, disabled",
            'karpenter-v1-api: ["mandatory"] is not allowed; use an enforcement level (advisory, mandatory, remediate, disabled) or an object of settings',
            'gpu-nodepool-spot-only: allowedCapacityTypes[2]: must be one of "spot", "on-demand", "reserved", got "preemptible" (The karpenter.sh/capacity-type values a GPU NodePool may admit, e.g. ["spot", "reserved"] to allow capacity reservations and Capacity Blocks.)',
            'gpu-nodepool-spot-only: allowedCapacityTypes: lists "spot" more than once, got ["spot","spot","preemptible"] (The karpenter.sh/capacity-type values a GPU NodePool may admit, e.g. ["spot", "reserved"] to allow capacity reservations and Capacity Blocks.)',
            "gpu-nodepool-consolidation: allowedPolicies: must list at least 1 value, got [] (The spec.disruption.consolidationPolicy values a GPU NodePool may use.)",
            'gpu-nodepool-consolidation: maxConsolidateAfter: must match pattern "^([0-9]+(s|m|h))+$", got "Never" (The longest spec.disruption.consolidateAfter a GPU NodePool may use, e.g. 30s, 5m, 1h.)',
        ]);
        expect(validatePolicyPackConfig({ "gpu-nodepool-gpu-limit": { maxGpuLimit: 2.5 } }).problems).to.deep.equal([
            'gpu-nodepool-gpu-limit: maxGpuLimit: must be an integer, got 2.5 (The highest spec.limits["nvidia.com/gpu"] a GPU NodePool may set. No maximum when unset.)',
        ]);
        expect(validatePolicyPackConfig(["gpu-nodepool-taint"]).problems).to.deep.equal([
            "a policy pack config is a JSON object keyed by policy name",
        ]);
    });

    it("also refuses what the engine would silently ignore: unknown policy and setting names, all's settings, environments", () => {
        expect(
            validatePolicyPackConfig({
                "gpu-nodepool-tiant": "advisory",
                "gpu-nodepool-gpu-limit": { maxGpuLimt: 16 },
                all: { enforcementLevel: "advisory", maxGpuLimit: 16 },
                environments: ["acme/policy-settings"],
            }).problems,
        ).to.deep.equal([
            "environments: ESC environments are resolved by Pulumi Cloud, which this check has no access to; write the values into the file instead",
            `gpu-nodepool-tiant: no such policy in this pack, and the engine would silently ignore it (policies: ${ALL_POLICIES.join(", ")})`,
            "all: takes only an enforcementLevel; settings maxGpuLimit are ignored by the engine",
            "gpu-nodepool-gpu-limit: maxGpuLimt: no such setting, and the engine would silently ignore it (settings: maxGpuLimit)",
        ]);
        expect(validatePolicyPackConfig({ "karpenter-v1-api": { strict: true } }).problems).to.deep.equal([
            "karpenter-v1-api: strict: no such setting, and the engine would silently ignore it (settings: none)",
        ]);
    });

    it("checks against the schemas it is given, as the engine checks against GetAnalyzerInfo's", () => {
        const infos: PolicyInfo[] = [
            {
                name: "tagged",
                enforcementLevel: "advisory",
                configSchema: {
                    properties: { team: { type: "string" }, limit: { type: "integer", default: 3 } },
                    required: ["team"],
                },
            },
        ];
        expect(validatePolicyPackConfig({}, infos)).to.deep.equal({
            config: { tagged: { enforcementLevel: "advisory", limit: 3 } },
            problems: ["tagged: team: is required"],
        });
        expect(validatePolicyPackConfig({ tagged: { team: "ml" } }, infos)).to.deep.equal({
            config: { tagged: { enforcementLevel: "advisory", limit: 3, team: "ml" } },
            problems: [],
        });
    });
});
