import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { type CliResult, checkManifests } from "./helpers";

const GOOD = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: gpu-spot
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: gpu}
      requirements:
        - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
        - {key: karpenter.k8s.aws/instance-family, operator: In, values: [g5, g6e]}
      taints:
        - {key: nvidia.com/gpu, value: "true", effect: NoSchedule}
      terminationGracePeriod: 1h
  limits:
    nvidia.com/gpu: "8"
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: 5m
---
# CPU-only, on-demand and never consolidated: none of the GPU policies apply.
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: cpu
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: karpenter.k8s.aws/instance-gpu-count, operator: DoesNotExist}
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: Never
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: gpu
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data: {}
`;

const BAD = `
# No requirements at all: Karpenter can launch an on-demand GPU node for a GPU pod.
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements: []
---
apiVersion: karpenter.sh/v1beta1
kind: NodePool
metadata:
  name: legacy
spec: {}
`;

const ADVISORY = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: one-type
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: gpu}
      requirements:
        - {key: karpenter.sh/capacity-type, operator: NotIn, values: [on-demand, reserved]}
        - {key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}
      taints:
        - {key: nvidia.com/gpu, effect: PreferNoSchedule}
      expireAfter: Never
  limits:
    nvidia.com/gpu: 4
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 30s
`;

/** A spot GPU pool that passes every resource policy: `family` with `gpus` GPUs at most. */
const pool = (name: string, family: string, gpus: number, requirementsKey = "requirements") => `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: ${name}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: gpu}
      ${requirementsKey}:
        - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
        - {key: karpenter.k8s.aws/instance-family, operator: In, values: [${family}]}
      taints:
        - {key: nvidia.com/gpu, value: "true", effect: NoSchedule}
      expireAfter: Never
  limits:
    nvidia.com/gpu: "${gpus}"
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: 5m
`;

const NOT_RUN =
    "not run: spot-gpu-requires-interruption-handling (it checks the stack's SQS queue and EventBridge rules, " +
    "which manifests do not hold; npm run plan and pulumi preview --policy-pack run it)";

describe("policies: check-manifests command line", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "check-manifests-"));
    const file = (name: string, text: string) => {
        writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
    };
    const runs: Record<string, CliResult> = {};

    before(async function () {
        this.timeout(60_000);
        const good = file("good.yaml", GOOD);
        const cases: Record<string, string[]> = {
            bad: [file("bad.yaml", BAD), good],
            advisory: [good, file("advisory.yaml", ADVISORY)],
            configured: [
                "--policy-pack-config",
                file("limit.json", '{"gpu-nodepool-gpu-limit": {"maxGpuLimit": 4}}'),
                good,
            ],
            badConfig: [
                "--policy-pack-config",
                file(
                    "bad-config.json",
                    JSON.stringify({
                        "gpu-nodepool-consolidation": {
                            allowedPolicies: ["WhenEmpty", "WhenEmpty"],
                            maxConsolidateAfter: "Never",
                        },
                        "gpu-nodepool-tiant": "advisory",
                    }),
                ),
                good,
            ],
            reservedConfig: [
                "--policy-pack-config",
                file("reserved.json", '{"gpu-nodepool-spot-only": {"allowedCapacityTypes": ["spot", "reserved"]}}'),
                file(
                    "reserved.yaml",
                    GOOD.replace("values: [spot]", "values: [reserved, spot]").replace(
                        "values: [g5, g6e]",
                        "values: [p5]",
                    ),
                ),
            ],
            unreadable: [
                good,
                path.join(dir, "missing.yaml"),
                file("syntax.yaml", "apiVersion: v1\nkind: [ConfigMap\n"),
                file("values.yaml", "settings:\n  clusterName: gpu\n"),
            ],
            noFiles: [],
            // Two files of one stack: $16.38/h and $15.15/h, each under a $30/h budget, over it together.
            budget: [
                "--policy-pack-config",
                file("budget.json", '{"gpu-stack-hourly-cost": {"maxHourlyCost": 30}}'),
                file("serve.yaml", pool("serve", "g5, g6", 4)),
                file("batch.yaml", pool("batch", "g6e", 2)),
            ],
            typo: [file("typo.yaml", pool("typo", "g5", 4, "requirments"))],
            help: ["--help", "not-read.yaml"],
        };
        const results = await Promise.all(Object.values(cases).map(args => checkManifests(...args)));
        Object.keys(cases).forEach((name, i) => (runs[name] = results[i]));
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    // The image-pull advice goes on to price the wait and cite public figures: its first sentence is what is checked here.
    const IMAGE_PULL_CLAUSE = " nor an image snapshot";
    const imagePull = (pool: string) =>
        `gpu-nodepool-image-pull advisory NodePool/${pool}: GPU NodePool "${pool}" pulls its images layer after layer: EC2NodeClass "gpu" turns on neither parallel pull${IMAGE_PULL_CLAUSE}`;
    const lines = (out: string) =>
        out
            .split("\n")
            .map(l =>
                l.startsWith("gpu-nodepool-image-pull ")
                    ? l.slice(0, l.indexOf(IMAGE_PULL_CLAUSE) + IMAGE_PULL_CLAUSE.length)
                    : l,
            );

    it("prints one line per violation and exits 1 on a mandatory one", () => {
        expect(runs.bad.stderr).to.equal("");
        expect(runs.bad.code).to.equal(1);
        expect(lines(runs.bad.stdout)).to.deep.equal([
            'gpu-nodepool-spot-only mandatory NodePool/default: GPU NodePool "default" has no karpenter.sh/capacity-type requirement, so Karpenter launches its GPU nodes on-demand. Fix: give it the requirement {key: karpenter.sh/capacity-type, operator: In, values: [spot]}.',
            'gpu-nodepool-consolidation mandatory NodePool/default: GPU NodePool "default" has no spec.disruption, so it does not state when idle GPU nodes are removed. Fix: set spec.disruption.consolidationPolicy to WhenEmpty, WhenEmptyOrUnderutilized or Balanced and spec.disruption.consolidateAfter to 10m or less.',
            'gpu-nodepool-gpu-limit mandatory NodePool/default: GPU NodePool "default" sets no spec.limits["nvidia.com/gpu"], so it can launch GPU nodes without bound. Fix: set spec.limits["nvidia.com/gpu"] to the most GPUs the pool may run.',
            'gpu-nodepool-taint advisory NodePool/default: GPU NodePool "default" has no nvidia.com/gpu taint, so CPU pods can schedule onto its GPU nodes and keep them from being consolidated. Fix: add {key: nvidia.com/gpu, value: "true", effect: NoSchedule} to spec.template.spec.taints.',
            `gpu-nodepool-termination-grace advisory NodePool/default: GPU NodePool "default" expires its nodes after Karpenter's default 720h but sets no spec.template.spec.terminationGracePeriod, so a pod marked karpenter.sh/do-not-disrupt keeps an expired GPU node draining without end (or, on some Karpenter versions, is deleted at once). Fix: set spec.template.spec.terminationGracePeriod to as long as a job may need to checkpoint, e.g. 1h, or expireAfter to Never.`,
            'karpenter-v1-api mandatory NodePool/legacy: NodePool "legacy" uses karpenter.sh/v1beta1, an API Karpenter 1.1 and later no longer serve. Fix: migrate it to karpenter.sh/v1.',
            imagePull("gpu-spot"),
            NOT_RUN,
            "checked 6 resources: 4 mandatory violations, 3 advisory violations",
            "",
        ]);
    });

    it("exits 0 when the manifests pass or break only advisory policies", () => {
        expect(runs.advisory).to.include({ code: 0, stderr: "" });
        expect(lines(runs.advisory.stdout)).to.deep.equal([
            'gpu-nodepool-taint advisory NodePool/one-type: GPU NodePool "one-type" has its nvidia.com/gpu taint with effect PreferNoSchedule, not NoSchedule, so CPU pods can schedule onto its GPU nodes and keep them from being consolidated. Fix: add {key: nvidia.com/gpu, value: "true", effect: NoSchedule} to spec.template.spec.taints.',
            'gpu-nodepool-instance-diversity advisory NodePool/one-type: GPU NodePool "one-type" runs on spot but admits only one GPU instance type (g5.xlarge), so GPU pods stay pending whenever it has no spot capacity. Fix: admit at least two instance types (another size or family) in spec.template.spec.requirements.',
            imagePull("gpu-spot"),
            imagePull("one-type"),
            NOT_RUN,
            "checked 5 resources: 0 mandatory violations, 4 advisory violations",
            "",
        ]);
    });

    it("takes a --policy-pack-config file like pulumi preview", () => {
        expect(runs.configured.code).to.equal(1);
        expect(runs.configured.stdout).to.contain(
            'gpu-nodepool-gpu-limit mandatory NodePool/gpu-spot: GPU NodePool "gpu-spot" has spec.limits["nvidia.com/gpu"] "8", above the maximum of 4 GPUs.',
        );
        expect(runs.reservedConfig).to.include({ code: 0, stderr: "" });
        expect(lines(runs.reservedConfig.stdout)).to.deep.equal([
            imagePull("gpu-spot"),
            NOT_RUN,
            "checked 4 resources: 0 mandatory violations, 1 advisory violation",
            "",
        ]);
    });

    it("runs the stack policies over all the files together: two pools each within a stack budget, over it summed", () => {
        expect(runs.budget).to.include({ code: 1, stderr: "" });
        expect(runs.budget.stdout.split("\n")).to.deep.equal([
            `gpu-stack-hourly-cost mandatory NodePool/serve: The stack's 2 GPU NodePools can cost up to $31.54/h together ("serve" $16.38/h, "batch" $15.15/h, at us-east-1 on-demand prices), above the stack's $30.00/h maximum. Fix: lower the pools' spec.limits["nvidia.com/gpu"] (gpuLimit), starting with "serve", whose g5.16xlarge sets its ceiling, or leave their most expensive types out, until the sum is $30.00/h or less.`,
            NOT_RUN,
            "checked 2 resources: 1 mandatory violation, 0 advisory violations",
            "",
        ]);
    });

    it("checks every Karpenter object against the CRDs: a misspelt field is named, not taken for a missing requirement", () => {
        expect(runs.typo).to.include({ code: 1, stderr: "" });
        expect(runs.typo.stdout.split("\n")).to.deep.equal([
            "Karpenter 1.14.1 schema errors (the policies skip these objects until they are fixed):",
            "  NodePool/typo spec.template.spec.requirements: required",
            "  NodePool/typo spec.template.spec.requirments: unknown field: not in the Karpenter 1.14.1 CRD; the API server drops it, at most with a warning (kubectl apply, which asks for strict validation, refuses it) (did you mean requirements?)",
            "  NodePool/typo: the x-kubernetes-validations rules of spec were not checked because of the schema errors above",
            "checked 0 resources: 0 mandatory violations, 0 advisory violations; 1 invalid Karpenter object",
            "",
        ]);
    });

    it("prints its usage on --help and exits 0, reading no file", () => {
        expect(runs.help).to.include({ code: 0, stderr: "" });
        expect(runs.help.stdout).to.match(
            /^usage: npm run check-manifests -- \[--policy-pack-config FILE\.json\] MANIFEST\.yaml\.\.\.\n/,
        );
        expect(runs.help.stdout).to.contain("Exit status: 0 when");
    });

    it("refuses a config the engine would refuse, or would silently ignore parts of, with exit 2", () => {
        expect(runs.badConfig).to.include({ code: 2, stdout: "" });
        expect(runs.badConfig.stderr.split("\n")).to.deep.equal([
            `check-manifests: ${dir}/bad-config.json: invalid policy pack config:`,
            "  gpu-nodepool-tiant: no such policy in this pack, and the engine would silently ignore it (policies: gpu-nodepool-spot-only, gpu-nodepool-consolidation, gpu-nodepool-gpu-limit, gpu-nodepool-hourly-cost, karpenter-v1-api, gpu-nodepool-taint, gpu-nodepool-termination-grace, gpu-nodepool-instance-diversity, spot-gpu-requires-interruption-handling, gpu-stack-hourly-cost, gpu-nodepool-image-pull)",
            '  gpu-nodepool-consolidation: allowedPolicies: lists "WhenEmpty" more than once, got ["WhenEmpty","WhenEmpty"] (The spec.disruption.consolidationPolicy values a GPU NodePool may use.)',
            '  gpu-nodepool-consolidation: maxConsolidateAfter: must match pattern "^([0-9]+(s|m|h))+$", got "Never" (The longest spec.disruption.consolidateAfter a GPU NodePool may use, e.g. 30s, 5m, 1h.)',
            "",
        ]);
    });

    it("exits 2 on unreadable input, saying why for each file on stderr", () => {
        expect(runs.unreadable).to.include({ code: 2, stdout: "" });
        const [missing, syntax, notKubernetes, ...rest] = runs.unreadable.stderr.split("\n");
        expect(missing).to.equal(
            `check-manifests: ${dir}/missing.yaml: cannot read: ENOENT: no such file or directory, open '${dir}/missing.yaml'`,
        );
        expect(syntax).to.match(
            /^check-manifests: .*\/syntax\.yaml: invalid YAML: Flow sequence .* at line 3, column 1:$/,
        );
        expect(notKubernetes).to.equal(
            `check-manifests: ${dir}/values.yaml: a document is not a Kubernetes object (it needs apiVersion and kind)`,
        );
        expect(rest).to.deep.equal([""]);
        expect(runs.noFiles).to.include({ code: 2, stdout: "" });
        expect(runs.noFiles.stderr).to.contain(
            "usage: npm run check-manifests -- [--policy-pack-config FILE.json] MANIFEST.yaml...",
        );
    });
});
