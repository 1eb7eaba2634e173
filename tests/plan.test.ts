import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { validateKarpenterObject } from "../offline/karpenter-schema";
import {
    type CliResult,
    planCli,
    planCliIn,
    planOwnStack,
    projectCopy,
    readJson,
    runCommand,
    stackFile,
} from "./helpers";
import { fromYaml } from "../components/yaml";

const ROOT = path.resolve(__dirname, "..");

const readYaml = (file: string): any => fromYaml(readFileSync(file, "utf8"));
/** How kubectl reads a manifest: YAML 1.1, where yes, on, dates and 1_000 are not strings. */
const yaml11 = (text: string): any => parseYaml(text, { version: "1.1" });

describe("npm run plan", function () {
    this.timeout(60000);
    const tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-plan-"));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    describe("dev stack", () => {
        const out = path.join(tmp, "dev");
        let result: CliResult;
        before(async () => {
            result = await planCli("--stack", "dev", "--out", out);
        });

        it("exits 0 and prints the made-up cluster, counts, the GPU pool table, the policy verdicts and where the files went, in that order", () => {
            expect(result.code, result.stderr).to.equal(0);
            const text = result.stdout;
            expect(text).to.match(/^stack dev: 36 resources in us-west-2 \(aws:region\)$/m);
            expect(text).to.match(/^\s+1\s+kubernetes:karpenter\.sh\/v1:NodePool$/m);
            expect(text).to.match(/^\s+5\s+aws:cloudwatch\/eventRule:EventRule$/m);
            expect(text).to.match(
                /^\s+POOL\s+CAPACITY\s+INSTANCES\s+GPU LIMIT\s+CONSOLIDATION\s+AMI\s+ROOT VOLUME\s+IMAGES\s+\$\/H CEILING$/m,
            );
            expect(text).to.match(
                /^\s+gpu\s+spot\s+g5,g6\s+4\s+WhenEmpty after 1m\s+al2023@latest\s+100Gi\s+parallel pull\s+16\.38 \(g5\.16xlarge\)$/m,
            );
            expect(text).to.match(/0 mandatory violations/);
            const order = ["Planned offline against", "stack dev", "GPU pools:", "Policies:", "Wrote "].map(s =>
                text.indexOf(s),
            );
            expect(order).to.deep.equal([...order].sort((a, b) => a - b));
            expect(order.every(i => i >= 0)).to.equal(true);
        });

        it("prints exactly what the README says a fresh clone's npm run plan prints", () => {
            const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
            const sample = readme.split("`npm run plan` on a fresh clone prints:")[1].split("```")[1];
            const printed = result.stdout.replace(`Wrote ${path.relative(ROOT, out)}/`, "Wrote plan/dev/");
            expect(printed.trim()).to.equal(sample.trim());
        });

        it("says first, and in plan.json and each YAML file, which made-up cluster it ran against", () => {
            const header = [
                "Planned offline against a made-up cluster described by offline/default-cluster.json (the default; --cluster FILE describes yours)",
                "  account 111122223333, Kubernetes 1.34, API_AND_CONFIG_MAP authentication, node groups system, general",
                "  The ids, ARNs and names in the plan's files that AWS would assign or look up come from this description, not from your account.",
                `  Not confirmed by it: clusterName "dev-ai": the description names no cluster, so every name is found (set cluster.name in it to check)`,
            ];
            expect(result.stdout.split("\n").slice(0, 5)).to.deep.equal([...header, ""]);
            const record = readJson(path.join(out, "plan.json"));
            expect(record.describedCluster).to.deep.include({ file: "offline/default-cluster.json", default: true });
            expect(record.describedCluster.note).to.deep.equal(header.map(l => l.trim()));
            expect(record.describedCluster.description.accountId).to.equal("111122223333");
            expect(record.region).to.deep.equal({ name: "us-west-2", from: "aws:region" });
            const comment = header.map(l => `# ${l.trim()}`).join("\n");
            for (const file of ["manifests/nodepool-gpu.yaml", "helm/karpenter.yaml"]) {
                expect(readFileSync(path.join(out, file), "utf8").startsWith(comment + "\n"), file).to.equal(true);
            }
        });

        it("writes every registered resource with its type, parent, dependencies and inputs", () => {
            const resources = readJson(path.join(out, "resources.json"));
            expect(resources).to.have.length(36);
            const pool = resources.find((r: any) => r.type === "kubernetes:karpenter.sh/v1:NodePool");
            expect(pool.urn).to.equal(
                "urn:pulumi:dev::gpu-karpenter::gpu-karpenter:index:GpuKarpenter$kubernetes:karpenter.sh/v1:NodePool::gpu-karpenter-gpu-nodepool",
            );
            expect(pool.parent).to.equal(
                "urn:pulumi:dev::gpu-karpenter::gpu-karpenter:index:GpuKarpenter::gpu-karpenter",
            );
            const nodeClass = resources.find((r: any) => r.type === "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
            expect(pool.dependencies).to.include(nodeClass.urn);
            expect(Object.keys(pool)).to.deep.equal(["urn", "type", "name", "parent", "dependencies", "inputs"]);
            const queuePolicy = resources.find((r: any) => r.type === "aws:sqs/queuePolicy:QueuePolicy");
            expect(queuePolicy.inputs.policy).to.be.a("string");
        });

        it("writes each Kubernetes object as a complete manifest that round-trips through YAML and passes the v1 schema", () => {
            expect(readdirSync(path.join(out, "manifests")).sort()).to.deep.equal([
                "ec2nodeclass-gpu.yaml",
                "nodepool-gpu.yaml",
            ]);
            const pool = readYaml(path.join(out, "manifests", "nodepool-gpu.yaml"));
            expect(pool).to.deep.include({ apiVersion: "karpenter.sh/v1", kind: "NodePool" });
            expect(pool.metadata.name).to.equal("gpu");
            expect(pool.spec.disruption).to.deep.equal({ consolidationPolicy: "WhenEmpty", consolidateAfter: "1m" });
            expect(validateKarpenterObject(pool)).to.deep.equal([]);
            const nodeClass = readYaml(path.join(out, "manifests", "ec2nodeclass-gpu.yaml"));
            expect(nodeClass.spec.role).to.equal("gpu-karpenter-node-role-abb0d61");
            expect(validateKarpenterObject(nodeClass)).to.deep.equal([]);
        });

        it("writes each Helm release with chart, repository, version, namespace, skipCrds and values", () => {
            expect(readdirSync(path.join(out, "helm")).sort()).to.deep.equal([
                "karpenter-crd.yaml",
                "karpenter.yaml",
                "nvidia-device-plugin.yaml",
            ]);
            const karpenter = readYaml(path.join(out, "helm", "karpenter.yaml"));
            expect(karpenter).to.deep.include({
                chart: "oci://public.ecr.aws/karpenter/karpenter",
                repository: "oci://public.ecr.aws/karpenter",
                version: "1.14.1",
                namespace: "kube-system",
                skipCrds: true,
            });
            expect(karpenter.values.settings).to.deep.equal({ clusterName: "dev-ai", interruptionQueue: "dev-ai" });
            const plugin = readYaml(path.join(out, "helm", "nvidia-device-plugin.yaml"));
            expect(plugin.repository).to.equal("https://nvidia.github.io/k8s-device-plugin");
        });

        it("writes each role's trust policy, policy documents and managed policy ARNs", () => {
            const node = path.join(out, "iam", "gpu-karpenter-node-role");
            expect(readJson(path.join(node, "trust-policy.json")).Statement[0].Principal).to.deep.equal({
                Service: "ec2.amazonaws.com",
            });
            expect(readJson(path.join(node, "managed-policies.json"))).to.have.length(4);
            const controller = path.join(out, "iam", "gpu-karpenter-controller-role");
            expect(readdirSync(controller).sort()).to.deep.equal([
                "gpu-karpenter-controller-eksintegration.json",
                "gpu-karpenter-controller-iamintegration.json",
                "gpu-karpenter-controller-interruption.json",
                "gpu-karpenter-controller-nodelifecycle.json",
                "gpu-karpenter-controller-resourcediscovery.json",
                "managed-policies.json",
                "trust-policy.json",
            ]);
            const lifecycle = readFileSync(
                path.join(controller, "gpu-karpenter-controller-nodelifecycle.json"),
                "utf8",
            );
            expect(lifecycle).to.contain('\n  "Statement": [');
            expect(JSON.parse(lifecycle).Statement.map((s: any) => s.Sid)).to.include("AllowScopedDeletion");
        });
    });

    it("plans prod: two pools, Pod Identity, pinned AMIs", async () => {
        const out = path.join(tmp, "prod");
        const result = await planCli("--stack", "prod", "--out", out);
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.match(
            /^\s+inference\s+spot\s+g6,g6e\s+16\s+WhenEmptyOrUnderutilized after 5m\s+al2023@v20251217\s+150Gi\s+parallel pull\s+121\.24 \(g6e\.16xlarge\)$/m,
        );
        expect(result.stdout).to.match(
            /^\s+training\s+spot\s+p5\.48xlarge,p5e\.48xlarge,p4d\.24xlarge\s+64\s+WhenEmpty after 2m\s+al2023@v20251217\s+500Gi\s+parallel pull\s+440\.32 \(p5\.48xlarge\)$/m,
        );
        expect(readdirSync(path.join(out, "manifests"))).to.include.members([
            "nodepool-inference.yaml",
            "nodepool-training.yaml",
        ]);
        const trust = readJson(path.join(out, "iam", "gpu-karpenter-controller-role", "trust-policy.json"));
        expect(trust.Statement[0].Principal).to.deep.equal({ Service: "pods.eks.amazonaws.com" });
    });

    it("discovers what --cluster describes: the node groups' subnets, the issuer in the trust policy", async () => {
        const clusterFile = path.join(tmp, "cluster.json");
        writeFileSync(
            clusterFile,
            JSON.stringify({
                accountId: "999988887777",
                cluster: {
                    oidcIssuer: "https://oidc.eks.us-west-2.amazonaws.com/id/FEEDFACE",
                    nodeGroups: [{ name: "workers", subnetIds: ["subnet-0123456789abcdef0"] }],
                },
            }),
        );
        const out = path.join(tmp, "other");
        const result = await planCli("--cluster", clusterFile, "--out", out);
        expect(result.code, result.stderr).to.equal(0);
        const nodeClass = readYaml(path.join(out, "manifests", "ec2nodeclass-gpu.yaml"));
        expect(nodeClass.spec.subnetSelectorTerms).to.deep.equal([{ id: "subnet-0123456789abcdef0" }]);
        expect(nodeClass.spec.securityGroupSelectorTerms).to.deep.equal([{ id: "sg-0c1a2b3c4d5e6f708" }]);
        const trust = readJson(path.join(out, "iam", "gpu-karpenter-controller-role", "trust-policy.json"));
        expect(trust.Statement[0].Principal.Federated).to.equal(
            "arn:aws:iam::999988887777:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/FEEDFACE",
        );
        expect(trust.Statement[0].Condition.StringEquals).to.have.property(
            "oidc.eks.us-west-2.amazonaws.com/id/FEEDFACE:sub",
        );
    });

    describe("with a stack of its own", () => {
        it("reads a stack file as Pulumi does (YAML 1.2) and quotes what kubectl (YAML 1.1) would misread", async () => {
            const { out, result } = await planOwnStack(tmp, "testyaml11", [
                "gpu-karpenter:gpuPools:",
                "  - name: gpu",
                "    capacityTypes: [spot]",
                '    labels: { example.com/shared: yes, example.com/preemptible: on, example.com/since: 2026-11-23, example.com/batch: "1_000" }',
            ]);
            expect(result.code).to.equal(0);
            const manifest = readFileSync(path.join(out, "manifests", "nodepool-gpu.yaml"), "utf8");
            const labels = {
                "example.com/shared": "yes",
                "example.com/preemptible": "on",
                "example.com/since": "2026-11-23",
                "example.com/batch": "1_000",
            };
            expect(yaml11(manifest).spec.template.metadata.labels).to.deep.equal(labels);
            expect(
                readYaml(path.join(out, "manifests", "nodepool-gpu.yaml")).spec.template.metadata.labels,
            ).to.deep.equal(labels);
        });

        it("exits 1 with the policy line when a pool breaks a mandatory policy, and still writes the files", async () => {
            const { out, result } = await planOwnStack(tmp, "testbroken", [
                "gpu-karpenter:gpuPools:",
                "  - name: ondemand",
                "    capacityTypes: [on-demand]",
            ]);
            expect(result.code).to.equal(1);
            expect(result.stdout).to.match(/^\s+gpu-nodepool-spot-only mandatory NodePool\/ondemand: .+/m);
            expect(existsSync(path.join(out, "manifests", "nodepool-ondemand.yaml"))).to.equal(true);
        });

        it("stops as pulumi-aws does when no region is set anywhere, and names a misspelt one, writing nothing", async () => {
            const project = projectCopy(tmp);
            writeFileSync(stackFile(project, "testnoregion"), "config:\n  gpu-karpenter:clusterName: dev-ai\n");
            const nowhere = path.join(tmp, "no-aws-files");
            const out = path.join(tmp, "testnoregion");
            const none = await planCliIn(project, ["--stack", "testnoregion", "--out", out], {
                AWS_REGION: undefined,
                AWS_DEFAULT_REGION: undefined,
                AWS_PROFILE: undefined,
                AWS_CONFIG_FILE: path.join(nowhere, "config"),
                AWS_SHARED_CREDENTIALS_FILE: path.join(nowhere, "credentials"),
            });
            expect(none.code).to.equal(2);
            expect(none.stderr).to.equal(
                "error: aws:region: Missing region information\n" +
                    "Make sure you have set your AWS region, e.g. `pulumi config set aws:region us-west-2`.\n" +
                    "(pulumi-aws stops with this message too. The plan looked in aws:region, AWS_REGION, " +
                    'AWS_DEFAULT_REGION and the region of profile "default".)\n',
            );
            expect(existsSync(out)).to.equal(false);

            const typo = await planOwnStack(tmp, "testtypo", ["aws:region: us-est-1"]);
            expect(typo.result.code).to.equal(2);
            expect(typo.result.stderr).to.match(
                /^error: aws:region: "us-est-1" is not an AWS region \(did you mean "us-east-1"\?\); the regions pulumi-aws knows: af-south-1, .*us-west-2.*\n$/,
            );
            expect(existsSync(typo.out)).to.equal(false);
        });

        it("exits 2 on a misspelt key and a misspelt family, naming each with its did-you-mean, writing nothing", async () => {
            const project = projectCopy(tmp);
            writeFileSync(
                stackFile(project, "testtypo"),
                [
                    "config:",
                    "  aws:region: us-west-2",
                    "  gpu-karpenter:clustername: dev-ai",
                    "  gpu-karpenter:gpuPools: [{name: serve, instanceFamilies: [g6ee]}]",
                ].join("\n"),
            );
            const out = path.join(tmp, "testtypo-keys");
            const result = await planCliIn(project, ["--stack", "testtypo", "--out", out]);
            expect(result.code).to.equal(2);
            const lines = result.stderr.split("\n");
            expect(lines[0]).to.equal("error: invalid stack config:");
            expect(lines[1]).to.match(
                /^ {2}gpu-karpenter:clustername: unknown setting \(did you mean "clusterName"\?\);/,
            );
            expect(lines[2]).to.match(
                /^ {2}gpu-karpenter:gpuPools\[0\] "serve"\.instanceFamilies\[0\]: instance family "g6ee" is not in the instance-type table .*\(did you mean "g6e"\?\)/,
            );
            expect(lines.slice(3)).to.deep.equal([""]);
            expect(existsSync(out)).to.equal(false);
        });

        it("exits 2 on a controller.nodeGroup the described cluster does not have, writing nothing", async () => {
            const { out, result } = await planOwnStack(tmp, "testnogroup", [
                "gpu-karpenter:controller:",
                "  nodeGroup: sytem",
            ]);
            expect(result.code).to.equal(2);
            expect(result.stderr).to.equal(
                'error: gpu-karpenter:controller.nodeGroup: "sytem" is not a node group of the described cluster ' +
                    "(offline/default-cluster.json), which has system, general; Karpenter's pods would never be " +
                    "scheduled. Name one of those, or describe your cluster's node groups in a file for --cluster " +
                    '({"cluster":{"nodeGroups":[{"name":"sytem","subnetIds":["subnet-..."]}]}}).\n',
            );
            expect(existsSync(out)).to.equal(false);
        });

        it("exits 2 naming the key on a bad config, and writes nothing", async () => {
            const { out, result } = await planOwnStack(tmp, "testbad", ["gpu-karpenter:identity: kiam"]);
            expect(result.code).to.equal(2);
            expect(result.stderr).to.contain(
                `gpu-karpenter:identity: "kiam" is not allowed; use one of "irsa", "podIdentity"`,
            );
            expect(result.stderr).not.to.match(/\n\s+at /);
            expect(existsSync(out)).to.equal(false);
        });
    });

    it("exits 2 on an unknown stack, listing the stacks there are, or argument, or an --out the project is in", async () => {
        const missing = await planCli("--stack", "prd", "--out", path.join(tmp, "none"));
        expect(missing.code).to.equal(2);
        expect(missing.stderr).to.match(
            /^error: stack prd: Pulumi\.prd\.yaml does not exist \(did you mean "prod"\?\); the stacks here: (.+, )?dev, (.+, )?prod(, .+)?\n$/,
        );
        const unknown = await planCli("--stak", "dev");
        expect(unknown.code).to.equal(2);
        expect(unknown.stderr).to.contain(`unknown argument "--stak"`);
        const project = await planCli("--out", ".");
        expect(project.code).to.equal(2);
        expect(project.stderr).to.equal(
            "error: --out .: the project is inside that folder; name a folder of its own for the plan\n",
        );
        expect(existsSync(path.join(ROOT, "Pulumi.yaml"))).to.equal(true);
    });

    it("refuses an --out folder of the user's files, leaving every one of them as it was", async () => {
        const out = path.join(tmp, "home");
        mkdirSync(path.join(out, "manifests"), { recursive: true });
        const files = {
            "notes.txt": "left by hand\n",
            "resources.json": "my own resources\n",
            "manifests/nodepool-gpu.yaml": "kind: NodePool # mine\n",
            helm: "a file where the plan puts a folder\n",
        };
        for (const [file, text] of Object.entries(files)) writeFileSync(path.join(out, file), text);
        const result = await planCli("--out", out);
        expect(result.code).to.equal(2);
        expect(result.stderr).to.contain(
            `error: --out ${path.relative(ROOT, out)}: the folder holds files and is not an earlier plan's`,
        );
        expect(readdirSync(out, { recursive: true }).sort()).to.deep.equal(
            ["helm", "manifests", ...Object.keys(files).filter(f => f !== "helm")].sort(),
        );
        for (const [file, text] of Object.entries(files))
            expect(readFileSync(path.join(out, file), "utf8")).to.equal(text);
    });

    it("replaces an earlier plan's files, keeping what the user put beside them", async () => {
        const out = path.join(tmp, "again");
        expect((await planCli("--stack", "prod", "--out", out)).code).to.equal(0);
        writeFileSync(path.join(out, "notes.txt"), "left by hand\n");
        writeFileSync(path.join(out, "manifests", "configmap-mine.yaml"), "kind: ConfigMap\n");
        expect((await planCli("--out", out)).code).to.equal(0);
        expect(readdirSync(out).sort()).to.deep.equal([
            "cost.json",
            "helm",
            "iam",
            "manifests",
            "notes.txt",
            "plan.json",
            "resources.json",
        ]);
        expect(readdirSync(path.join(out, "manifests")).sort()).to.deep.equal([
            "configmap-mine.yaml",
            "ec2nodeclass-gpu.yaml",
            "nodepool-gpu.yaml",
        ]);
        expect(readFileSync(path.join(out, "notes.txt"), "utf8")).to.equal("left by hand\n");
        expect(readdirSync(path.join(out, "iam")).sort()).to.deep.equal([
            "gpu-karpenter-controller-role",
            "gpu-karpenter-node-role",
        ]);
        expect(Object.keys(readJson(path.join(out, "plan.json")).files)).to.include("manifests/nodepool-gpu.yaml");
    });

    it("has a bench script that runs", async () => {
        // In a copy: the script writes a stack file into its project while it runs.
        const project = projectCopy(tmp);
        const bench = await runCommand("bash", [path.join(project, "offline/bench.sh")], project, {
            ...process.env,
            BENCH_RUNS: "1",
        });
        expect(bench.code, bench.stderr).to.equal(0);
        expect(bench.stdout).to.match(/dev plan median \d+\.\d\d s; 50 pools median \d+\.\d\d s \(\d+\.\d\dx\)/);
    });
});
