import { expect } from "chai";
import { assertValidKarpenterObjects, SchemaError, validateKarpenterObject } from "../offline/karpenter-schema";

// Loose on purpose: the tests break these objects in ways their real types forbid.
type Obj = Record<string, any>;

function gpuNodePool(): Obj {
    return {
        apiVersion: "karpenter.sh/v1",
        kind: "NodePool",
        metadata: { name: "gpu" },
        spec: {
            template: {
                metadata: { labels: { "workload-type": "gpu" } },
                spec: {
                    requirements: [
                        { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
                        { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["g5", "g6"] },
                        { key: "karpenter.k8s.aws/instance-gpu-manufacturer", operator: "In", values: ["nvidia"] },
                    ],
                    taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }],
                    expireAfter: "720h",
                    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "gpu" },
                },
            },
            limits: { "nvidia.com/gpu": 8 },
            disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "1m" },
        },
    };
}

function gpuNodeClass(): Obj {
    return {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: "gpu" },
        spec: {
            role: "KarpenterNodeRole-demo",
            amiSelectorTerms: [{ alias: "al2023@latest" }],
            subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "demo" } }],
            securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "demo" } }],
            blockDeviceMappings: [
                {
                    deviceName: "/dev/xvda",
                    rootVolume: true,
                    ebs: { volumeSize: "100Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true },
                },
            ],
            metadataOptions: {
                httpEndpoint: "enabled",
                httpProtocolIPv6: "disabled",
                httpPutResponseHopLimit: 1,
                httpTokens: "required",
            },
        },
    };
}

/** The errors of `obj`, asserting there is one at `field` with exactly `reason`. */
function expectError(obj: unknown, field: string, reason: string): SchemaError[] {
    const errors = validateKarpenterObject(obj);
    expect(errors.map(e => [e.field, e.reason])).to.deep.include([field, reason]);
    return errors;
}

const GPU_COUNT = "karpenter.k8s.aws/instance-gpu-count";
const UNKNOWN_FIELD =
    "unknown field: not in the Karpenter 1.14.1 CRD; the API server drops it, at most with a warning (kubectl apply, which asks for strict validation, refuses it)";
const AMI_FAMILY_NOT_SUPPORTED =
    "family is not supported, must be one of the following: " +
    "'al2', 'al2023', 'bottlerocket', 'windows2019', 'windows2022', 'windows2025'";

describe("karpenter-schema", () => {
    describe("valid objects", () => {
        it("accepts the GPU NodePool", () => {
            expect(validateKarpenterObject(gpuNodePool())).to.deep.equal([]);
        });

        it("accepts the GPU EC2NodeClass", () => {
            expect(validateKarpenterObject(gpuNodeClass())).to.deep.equal([]);
        });

        it("accepts the al2 alias, whose family the CRD still lists", () => {
            const nc = gpuNodeClass();
            nc.spec.amiSelectorTerms = [{ alias: "al2@latest" }];
            expect(validateKarpenterObject(nc)).to.deep.equal([]);
        });

        it("applies CRD defaults before validating, like the API server, without touching the input", () => {
            const np = gpuNodePool();
            np.spec.disruption.budgets = [{ reasons: ["Empty"] }]; // `nodes` is required but defaults to 10%
            expect(validateKarpenterObject(np)).to.deep.equal([]);
            expect(np.spec.disruption.budgets).to.deep.equal([{ reasons: ["Empty"] }]);
        });

        it("ignores fields set to undefined, which never reach the API server", () => {
            const np = gpuNodePool();
            np.spec.weight = undefined;
            expect(validateKarpenterObject(np)).to.deep.equal([]);
        });

        it("treats null like the API server: absent in a field, an error in a map", () => {
            const np = gpuNodePool();
            np.spec.weight = null;
            expect(validateKarpenterObject(np)).to.deep.equal([]);
            np.spec.disruption.consolidateAfter = null; // required, no default
            np.spec.limits.cpu = null;
            expect(validateKarpenterObject(np).map(e => [e.field, e.reason])).to.deep.equal([
                ["spec.disruption.consolidateAfter", "required"],
                ["spec.limits[cpu]", "must be an integer or a string, got null"],
                ["", "the x-kubernetes-validations rules of spec were not checked because of the schema errors above"],
            ]);
        });

        // Sets every field that carries CEL rules, so each create-time rule of both CRDs is evaluated.
        it("evaluates every rule of fully loaded objects without error", () => {
            const np = gpuNodePool();
            np.spec.weight = 10;
            np.spec.disruption.budgets = [
                { nodes: "0", schedule: "0 9 * * mon-fri", duration: "8h", reasons: ["Drifted", "Underutilized"] },
            ];
            np.spec.template.metadata.labels["karpenter.sh/capacity-type"] = "spot";
            np.spec.template.spec.requirements.push(
                { key: GPU_COUNT, operator: "Gt", values: ["0"] },
                {
                    key: "node.kubernetes.io/instance-type",
                    operator: "In",
                    values: ["g5.xlarge", "g6.xlarge"],
                    minValues: 2,
                },
            );
            np.spec.template.spec.startupTaints = [{ key: "example.com/not-ready", effect: "NoSchedule" }];
            np.spec.template.spec.terminationGracePeriod = "1h";
            const staticPool = gpuNodePool();
            staticPool.spec.replicas = 2;
            staticPool.spec.limits = { nodes: 4 };

            const nc = gpuNodeClass();
            nc.spec.amiFamily = "AL2023";
            nc.spec.tags = { team: "ml" };
            nc.spec.capacityReservationSelectorTerms = [{ id: "cr-0123456789abcdef0" }, { tags: { team: "ml" } }];
            nc.spec.placementGroupSelector = { name: "gpu-cluster" };
            nc.spec.connectionTracking = { tcpEstablishedTimeout: 3600 };
            nc.spec.networkInterfaces = [
                { networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" },
                { networkCardIndex: 1, deviceIndex: 0, interfaceType: "efa-only" },
            ];
            nc.spec.blockDeviceMappings.push({
                deviceName: "/dev/xvdb",
                ebs: { snapshotID: "snap-0123456789abcdef0", volumeInitializationRate: 200 },
            });
            nc.spec.kubelet = {
                imageGCHighThresholdPercent: 85,
                imageGCLowThresholdPercent: 80,
                evictionHard: { "memory.available": "5%" },
                evictionSoft: { "memory.available": "10%" },
                evictionSoftGracePeriod: { "memory.available": "1m" },
                kubeReserved: { cpu: "100m", memory: "1Gi" },
                systemReserved: { cpu: "100m", pid: "1000" },
            };
            const nodeClassWithProfile = gpuNodeClass();
            delete nodeClassWithProfile.spec.role;
            nodeClassWithProfile.spec.instanceProfile = "KarpenterNodeInstanceProfile-demo";
            nodeClassWithProfile.spec.amiSelectorTerms = [{ id: "ami-0123456789abcdef0" }];
            nodeClassWithProfile.spec.amiFamily = "Custom";

            const objects = [np, staticPool, nc, nodeClassWithProfile];
            expect(objects.flatMap(o => validateKarpenterObject(o))).to.deep.equal([]);
        });

        it("does not throw for valid objects", () => {
            expect(() => assertValidKarpenterObjects([gpuNodePool(), gpuNodeClass()])).not.to.throw();
        });
    });

    describe("structural schema", () => {
        it("rejects a duration Karpenter cannot parse", () => {
            const np = gpuNodePool();
            np.spec.template.spec.expireAfter = "1 minute";
            const errors = expectError(
                np,
                "spec.template.spec.expireAfter",
                'must match ^(([0-9]+(s|m|h))+|Never)$, got "1 minute"',
            );
            expect(errors[0].object).to.equal("NodePool/gpu");
        });

        it("rejects a NodePool without nodeClassRef", () => {
            const np = gpuNodePool();
            delete np.spec.template.spec.nodeClassRef;
            expectError(np, "spec.template.spec.nodeClassRef", "required");
        });

        it("says which CEL rules a blocking schema error kept from running", () => {
            const np = gpuNodePool();
            delete np.spec.template.spec.nodeClassRef;
            expectError(
                np,
                "",
                "the x-kubernetes-validations rules of spec were not checked because of the schema errors above",
            );
        });

        it("reports an unknown field instead of letting the API server drop it", () => {
            const np = gpuNodePool();
            np.spec.disruption.consolidateAfterr = "5m";
            expectError(np, "spec.disruption.consolidateAfterr", `${UNKNOWN_FIELD} (did you mean consolidateAfter?)`);
        });

        it("rejects a volumeSize outside the CRD pattern", () => {
            const nc = gpuNodeClass();
            nc.spec.blockDeviceMappings[0].ebs.volumeSize = "100GB";
            const pattern =
                "^((?:[1-9][0-9]{0,3}|[1-4][0-9]{4}|[5][0-8][0-9]{3}|59000)Gi|" +
                "(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|[6][0-3][0-9]{3}|64000)G|" +
                "([1-9]||[1-5][0-7]|58)Ti|([1-9]||[1-5][0-9]|6[0-3]|64)T)$";
            expect(validateKarpenterObject(nc)).to.deep.equal([
                {
                    object: "EC2NodeClass/gpu",
                    field: "spec.blockDeviceMappings[0].ebs.volumeSize",
                    reason: `must match ${pattern}, got "100GB"`,
                },
            ]);
        });

        it("checks int-or-string quantities and names map keys in brackets", () => {
            const np = gpuNodePool();
            np.spec.limits.cpu = "1x";
            np.spec.limits.memory = true;
            const errors = validateKarpenterObject(np).map(e => [e.field, e.reason]);
            expect(errors).to.deep.include(["spec.limits[memory]", "must be an integer or a string, got true"]);
            expect(errors.find(([field]) => field === "spec.limits[cpu]")?.[1]).to.match(/^must match .*, got "1x"$/);
        });

        it("rejects enum, range, int32 and duplicate-in-set violations", () => {
            const np = gpuNodePool();
            np.spec.disruption.consolidationPolicy = "Never";
            np.spec.disruption.budgets = [{ nodes: "10%", reasons: ["Empty", "Empty"] }];
            np.spec.weight = 5_000_000_000;
            expectError(
                np,
                "spec.disruption.consolidationPolicy",
                'must be one of "WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced", got "Never"',
            );
            expectError(
                np,
                "spec.disruption.budgets[0].reasons[1]",
                'duplicate of item 0 ("Empty"): the list is a set',
            );
            expectError(np, "spec.weight", "must be <= 100, got 5000000000");
            expectError(np, "spec.weight", "must be a valid int32, got 5000000000");
        });

        it("reports status, which the API server ignores on create", () => {
            const np = gpuNodePool();
            np.status = { nodes: 1 };
            expect(validateKarpenterObject(np)).to.deep.equal([
                {
                    object: "NodePool/gpu",
                    field: "status",
                    reason: "is written by Karpenter: the API server ignores it on create (status subresource)",
                },
            ]);
        });
    });

    describe("metadata", () => {
        it("rejects a name with uppercase letters", () => {
            const np = gpuNodePool();
            np.metadata.name = "GPU";
            expectError(
                np,
                "metadata.name",
                "must be a lowercase RFC 1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', " +
                    'starting and ending with a letter or digit, got "GPU"',
            );
        });

        it("requires a name", () => {
            const nc = gpuNodeClass();
            delete nc.metadata.name;
            const errors = expectError(nc, "metadata.name", "required");
            expect(errors[0].object).to.equal("EC2NodeClass/<no name>");
        });

        it("caps NodePool names at 63 characters, the limit of the karpenter.sh/nodepool label value", () => {
            const name = "g".repeat(64);
            const np = gpuNodePool();
            np.metadata.name = name;
            expectError(
                np,
                "metadata.name",
                "must be at most 63 characters because Karpenter puts it in the karpenter.sh/nodepool node label, " +
                    "got 64",
            );
            const nc = gpuNodeClass();
            nc.metadata.name = name;
            expect(validateKarpenterObject(nc)).to.deep.equal([]);
        });

        it("checks label keys and values and unknown metadata fields", () => {
            const nc = gpuNodeClass();
            nc.metadata.labels = { "team/": "ml", tier: "gpu pool" };
            nc.metadata.label = { tier: "gpu" };
            expectError(
                nc,
                "metadata.labels[team/]",
                "key name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter " +
                    'or digit, got ""',
            );
            expectError(
                nc,
                "metadata.labels[tier]",
                "a label value must be at most 63 letters, digits, '-', '_' or '.', " +
                    'starting and ending with a letter or digit, got "gpu pool"',
            );
            expectError(nc, "metadata.label", UNKNOWN_FIELD);
        });
    });

    describe("apiVersion and kind", () => {
        it("rejects karpenter.sh/v1beta1, which Karpenter 1.14 does not serve", () => {
            const np = gpuNodePool();
            np.apiVersion = "karpenter.sh/v1beta1";
            expect(validateKarpenterObject(np)).to.deep.equal([
                {
                    object: "NodePool/gpu",
                    field: "apiVersion",
                    reason:
                        "karpenter.sh/v1beta1 is not served by Karpenter 1.14.1, which serves NodePool and " +
                        "EC2NodeClass as v1 only (v1beta1 was removed in Karpenter 1.1); use karpenter.sh/v1",
                },
            ]);
        });

        it("rejects other kinds and groups", () => {
            expectError(
                { ...gpuNodePool(), kind: "NodeClaim" },
                "kind",
                'must be karpenter.sh/v1 NodePool or karpenter.k8s.aws/v1 EC2NodeClass, got "NodeClaim"',
            );
            expectError(
                { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } },
                "apiVersion",
                'must be karpenter.sh/v1 NodePool or karpenter.k8s.aws/v1 EC2NodeClass, got "v1" "ConfigMap"',
            );
            expectError("NodePool", "", 'must be a Kubernetes object, got "NodePool"');
        });
    });

    describe("CEL rules", () => {
        it("rejects an In requirement without values", () => {
            const np = gpuNodePool();
            np.spec.template.spec.requirements[1].values = [];
            expectError(
                np,
                "spec.template.spec.requirements",
                "requirements with operator 'In' must have a value defined",
            );
        });

        it("reports a failing rule for every object that breaks it, each under its own name", () => {
            const pools = ["a", "b"].map(name => {
                const np = gpuNodePool();
                np.metadata.name = name;
                np.spec.template.spec.requirements[1].values = [];
                return np;
            });
            const reported = pools
                .flatMap(np => validateKarpenterObject(np))
                .filter(e => e.reason === "requirements with operator 'In' must have a value defined");
            expect(reported.map(e => `${e.object} ${e.field}`)).to.deep.equal([
                "NodePool/a spec.template.spec.requirements",
                "NodePool/b spec.template.spec.requirements",
            ]);
            expect(validateKarpenterObject(gpuNodePool())).to.deep.equal([]);
        });

        it("rejects Gt with two values", () => {
            const np = gpuNodePool();
            np.spec.template.spec.requirements.push({ key: GPU_COUNT, operator: "Gt", values: ["0", "1"] });
            expectError(
                np,
                "spec.template.spec.requirements",
                "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value",
            );
        });

        it("reports a rule that fails to evaluate as an error, not a pass", () => {
            const np = gpuNodePool();
            np.spec.template.spec.requirements.push({ key: GPU_COUNT, operator: "Gt", values: ["one"] });
            const errors = validateKarpenterObject(np);
            expect(errors).to.have.length(1);
            expect(errors[0].field).to.equal("spec.template.spec.requirements");
            expect(errors[0].reason).to.match(/^requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single /);
            expect(errors[0].reason).to.match(/positive integer value \(the rule could not be evaluated: .+\)$/);
        });

        it("rejects a restricted karpenter.sh label key in requirements and template labels", () => {
            const np = gpuNodePool();
            np.spec.template.spec.requirements.push({ key: "karpenter.sh/foo", operator: "Exists" });
            np.spec.template.metadata.labels["karpenter.sh/foo"] = "bar";
            expectError(np, "spec.template.spec.requirements[3].key", 'label domain "karpenter.sh" is restricted');
            expectError(np, "spec.template.metadata.labels", 'label domain "karpenter.sh" is restricted');
        });

        it("rejects an alias of an unknown AMI family", () => {
            const nc = gpuNodeClass();
            nc.spec.amiSelectorTerms = [{ alias: "ubuntu@latest" }];
            expectError(nc, "spec.amiSelectorTerms[0].alias", AMI_FAMILY_NOT_SUPPORTED);
        });

        it("rejects alias combined with id in one term", () => {
            const nc = gpuNodeClass();
            nc.spec.amiSelectorTerms = [{ alias: "al2023@latest", id: "ami-0123456789abcdef0" }];
            expectError(
                nc,
                "spec.amiSelectorTerms",
                "'alias' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms",
            );
            expectError(
                nc,
                "spec.amiSelectorTerms",
                "'id' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms",
            );
        });

        it("rejects an alias term next to another term", () => {
            const nc = gpuNodeClass();
            nc.spec.amiSelectorTerms = [{ alias: "al2023@latest" }, { tags: { team: "ml" } }];
            expectError(
                nc,
                "spec.amiSelectorTerms",
                "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms",
            );
        });

        it("rejects both role and instanceProfile", () => {
            const nc = gpuNodeClass();
            nc.spec.instanceProfile = "KarpenterNodeInstanceProfile-demo";
            expect(validateKarpenterObject(nc)).to.deep.equal([
                {
                    object: "EC2NodeClass/gpu",
                    field: "spec",
                    reason: "must specify exactly one of ['role', 'instanceProfile']",
                },
            ]);
        });

        it("rejects an amiFamily that contradicts the alias", () => {
            const nc = gpuNodeClass();
            nc.spec.amiFamily = "Bottlerocket";
            expectError(nc, "spec", "if set, amiFamily must be 'AL2023' or 'Custom' when using an AL2023 alias");
        });

        it("checks integer fields as CEL ints", () => {
            const nc = gpuNodeClass();
            nc.spec.kubelet = { imageGCHighThresholdPercent: 50, imageGCLowThresholdPercent: 80 };
            expectError(
                nc,
                "spec.kubelet",
                "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent",
            );
        });
    });

    describe("assertValidKarpenterObjects", () => {
        it("throws one error listing every problem of every object", () => {
            const np = gpuNodePool();
            np.spec.template.spec.expireAfter = "1 minute";
            const nc = gpuNodeClass();
            nc.spec.instanceProfile = "profile";
            expect(() => assertValidKarpenterObjects([np, nc])).to.throw(
                "the Karpenter 1.14.1 CRDs would reject these objects:\n" +
                    "  NodePool/gpu spec.template.spec.expireAfter: " +
                    'must match ^(([0-9]+(s|m|h))+|Never)$, got "1 minute"\n' +
                    "  EC2NodeClass/gpu spec: must specify exactly one of ['role', 'instanceProfile']",
            );
        });
    });

    describe("many objects", () => {
        // The rules' verdicts are kept per value and shared between objects; speed is the bench's to measure.
        it("judges each of 50 pools by its own values", () => {
            const results = Array.from({ length: 50 }, (_, i) => {
                const np = gpuNodePool();
                np.metadata.name = `gpu-${i}`;
                if (i === 25) np.spec.template.spec.requirements[1].values = [];
                const nc = gpuNodeClass();
                nc.metadata.name = `gpu-${i}`;
                return [...validateKarpenterObject(np), ...validateKarpenterObject(nc)];
            });
            expect(results).to.have.length(50);
            expect(results.flatMap(errors => errors.map(e => `${e.object} ${e.field}: ${e.reason}`))).to.deep.equal([
                "NodePool/gpu-25 spec.template.spec.requirements: requirements with operator 'In' must have a value defined",
            ]);
        });
    });
});
