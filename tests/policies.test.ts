import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import {
    EngineResource,
    PolicyPackConfig,
    UNKNOWN,
    Violation,
    evaluateResourcePolicies,
    evaluateResources,
    formatSummary,
    formatViolation,
    policies,
} from "../policies/rules";
import { isGpuPool } from "../policies/nodepool";
import { knownProps, quantityValue } from "../policies/values";
import {
    AUTO,
    CAPACITY_TYPE_LABEL,
    G5_G6,
    GPU_COUNT,
    GPU_TAINT,
    INSTANCE_CATEGORY_LABEL,
    INSTANCE_FAMILY_LABEL,
    INSTANCE_SIZE_LABEL,
    INSTANCE_TYPE_LABEL,
    type Requirement,
    SPOT,
    autoModePool,
    engineReports,
    nodePool,
    req,
    unknownCheckingProxy,
    unknownStringValue,
} from "./policy-resources";

/** A pool no GPU instance can satisfy, with nothing else the GPU policies would like. */
const cpuPool = (name: string, ...requirements: Requirement[]) =>
    nodePool(name, {
        requirements,
        taints: [],
        limits: { cpu: 100 },
        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "Never" },
    });

function violationsOf(policy: string, resources: EngineResource[], config?: PolicyPackConfig): Violation[] {
    return evaluateResources(resources, config).filter(v => v.policy === policy);
}

function messagesOf(policy: string, resource: EngineResource, config?: PolicyPackConfig): string[] {
    return violationsOf(policy, [resource], config).map(v => v.message);
}

describe("policies: which NodePools are GPU pools", () => {
    const gpu = (...requirements: unknown[]) => isGpuPool(nodePool("p", { requirements, taints: [] }).props);

    it("counts pools whose requirements admit GPU instances", () => {
        expect(gpu(G5_G6)).to.equal(true);
        expect(gpu(req(INSTANCE_FAMILY_LABEL, "In", "c5", "gr6"))).to.equal(true);
        expect(gpu(req(INSTANCE_TYPE_LABEL, "In", "m5.large", "p5.48xlarge"))).to.equal(true);
        expect(gpu(req(INSTANCE_CATEGORY_LABEL, "In", "g", "p"))).to.equal(true);
        expect(gpu(req(GPU_COUNT, "Gt", "0"))).to.equal(true);
        expect(gpu(req(GPU_COUNT, "Exists"))).to.equal(true);
        expect(gpu(req("karpenter.k8s.aws/instance-gpu-name", "In", "a10g"))).to.equal(true);
    });

    it("counts a pool without instance restrictions: it launches a GPU node for a GPU pod", () => {
        expect(gpu()).to.equal(true);
        expect(gpu(req(CAPACITY_TYPE_LABEL, "In", "on-demand"), req("kubernetes.io/arch", "In", "amd64"))).to.equal(
            true,
        );
        expect(gpu(req(INSTANCE_CATEGORY_LABEL, "NotIn", "g"))).to.equal(true, "gr and p remain");
    });

    it("leaves out pools whose requirements exclude every GPU instance", () => {
        expect(gpu(req(GPU_COUNT, "DoesNotExist"))).to.equal(false);
        expect(gpu(req(GPU_COUNT, "Lt", "1"))).to.equal(false);
        expect(gpu(req(GPU_COUNT, "In", "0"))).to.equal(false);
        expect(gpu(req(INSTANCE_CATEGORY_LABEL, "In", "c", "m", "r"))).to.equal(false);
        expect(gpu(req(INSTANCE_CATEGORY_LABEL, "NotIn", "g", "gr", "p"))).to.equal(false);
        expect(gpu(req(INSTANCE_FAMILY_LABEL, "In", "m5", "c7i"))).to.equal(false);
        expect(gpu(req(INSTANCE_TYPE_LABEL, "In", "m5.large"))).to.equal(false);
        expect(gpu(G5_G6, req(INSTANCE_CATEGORY_LABEL, "In", "m")), "requirements are ANDed").to.equal(false);
    });

    it("cannot tell while a requirement that could exclude GPUs is unknown, unless something shows GPUs", () => {
        expect(gpu(req(INSTANCE_FAMILY_LABEL, "In", UNKNOWN))).to.equal(undefined);
        expect(gpu(UNKNOWN)).to.equal(undefined);
        expect(isGpuPool(nodePool("p", { requirements: UNKNOWN }).props)).to.equal(
            true,
            "the nvidia.com/gpu taint shows GPUs",
        );
        expect(gpu(req(INSTANCE_FAMILY_LABEL, "In", UNKNOWN), req(GPU_COUNT, "Gt", "0"))).to.equal(true);
        expect(gpu(req(INSTANCE_FAMILY_LABEL, "In", UNKNOWN), req(GPU_COUNT, "DoesNotExist"))).to.equal(false);
    });
});

describe("policies: EKS Auto Mode NodePools", () => {
    const gpu = (...requirements: unknown[]) => isGpuPool(autoModePool("p", { requirements, taints: [] }).props);
    const everyPolicy = (pool: EngineResource) => evaluateResources([pool]).map(formatViolation);
    // Auto Mode handles spot interruptions itself (awsdocs/amazon-eks-user-guide automode.adoc):
    // an Auto Mode stack has no interruption queue to check, so every policy, the stack one too, runs.

    it("reads GPU-ness from Auto Mode's eks.amazonaws.com/instance-* labels as from Karpenter's", () => {
        expect(gpu(req(AUTO.category, "In", "g"))).to.equal(true);
        expect(gpu(req(AUTO.family, "In", "g6e", "p5"))).to.equal(true);
        expect(gpu(req(AUTO.gpuManufacturer, "In", "nvidia"))).to.equal(true);
        expect(gpu(req(AUTO.gpuCount, "Gt", "0"))).to.equal(true);
        expect(gpu(req(AUTO.gpuName, "Exists"))).to.equal(true);
        expect(gpu(req(AUTO.gpuMemory, "Gte", "24576"))).to.equal(true);
        expect(gpu(req(AUTO.category, "In", "c", "m", "r"))).to.equal(false);
        expect(gpu(req(AUTO.category, "NotIn", "g", "gr", "p"))).to.equal(false);
        expect(gpu(req(AUTO.family, "In", "m7i", "c7g"))).to.equal(false);
        expect(gpu(req(AUTO.gpuCount, "DoesNotExist"))).to.equal(false);
        expect(gpu(req(AUTO.gpuCount, "Lt", "1"))).to.equal(false);
        expect(gpu(req(AUTO.gpuCount, "In", "0"))).to.equal(false);
    });

    it("passes a CPU-only Auto Mode pool on on-demand, like Auto Mode's general-purpose pool", () => {
        const generalPurpose = autoModePool("general-purpose", {
            requirements: [req(AUTO.category, "In", "c", "m", "r"), req(CAPACITY_TYPE_LABEL, "In", "on-demand")],
            taints: [],
            limits: { cpu: "1000" },
            disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s" },
        });
        expect(everyPolicy(generalPurpose)).to.deep.equal([]);
    });

    it("applies every GPU pool policy to an Auto Mode GPU pool, as to a self-managed one", () => {
        const onDemand = autoModePool("gpu", {
            requirements: [req(AUTO.family, "In", "g6e"), req(CAPACITY_TYPE_LABEL, "In", "on-demand")],
            taints: [],
            limits: undefined,
            disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "Never" },
        });
        expect(evaluateResources([onDemand]).map(v => `${v.policy} ${v.enforcement}`)).to.deep.equal([
            "gpu-nodepool-spot-only mandatory",
            "gpu-nodepool-consolidation mandatory",
            "gpu-nodepool-gpu-limit mandatory",
            "gpu-nodepool-taint advisory",
        ]);
        const pinned = autoModePool("one-type", {
            requirements: [SPOT, req(AUTO.family, "In", "g6"), req(AUTO.size, "In", "xlarge")],
        });
        expect(everyPolicy(pinned)).to.deep.equal([
            'gpu-nodepool-instance-diversity advisory NodePool/one-type: GPU NodePool "one-type" runs on spot but admits only one GPU instance type (g6.xlarge), so GPU pods stay pending whenever it has no spot capacity. Fix: admit at least two instance types (another size or family) in spec.template.spec.requirements.',
        ]);
        expect(
            everyPolicy(autoModePool("gpu", { requirements: [SPOT, req(AUTO.family, "In", "g6", "g6e")] })),
        ).to.deep.equal([]);
        // Category g takes in the fractional-GPU g6f too; the fix is given in Auto Mode's own label.
        expect(everyPolicy(autoModePool("gpu", { requirements: [SPOT, req(AUTO.category, "In", "g")] }))).to.deep.equal(
            [
                'gpu-nodepool-gpu-limit mandatory NodePool/gpu: GPU NodePool "gpu" admits g6f.large, g6f.xlarge, g6f.2xlarge and g6f.4xlarge, which have a fraction of a GPU each (Karpenter counts no nvidia.com/gpu on them), so its spec.limits["nvidia.com/gpu"] does not cap how many it launches. Fix: add the requirement {key: eks.amazonaws.com/instance-gpu-count, operator: Gt, values: ["0"]}, or leave out g6f and gr6f.',
            ],
        );
    });
});

describe("policies: gpu-nodepool-spot-only", () => {
    const policy = "gpu-nodepool-spot-only";
    const capacity = (...requirements: Requirement[]) => nodePool("gpu", { requirements: [G5_G6, ...requirements] });

    it("passes a GPU pool that admits only spot", () => {
        expect(messagesOf(policy, capacity(SPOT))).to.deep.equal([]);
        expect(messagesOf(policy, capacity(req(CAPACITY_TYPE_LABEL, "NotIn", "on-demand", "reserved")))).to.deep.equal(
            [],
        );
        expect(messagesOf(policy, capacity(req(CAPACITY_TYPE_LABEL, "Exists"), SPOT))).to.deep.equal([]);
    });

    it("fails a GPU pool without a capacity-type requirement: Karpenter then uses on-demand", () => {
        const [v, ...rest] = violationsOf(policy, [capacity()]);
        expect(rest).to.deep.equal([]);
        expect(v).to.include({ enforcement: "mandatory", kind: "NodePool", name: "gpu" });
        expect(v.message).to.equal(
            'GPU NodePool "gpu" has no karpenter.sh/capacity-type requirement, so Karpenter launches its GPU nodes on-demand. Fix: give it the requirement {key: karpenter.sh/capacity-type, operator: In, values: [spot]}.',
        );
    });

    it("fails on-demand, reserved, and NotIn or Exists forms that still admit other types", () => {
        const admits = (r: Requirement) => messagesOf(policy, capacity(r))[0];
        expect(admits(req(CAPACITY_TYPE_LABEL, "In", "on-demand"))).to.match(
            /^GPU NodePool "gpu" admits on-demand capacity .* Fix: give it the requirement \{key: karpenter.sh\/capacity-type, operator: In, values: \[spot\]\}\.$/,
        );
        expect(admits(req(CAPACITY_TYPE_LABEL, "In", "spot", "on-demand"))).to.contain("admits on-demand capacity");
        expect(admits(req(CAPACITY_TYPE_LABEL, "In", "reserved"))).to.contain("admits reserved capacity");
        expect(admits(req(CAPACITY_TYPE_LABEL, "NotIn", "on-demand"))).to.contain("admits reserved capacity");
        expect(admits(req(CAPACITY_TYPE_LABEL, "Exists"))).to.contain("admits on-demand and reserved capacity");
    });

    it("fails an unrestricted pool, which can launch an on-demand GPU node", () => {
        expect(messagesOf(policy, nodePool("default", { requirements: undefined, taints: undefined }))[0]).to.contain(
            'GPU NodePool "default" has no karpenter.sh/capacity-type requirement',
        );
    });

    it("passes CPU-only pools on on-demand", () => {
        for (const r of [
            req(GPU_COUNT, "DoesNotExist"),
            req(INSTANCE_CATEGORY_LABEL, "In", "c", "m", "r"),
            req(INSTANCE_FAMILY_LABEL, "In", "m7i"),
            req(INSTANCE_TYPE_LABEL, "In", "c5.large", "c5.xlarge"),
        ]) {
            expect(
                messagesOf(policy, cpuPool("cpu", r, req(CAPACITY_TYPE_LABEL, "In", "on-demand"))),
                JSON.stringify(r),
            ).to.deep.equal([]);
        }
    });

    it("allows the capacity types allowedCapacityTypes lists, such as prepaid reserved capacity", () => {
        const spotOrReserved = { [policy]: { allowedCapacityTypes: ["spot", "reserved"] } };
        expect(
            messagesOf(policy, capacity(req(CAPACITY_TYPE_LABEL, "In", "reserved", "spot")), spotOrReserved),
        ).to.deep.equal([]);
        expect(messagesOf(policy, capacity(req(CAPACITY_TYPE_LABEL, "In", "reserved")), spotOrReserved)).to.deep.equal(
            [],
        );
        expect(
            messagesOf(policy, capacity(req(CAPACITY_TYPE_LABEL, "NotIn", "on-demand")), spotOrReserved),
        ).to.deep.equal([]);
        expect(
            messagesOf(policy, capacity(req(CAPACITY_TYPE_LABEL, "In", "reserved", "on-demand")), spotOrReserved),
        ).to.deep.equal([
            'GPU NodePool "gpu" admits on-demand capacity through its karpenter.sh/capacity-type requirement, so it can launch GPU nodes that are not spot or reserved. Fix: give it the requirement {key: karpenter.sh/capacity-type, operator: In, values: [spot, reserved]}.',
        ]);
        expect(messagesOf(policy, capacity(), spotOrReserved)[0]).to.equal(
            'GPU NodePool "gpu" has no karpenter.sh/capacity-type requirement, so Karpenter launches its GPU nodes on-demand. Fix: give it the requirement {key: karpenter.sh/capacity-type, operator: In, values: [spot, reserved]}.',
        );
        expect(
            messagesOf(policy, capacity(), { [policy]: { allowedCapacityTypes: ["on-demand", "spot"] } }),
            "on-demand allowed",
        ).to.deep.equal([]);
    });

    it("checks nothing it cannot know yet during a preview", () => {
        expect(messagesOf(policy, capacity(req(CAPACITY_TYPE_LABEL, "In", UNKNOWN)))).to.deep.equal([]);
        expect(messagesOf(policy, nodePool("gpu", { requirements: [G5_G6, UNKNOWN] }))).to.deep.equal([]);
        expect(messagesOf(policy, nodePool("gpu", { requirements: UNKNOWN }))).to.deep.equal([]);
    });
});

describe("policies: gpu-nodepool-consolidation", () => {
    const policy = "gpu-nodepool-consolidation";
    const disruption = (d: unknown, config?: PolicyPackConfig) =>
        messagesOf(policy, nodePool("gpu", { disruption: d }), config);

    it("passes allowed policies with consolidateAfter up to the maximum", () => {
        expect(disruption({ consolidationPolicy: "WhenEmpty", consolidateAfter: "30s" })).to.deep.equal([]);
        expect(disruption({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "10m" })).to.deep.equal(
            [],
        );
        expect(
            disruption({ consolidationPolicy: "Balanced", consolidateAfter: "1m" }),
            "Karpenter 1.14's Balanced, allowed by default",
        ).to.deep.equal([]);
        expect(
            disruption(
                { consolidationPolicy: "WhenEmpty", consolidateAfter: "1h30m" },
                { [policy]: { maxConsolidateAfter: "2h" } },
            ),
        ).to.deep.equal([]);
    });

    it("fails consolidateAfter: Never", () => {
        expect(disruption({ consolidationPolicy: "WhenEmpty", consolidateAfter: "Never" })).to.deep.equal([
            'GPU NodePool "gpu" has consolidateAfter: Never, so its idle GPU nodes are never consolidated and keep billing. Fix: set spec.disruption.consolidateAfter to 10m or less.',
        ]);
    });

    it("fails a missing disruption block", () => {
        expect(disruption(undefined)).to.deep.equal([
            'GPU NodePool "gpu" has no spec.disruption, so it does not state when idle GPU nodes are removed. Fix: set spec.disruption.consolidationPolicy to WhenEmpty, WhenEmptyOrUnderutilized or Balanced and spec.disruption.consolidateAfter to 10m or less.',
        ]);
    });

    it("fails unstated fields, a long or malformed consolidateAfter, and policies the config does not allow", () => {
        expect(disruption({ consolidateAfter: "1m" })[0]).to.contain(
            "does not state spec.disruption.consolidationPolicy",
        );
        expect(disruption({ consolidationPolicy: "WhenEmpty" })[0]).to.contain(
            "does not state spec.disruption.consolidateAfter",
        );
        expect(disruption({ consolidationPolicy: "WhenEmpty", consolidateAfter: "15m" })[0]).to.contain(
            "has consolidateAfter 15m, longer than the 10m maximum",
        );
        expect(disruption({ consolidationPolicy: "WhenEmpty", consolidateAfter: "10 minutes" })[0]).to.contain(
            'has consolidateAfter "10 minutes", which is not a whole number of hours',
        );
        expect(
            disruption(
                { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m" },
                { [policy]: { allowedPolicies: ["WhenEmpty"], maxConsolidateAfter: "5m" } },
            ),
        ).to.deep.equal([
            'GPU NodePool "gpu" has consolidationPolicy "WhenEmptyOrUnderutilized", which is not allowed here. Fix: set spec.disruption.consolidationPolicy to WhenEmpty.',
        ]);
        expect(
            disruption(
                { consolidationPolicy: "Balanced", consolidateAfter: "1m" },
                { [policy]: { allowedPolicies: ["WhenEmpty", "WhenEmptyOrUnderutilized"] } },
            ),
        ).to.deep.equal([
            'GPU NodePool "gpu" has consolidationPolicy "Balanced", which is not allowed here. Fix: set spec.disruption.consolidationPolicy to WhenEmpty or WhenEmptyOrUnderutilized.',
        ]);
        expect(
            disruption(
                { consolidationPolicy: "WhenEmpty", consolidateAfter: "10m" },
                { [policy]: { maxConsolidateAfter: "5m" } },
            )[0],
        ).to.contain("longer than the 5m maximum");
    });

    it("passes a CPU-only pool that never consolidates", () => {
        expect(messagesOf(policy, cpuPool("cpu", req(GPU_COUNT, "DoesNotExist")))).to.deep.equal([]);
    });

    it("checks only the known fields during a preview", () => {
        expect(disruption(UNKNOWN)).to.deep.equal([]);
        expect(disruption({ consolidationPolicy: UNKNOWN, consolidateAfter: UNKNOWN })).to.deep.equal([]);
        expect(disruption({ consolidationPolicy: UNKNOWN, consolidateAfter: "Never" })[0]).to.contain(
            "consolidateAfter: Never",
        );
    });
});

describe("policies: gpu-nodepool-gpu-limit", () => {
    const policy = "gpu-nodepool-gpu-limit";
    const limits = (l: unknown, config?: PolicyPackConfig) =>
        messagesOf(policy, nodePool("gpu", { limits: l }), config);
    const max16 = { [policy]: { maxGpuLimit: 16 } };

    it("passes a GPU limit, as a number or a quantity string, up to the configured maximum", () => {
        expect(limits({ "nvidia.com/gpu": 8 })).to.deep.equal([]);
        expect(limits({ "nvidia.com/gpu": "16" }, max16)).to.deep.equal([]);
        expect(limits({ "nvidia.com/gpu": "1k" }), "no maximum configured").to.deep.equal([]);
    });

    it("fails a GPU pool without a GPU limit", () => {
        expect(limits(undefined)).to.deep.equal([
            'GPU NodePool "gpu" sets no spec.limits["nvidia.com/gpu"], so it can launch GPU nodes without bound. Fix: set spec.limits["nvidia.com/gpu"] to the most GPUs the pool may run.',
        ]);
        expect(limits({ cpu: "1000" }, max16)[0])
            .to.contain('sets no spec.limits["nvidia.com/gpu"]')
            .and.contain("at most 16.");
    });

    it("fails a limit above the maximum, including quantity suffixes", () => {
        expect(limits({ "nvidia.com/gpu": 32 }, max16)).to.deep.equal([
            'GPU NodePool "gpu" has spec.limits["nvidia.com/gpu"] 32, above the maximum of 16 GPUs. Fix: set spec.limits["nvidia.com/gpu"] to the most GPUs the pool may run, at most 16.',
        ]);
        expect(limits({ "nvidia.com/gpu": "8k" }, max16)[0]).to.contain('"8k", above the maximum of 16 GPUs');
    });

    it("fails a limit that is not a quantity", () => {
        expect(limits({ "nvidia.com/gpu": "eight" })[0]).to.contain(
            '"eight", which is not a Kubernetes quantity of GPUs',
        );
    });

    it("passes CPU-only pools and skips an unknown limit", () => {
        expect(messagesOf(policy, cpuPool("cpu", req(INSTANCE_CATEGORY_LABEL, "In", "c")))).to.deep.equal([]);
        expect(limits({ "nvidia.com/gpu": UNKNOWN }, max16)).to.deep.equal([]);
        expect(limits(UNKNOWN, max16)).to.deep.equal([]);
    });

    it("reads Kubernetes quantities", () => {
        expect([8, "8", "500m", "2k", "1Ki", "1e3", "1.5"].map(quantityValue)).to.deep.equal([
            8, 8, 0.5, 2000, 1024, 1000, 1.5,
        ]);
        expect(["", "8x", "k", "1 k", null].map(quantityValue)).to.deep.equal([
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
        ]);
    });
});

describe("policies: karpenter-v1-api", () => {
    const policy = "karpenter-v1-api";
    const release = (chart: string, version?: unknown, type = "kubernetes:helm.sh/v3:Release"): EngineResource => ({
        type,
        name: "karpenter",
        props: { chart, ...(version === undefined ? {} : { version }) },
    });

    it("fails v1beta1 resources of either Karpenter group and passes v1", () => {
        expect(violationsOf(policy, [nodePool("old", {}, "karpenter.sh/v1beta1")])).to.deep.equal([
            {
                policy,
                enforcement: "mandatory",
                kind: "NodePool",
                name: "old",
                message:
                    'NodePool "old" uses karpenter.sh/v1beta1, an API Karpenter 1.1 and later no longer serve. Fix: migrate it to karpenter.sh/v1.',
            },
        ]);
        const nodeClass = (apiVersion: string): EngineResource => ({
            type: `kubernetes:${apiVersion}:EC2NodeClass`,
            name: "nc",
            props: { apiVersion, kind: "EC2NodeClass", metadata: { name: "gpu" } },
        });
        expect(violationsOf(policy, [nodeClass("karpenter.k8s.aws/v1beta1")])[0].message).to.contain(
            "migrate it to karpenter.k8s.aws/v1",
        );
        expect(violationsOf(policy, [nodeClass("karpenter.k8s.aws/v1"), nodePool("gpu")])).to.deep.equal([]);
    });

    it("fails Karpenter charts older than 1.1, controller or CRD chart, however referenced", () => {
        const [v] = violationsOf(policy, [release("oci://public.ecr.aws/karpenter/karpenter", "1.0.6")]);
        expect(v).to.include({ kind: "Release", name: "karpenter" });
        expect(v.message).to.equal(
            'Release "karpenter" installs Karpenter chart karpenter 1.0.6, older than 1.1, the first release that serves only the v1 APIs. Fix: set version to 1.1.0 or later.',
        );
        expect(
            violationsOf(policy, [release("oci://public.ecr.aws/karpenter/karpenter-crd", "0.37.0")])[0].message,
        ).to.contain("chart karpenter-crd 0.37.0");
        expect(violationsOf(policy, [release("karpenter/karpenter", "v0.36.2")])).to.have.length(1);
        expect(violationsOf(policy, [release("karpenter", "1.0.0", "kubernetes:helm.sh/v4:Chart")])[0].kind).to.equal(
            "Chart",
        );
        expect(violationsOf(policy, [release("karpenter", "latest")])[0].message).to.contain(
            "which is not a version that can be checked",
        );
    });

    it("fails a controller Deployment rendered from an old chart", () => {
        const deployment: EngineResource = {
            type: "kubernetes:apps/v1:Deployment",
            name: "karpenter",
            props: { metadata: { name: "karpenter", labels: { "helm.sh/chart": "karpenter-1.0.8" } } },
        };
        expect(violationsOf(policy, [deployment])[0].message)
            .to.contain("comes from Karpenter chart karpenter 1.0.8")
            .and.contain("Fix: render it from Karpenter chart 1.1.0 or later.");
    });

    it("passes current, unpinned, unknown and unrelated charts", () => {
        expect(
            violationsOf(policy, [
                release("oci://public.ecr.aws/karpenter/karpenter", "1.1.0"),
                release("oci://public.ecr.aws/karpenter/karpenter-crd", "v1.6.2"),
                release("oci://public.ecr.aws/karpenter/karpenter"),
                release("oci://public.ecr.aws/karpenter/karpenter", UNKNOWN),
                release(UNKNOWN, "0.1.0"),
                release("oci://registry-1.docker.io/bitnamicharts/nginx", "0.1.0"),
                release("karpenter-provider-helper", "0.1.0"),
            ]),
        ).to.deep.equal([]);
    });
});

describe("policies: gpu-nodepool-taint (advisory)", () => {
    const policy = "gpu-nodepool-taint";
    const taints = (t: unknown) => violationsOf(policy, [nodePool("gpu", { taints: t })]);

    it("passes an nvidia.com/gpu NoSchedule taint", () => {
        expect(taints([GPU_TAINT])).to.deep.equal([]);
    });

    it("advises a GPU pool without it", () => {
        const [v] = taints(undefined);
        expect(v).to.include({ enforcement: "advisory", kind: "NodePool", name: "gpu" });
        expect(v.message).to.equal(
            'GPU NodePool "gpu" has no nvidia.com/gpu taint, so CPU pods can schedule onto its GPU nodes and keep them from being consolidated. Fix: add {key: nvidia.com/gpu, value: "true", effect: NoSchedule} to spec.template.spec.taints.',
        );
        expect(taints([{ ...GPU_TAINT, effect: "PreferNoSchedule" }])[0].message).to.contain(
            "taint with effect PreferNoSchedule, not NoSchedule",
        );
    });

    it("skips CPU pools and unknown taints", () => {
        expect(violationsOf(policy, [cpuPool("cpu", req(GPU_COUNT, "DoesNotExist"))])).to.deep.equal([]);
        expect(taints(UNKNOWN)).to.deep.equal([]);
        expect(taints([{ key: "nvidia.com/gpu", effect: UNKNOWN }])).to.deep.equal([]);
    });
});

describe("policies: gpu-nodepool-instance-diversity (advisory)", () => {
    const policy = "gpu-nodepool-instance-diversity";
    const pinned = (...requirements: Requirement[]) => violationsOf(policy, [nodePool("gpu", { requirements })]);

    it("advises a spot GPU pool pinned to one instance type", () => {
        const [v] = pinned(SPOT, req(INSTANCE_TYPE_LABEL, "In", "g5.xlarge"));
        expect(v).to.include({ enforcement: "advisory", name: "gpu" });
        expect(v.message).to.equal(
            'GPU NodePool "gpu" runs on spot but admits only one GPU instance type (g5.xlarge), so GPU pods stay pending whenever it has no spot capacity. Fix: admit at least two instance types (another size or family) in spec.template.spec.requirements.',
        );
        expect(
            pinned(SPOT, req(INSTANCE_FAMILY_LABEL, "In", "g6"), req(INSTANCE_SIZE_LABEL, "In", "2xlarge"))[0].message,
        ).to.contain("only one GPU instance type (g6.2xlarge)");
        expect(pinned(SPOT, req(INSTANCE_TYPE_LABEL, "In", "g5.xlarge", "m5.large"))).to.have.length(1);
    });

    it("passes pools with a choice of types, on-demand pools and unknown requirements", () => {
        expect(pinned(SPOT, req(INSTANCE_TYPE_LABEL, "In", "g5.xlarge", "g6.xlarge"))).to.deep.equal([]);
        expect(pinned(SPOT, G5_G6)).to.deep.equal([]);
        expect(pinned(SPOT, req(INSTANCE_FAMILY_LABEL, "In", "g5"))).to.deep.equal([]);
        expect(
            pinned(req(CAPACITY_TYPE_LABEL, "In", "on-demand"), req(INSTANCE_TYPE_LABEL, "In", "g5.xlarge")),
        ).to.deep.equal([]);
        expect(pinned(SPOT, req(INSTANCE_TYPE_LABEL, "In", "g5.xlarge", UNKNOWN))).to.deep.equal([]);
    });
});

describe("policies: the runner", () => {
    it("applies enforcement levels from the config, including disabled and all", () => {
        const pool = nodePool("gpu", { taints: undefined, limits: undefined });
        const levels = (config: PolicyPackConfig) =>
            evaluateResourcePolicies([pool], config).map(v => `${v.policy} ${v.enforcement}`);
        expect(levels({})).to.deep.equal(["gpu-nodepool-gpu-limit mandatory", "gpu-nodepool-taint advisory"]);
        expect(
            levels({ "gpu-nodepool-gpu-limit": "disabled", "gpu-nodepool-taint": { enforcementLevel: "mandatory" } }),
        ).to.deep.equal(["gpu-nodepool-taint mandatory"]);
        expect(levels({ all: "advisory" })).to.deep.equal([
            "gpu-nodepool-gpu-limit advisory",
            "gpu-nodepool-taint advisory",
        ]);
    });

    it("refuses knob values it cannot use when called without the engine's validation", () => {
        const pool = nodePool("gpu");
        expect(() =>
            evaluateResources([pool], { "gpu-nodepool-consolidation": { maxConsolidateAfter: "Never" } }),
        ).to.throw('gpu-nodepool-consolidation: maxConsolidateAfter must be a duration such as "10m", got "Never"');
        expect(() =>
            evaluateResources([pool], { "gpu-nodepool-spot-only": { allowedCapacityTypes: ["spot", "spot"] } }),
        ).to.throw(
            'gpu-nodepool-spot-only: allowedCapacityTypes must be a non-empty list of distinct values from spot, on-demand, reserved, got ["spot","spot"]',
        );
    });

    it("formats violations and the summary line", () => {
        const v: Violation = {
            policy: "gpu-nodepool-taint",
            enforcement: "advisory",
            kind: "NodePool",
            name: "gpu",
            message: "m.",
        };
        expect(formatViolation(v)).to.equal("gpu-nodepool-taint advisory NodePool/gpu: m.");
        expect(formatSummary([v, { ...v, enforcement: "mandatory" }, { ...v, enforcement: "mandatory" }], 3)).to.equal(
            "checked 3 resources: 2 mandatory violations, 1 advisory violation",
        );
        expect(formatSummary([], 1)).to.equal("checked 1 resource: 0 mandatory violations, 0 advisory violations");
    });

    it("uses the engine's own unknown sentinel", () => {
        expect(UNKNOWN).to.equal(unknownStringValue);
    });
});

describe("policies: under the policy engine", () => {
    it("is described by the README tables: every policy at its level, every setting with its default", () => {
        const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        const reference = readFileSync(path.join(__dirname, "..", "policies", "README.md"), "utf8");
        const rows = (text: string) =>
            text
                .split("\n")
                .filter(l => l.startsWith("| `"))
                .map(l =>
                    l
                        .split("|")
                        .slice(1, -1)
                        .map(c => c.trim()),
                );
        for (const p of policies) {
            const level = `${p.enforcementLevel}${"validateStack" in p ? " (stack)" : ""}`;
            for (const [file, text] of [
                ["README.md", readme],
                ["policies/README.md", reference],
            ]) {
                const row = rows(text).find(r => r[0] === `\`${p.name}\`` && /^(mandatory|advisory)/.test(r[1]));
                expect(row?.[1], `${file}: ${p.name}`).to.equal(level);
            }
            for (const [knob, schema] of Object.entries(p.configSchema?.properties ?? {})) {
                const row = rows(reference).find(r => r[0] === `\`${p.name}\`` && r[1] === `\`${knob}\``);
                expect(row, `policies/README.md configuration row for ${p.name}.${knob}`).to.not.equal(undefined);
                const documented = row![2].startsWith("`") ? JSON.parse(row![2].replace(/^`|`$/g, "")) : undefined;
                expect(documented, `${p.name}.${knob} default`).to.deep.equal(schema.default);
            }
        }
    });

    it("reads unknown values as not known yet instead of failing the policy", () => {
        const pool = nodePool("gpu", {
            disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: unknownStringValue },
        });
        expect(() => (unknownCheckingProxy(pool.props as object) as any).spec.disruption.consolidateAfter).to.throw(
            "can't be known during preview",
        );
        expect(engineReports("gpu-nodepool-consolidation", pool)).to.deep.equal([]);
        expect(
            engineReports("gpu-nodepool-spot-only", nodePool("gpu", { requirements: unknownStringValue })),
        ).to.deep.equal([]);
    });

    it("reports what is known, with the config the engine passes", () => {
        const pool = nodePool("gpu", {
            limits: { "nvidia.com/gpu": 64 },
            disruption: { consolidationPolicy: unknownStringValue, consolidateAfter: "Never" },
        });
        expect(engineReports("gpu-nodepool-consolidation", pool))
            .to.have.length(1)
            .and.to.match(/consolidateAfter: Never/);
        expect(
            engineReports("gpu-nodepool-gpu-limit", pool, { enforcementLevel: "mandatory", maxGpuLimit: 32 })[0],
        ).to.contain("above the maximum of 32 GPUs");
        expect(engineReports("gpu-nodepool-gpu-limit", pool)).to.deep.equal([]);
    });

    it("leaves resources of other types alone", () => {
        const queue: EngineResource = { type: "aws:sqs/queue:Queue", name: "q", props: { name: unknownStringValue } };
        for (const p of policies.filter(p => "validateResource" in p)) {
            expect(engineReports(p.name, queue), p.name).to.deep.equal([]);
        }
    });

    it("copies proxied props into plain data", () => {
        const copy = knownProps(unknownCheckingProxy({ a: [1, { b: unknownStringValue }], c: "x" }));
        expect(copy).to.deep.equal({ a: [1, { b: UNKNOWN }], c: "x" });
    });
});

describe("policies: gpu-nodepool-termination-grace (advisory)", () => {
    const policy = "gpu-nodepool-termination-grace";
    /** A GPU pool whose node template also states expireAfter and terminationGracePeriod, where given. */
    const pool = (template: Record<string, unknown>) => {
        const r = nodePool("gpu");
        delete (r.props as any).spec.template.spec.terminationGracePeriod;
        Object.assign((r.props as any).spec.template.spec, template);
        return violationsOf(policy, [r]);
    };

    it("advises a pool whose nodes expire with no grace period, Karpenter's default expiry included", () => {
        const [v] = pool({ expireAfter: "336h" });
        expect(v).to.include({ enforcement: "advisory", kind: "NodePool", name: "gpu" });
        expect(v.message).to.equal(
            'GPU NodePool "gpu" expires its nodes after 336h but sets no spec.template.spec.terminationGracePeriod, so a pod marked karpenter.sh/do-not-disrupt keeps an expired GPU node draining without end (or, on some Karpenter versions, is deleted at once). Fix: set spec.template.spec.terminationGracePeriod to as long as a job may need to checkpoint, e.g. 1h, or expireAfter to Never.',
        );
        expect(pool({})[0].message).to.contain("expires its nodes after Karpenter's default 720h");
    });

    it("passes a grace period, nodes that never expire, CPU pools and unknown values", () => {
        expect(pool({ expireAfter: "336h", terminationGracePeriod: "8h" })).to.deep.equal([]);
        expect(pool({ expireAfter: "Never" })).to.deep.equal([]);
        expect(pool({ expireAfter: UNKNOWN })).to.deep.equal([]);
        expect(pool({ terminationGracePeriod: UNKNOWN })).to.deep.equal([]);
        expect(violationsOf(policy, [cpuPool("cpu", req(GPU_COUNT, "DoesNotExist"))])).to.deep.equal([]);
    });
});
