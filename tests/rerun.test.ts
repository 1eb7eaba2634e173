// The engine runs a stack again and again: a second `pulumi up` must change nothing. Each test runs
// the program, applies it to the fake cloud as `pulumi up` would (offline/rerun.ts), runs it again
// against the cloud it left, and checks the steps of that second update.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { Provider } from "@pulumi/kubernetes/provider";
import { GpuKarpenter } from "../components/gpu-karpenter";
import { OWNER_TAG } from "../components/ownership";
import { fromYaml } from "../components/yaml";
import { secondRunReport } from "../offline/plan-stack";
import { NEW_STACK, applyDestroy, applyUpdate, diffRun } from "../offline/rerun";
import { runStack } from "../offline/stack";
import {
    ADDON,
    type CliResult,
    NODEPOOL,
    RELEASE,
    changes,
    fakeCluster,
    ofType,
    one,
    planCli,
    planCliIn,
    projectCopy,
    rerun,
    run,
    runError,
    runOffline,
    readmeAndDocs,
    readmeStacks,
    runTwice,
    stackFile,
} from "./helpers";

const ROOT = path.resolve(__dirname, "..");

const ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry";
const SPOT_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole";
const PATCH = "kubernetes:core/v1:ConfigMapPatch";
const BROUGHT_ROLE = "arn:aws:iam::111122223333:role/gpu-nodes";

describe("a second pulumi up changes nothing", () => {
    const cases: {
        title: string;
        stack: string;
        overrides?: Record<string, unknown>;
        fake?: Parameters<typeof fakeCluster>[0];
        /** The conditional resource the case is about: in both runs. */
        keeps?: [string, string][];
    }[] = [
        {
            title: "dev: the node role it creates gets an access entry",
            stack: "dev",
            keeps: [[ACCESS_ENTRY, "gpu-karpenter-node-access"]],
        },
        {
            title: "prod (nodeRepair): the EKS node monitoring agent add-on it installs",
            stack: "prod",
            keeps: [[ADDON, "gpu-karpenter-node-monitoring-agent"]],
        },
        {
            title: "a brought node role on an API cluster (nodeAccess auto): the access entry it makes",
            stack: "dev",
            overrides: { nodeRoleArn: BROUGHT_ROLE },
            fake: f => void (f.cluster.authenticationMode = "API"),
            keeps: [[ACCESS_ENTRY, "gpu-karpenter-node-access"]],
        },
        {
            title: "a brought node role on an API_AND_CONFIG_MAP cluster (nodeAccess accessEntry)",
            stack: "dev",
            overrides: { nodeRoleArn: BROUGHT_ROLE, nodeAccess: "accessEntry" },
            keeps: [[ACCESS_ENTRY, "gpu-karpenter-node-access"]],
        },
        {
            title: "an account without the spot service-linked role: the role it creates",
            stack: "dev",
            fake: f => void (f.spotServiceLinkedRole = false),
            keeps: [[SPOT_ROLE, "gpu-karpenter-spot-service-role"]],
        },
        {
            title: "discovery tags: the karpenter.sh/discovery tags it added",
            stack: "dev",
            overrides: { discovery: "tags" },
            keeps: [
                ["aws:ec2/tag:Tag", "gpu-karpenter-discovery-subnet-0a1111111111111aa"],
                ["aws:ec2/tag:Tag", "gpu-karpenter-discovery-sg-0c1a2b3c4d5e6f708"],
            ],
        },
        {
            title: "a CONFIG_MAP cluster: the node role's aws-auth mapping",
            stack: "dev",
            fake: f => void (f.cluster.authenticationMode = "CONFIG_MAP"),
            keeps: [[PATCH, "gpu-karpenter-aws-auth"]],
        },
        {
            title: "a CONFIG_MAP cluster without aws-auth: the aws-auth it creates, then maps into",
            stack: "dev",
            overrides: { subnetIds: ["subnet-0a1111111111111aa"] },
            fake: f => {
                f.cluster.authenticationMode = "CONFIG_MAP";
                f.cluster.nodeGroups = [];
                delete f.cluster.awsAuth;
            },
            keeps: [
                [PATCH, "gpu-karpenter-aws-auth-present"],
                [PATCH, "gpu-karpenter-aws-auth"],
            ],
        },
        {
            title: "nodeRepair where the cluster runs the agent already: declares none, both times",
            stack: "dev",
            overrides: { controller: { featureGates: { nodeRepair: true } } },
            fake: f => void f.cluster.addons.push("eks-node-monitoring-agent"),
        },
        {
            title: "a brought role EKS already made an entry for: declares none, both times",
            stack: "dev",
            overrides: { nodeRoleArn: BROUGHT_ROLE },
            fake: f => void (f.cluster.accessEntries = [BROUGHT_ROLE]),
        },
        {
            title: "nodeAccess none, no interruption queue, no device plugin",
            stack: "dev",
            overrides: {
                nodeRoleArn: BROUGHT_ROLE,
                nodeAccess: "none",
                interruptionQueue: false,
                devicePlugin: { enabled: false },
            },
        },
        {
            title: "the example workload, on Bottlerocket and AL2023 pools",
            stack: "dev",
            overrides: {
                exampleWorkload: true,
                gpuPools: [
                    { name: "gpu", instanceFamilies: ["g6"] },
                    { name: "br", instanceFamilies: ["g6"], amiAlias: "bottlerocket@latest" },
                ],
            },
            keeps: [["kubernetes:apps/v1:Deployment", "gpu-karpenter-gpu-smoke-test"]],
        },
        {
            title: "createCluster: the cluster, its system nodes, and everything on it",
            stack: "dev",
            overrides: {
                createCluster: true,
                subnetIds: ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"],
                controller: { featureGates: { nodeRepair: true } },
            },
            keeps: [
                ["eks:index:Cluster", "dev-ai"],
                [ADDON, "gpu-karpenter-node-monitoring-agent"],
            ],
        },
    ];

    for (const c of cases) {
        it(c.title, async () => {
            const { first, second, steps } = await rerun(c.stack, c.overrides, fakeCluster(c.fake));
            expect(changes(steps)).to.deep.equal([]);
            for (const [type, name] of c.keeps ?? []) {
                one(first, type, name);
                one(second, type, name);
            }
            expect(second.resources.length).to.equal(first.resources.length);
        });
    }
});

describe("a second pulumi up of the README's examples changes nothing", () => {
    // The README and the depth it links to in docs/: an example may move between them.
    const readme = readmeAndDocs()
        .map(f => readFileSync(f, "utf8"))
        .join("\n");

    // The stacks the engine harness launches (tests/engine-harness.test.ts): every `pulumi config
    // set` block, and every config snippet pasted onto the first of them.
    for (const c of readmeStacks()) {
        it(`stack ${c.name}`, async () => {
            const { first, steps } = await runTwice(cloud => runStack(c.stack, c.config, fakeCluster(), cloud));
            expect(first.resources.filter(r => r.type === NODEPOOL)).to.not.be.empty;
            expect(changes(steps)).to.deep.equal([]);
        });
    }

    it("the recommended GPU pools (docs/training.md, Recommended)", async () => {
        const block = readme.split("Recommended, in a stack's config file")[1].split("```yaml")[1].split("```")[0];
        const gpuPools = (fromYaml(block) as Record<string, unknown>)["gpu-karpenter:gpuPools"];
        expect(gpuPools).to.have.length(2);
        const { second, steps } = await rerun("prod", { gpuPools });
        expect(changes(steps)).to.deep.equal([]);
        one(second, NODEPOOL, "gpu-karpenter-training-nodepool");
    });

    // Use the component: the first example, with the provider it passes in.
    it("a component with its own Kubernetes provider and Pod Identity", async () => {
        expect(readme).to.contain(`}, { providers: { kubernetes: myClusterProvider } });`);
        const program = () => {
            const myClusterProvider = new Provider("my-cluster", { kubeconfig: "{}" });
            const gpu = new GpuKarpenter(
                "gpu",
                {
                    clusterName: "my-cluster",
                    identity: "podIdentity",
                    gpuPools: [
                        { name: "inference", instanceFamilies: ["g6", "g6e"], gpuLimit: 16 },
                        {
                            name: "training",
                            instanceTypes: ["p5.48xlarge", "p5e.48xlarge"],
                            gpuLimit: 64,
                            consolidateAfter: "2m",
                        },
                    ],
                },
                { providers: { kubernetes: myClusterProvider } },
            );
            return { nodeRole: gpu.nodeRoleArn };
        };
        const { second, steps } = await runTwice(cloud => runOffline("readme", program, fakeCluster(), cloud));
        expect(changes(steps)).to.deep.equal([]);
        one(second, NODEPOOL, "gpu-inference-nodepool");
    });
});

describe("the second-run harness", () => {
    // The look-up logic this stack had before ownership tags: "the cluster runs the add-on, so do not
    // declare it". Run twice, the harness must see it delete its own add-on.
    it("catches a program whose second run deletes what its first created", async () => {
        const broken = async () => {
            const found = await aws.eks
                .getAddon({ clusterName: "dev-ai", addonName: "eks-node-monitoring-agent" })
                .then(
                    () => true,
                    () => false,
                );
            if (!found) new aws.eks.Addon("agent", { clusterName: "dev-ai", addonName: "eks-node-monitoring-agent" });
        };
        const { first, second, steps } = await runTwice(cloud => runOffline("broken", broken, fakeCluster(), cloud));
        one(first, ADDON, "agent");
        expect(second.resources.filter(r => r.type === ADDON)).to.be.empty;
        expect(changes(steps)).to.deep.equal([`delete ${ADDON} agent`]);
        // The plan reports it so, and --expect-no-changes fails on it.
        const report = secondRunReport(steps, true);
        expect(report.failed).to.equal(true);
        expect(report.lines[report.lines.length - 1]).to.equal(
            "second run: 0 unchanged, 0 to create, 0 to update, 0 to replace, 1 to delete",
        );
        expect(secondRunReport(steps, false).failed).to.equal(false);
        // A second run that stops fails the plan, with or without --expect-no-changes.
        const stopped = secondRunReport(new Error("nodeAccess: ..."));
        expect(stopped).to.deep.equal({
            lines: [
                "",
                "Second run, against the cloud as this update would leave it:",
                "second run: fails: nodeAccess: ...",
            ],
            failed: true,
        });
    });

    it("tells an update from a replace by the provider's replace-on-change fields", async () => {
        const fake = fakeCluster();
        const first = await run("dev", {}, fake);
        const deployed = applyUpdate(NEW_STACK, first);
        const retagged = await run("dev", { tags: { team: "ml-platform" } }, fake, deployed.cloud);
        const retagSteps = changes(diffRun(deployed, retagged));
        expect(retagSteps).to.include("update aws:iam/role:Role gpu-karpenter-node-role [tags]");
        expect(retagSteps).to.include(`update ${ACCESS_ENTRY} gpu-karpenter-node-access [tags]`);
        // Every provider updates tags in place: nothing is replaced.
        expect(retagSteps.filter(s => s.startsWith("replace"))).to.deep.equal([]);
        const moved = changes(diffRun(deployed, await run("dev", { namespace: "karpenter" }, fake, deployed.cloud)));
        expect(moved).to.include(`replace ${RELEASE} gpu-karpenter-karpenter [namespace]`);
        expect(moved).to.include(`replace ${RELEASE} gpu-karpenter-karpenter-crd [namespace]`);
        // The controller's trust names its service account's namespace: an update of the role, not a new role.
        expect(moved).to.include("update aws:iam/role:Role gpu-karpenter-controller-role [assumeRolePolicy]");
        const renamed = changes(
            diffRun(deployed, await run("dev", { controllerRoleName: "karpenter-dev" }, fake, deployed.cloud)),
        );
        expect(renamed).to.include("replace aws:iam/role:Role gpu-karpenter-controller-role [name]");
    });
});

describe("what the stack finds and whose it is", () => {
    it("leaves alone an add-on another stack made, and declares its own", async () => {
        const otherStacks = fakeCluster();
        const { first } = await rerun("prod", {}, otherStacks);
        const addon = one(first, ADDON, "gpu-karpenter-node-monitoring-agent");
        expect(addon.inputs.tags).to.deep.include({ [OWNER_TAG]: "gpu-karpenter/prod" });
        // The same add-on, made by stack prod of another project: found, and not this stack's.
        const theirs = { ...addon, inputs: { ...addon.inputs, tags: { [OWNER_TAG]: "other-project/prod" } } };
        const other = await run("prod", {}, otherStacks, [theirs]);
        expect(other.resources.filter(r => r.type === ADDON)).to.be.empty;
        const untagged = { ...addon, inputs: { ...addon.inputs, tags: {} } };
        expect((await run("prod", {}, otherStacks, [untagged])).resources.filter(r => r.type === ADDON)).to.be.empty;
    });

    it("tags the spot service-linked role it creates, and adopts it again after a destroy that kept it", async () => {
        const fresh = fakeCluster(f => void (f.spotServiceLinkedRole = false));
        const first = await run("dev", {}, fresh);
        const role = one(first, SPOT_ROLE, "gpu-karpenter-spot-service-role");
        expect(role.inputs.tags).to.deep.equal({
            environment: "dev",
            team: "ml-platform",
            [OWNER_TAG]: "gpu-karpenter/dev",
        });
        const destroyed = applyDestroy(applyUpdate(NEW_STACK, first));
        expect(destroyed.cloud.map(r => r.type)).to.deep.equal([SPOT_ROLE]);
        // A later stack of the same name finds the role carrying its tag: imports it rather than fail to create it.
        const again = await run("dev", {}, fresh, destroyed.cloud);
        expect(one(again, SPOT_ROLE, "gpu-karpenter-spot-service-role").options.importId).to.equal(
            "arn:aws:iam::111122223333:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
        );
        expect(changes(diffRun(destroyed, again))).to.include(`import ${SPOT_ROLE} gpu-karpenter-spot-service-role`);
        // Another stack finds it and leaves it alone.
        expect(ofType(await run("prod", {}, fresh, destroyed.cloud), SPOT_ROLE)).to.be.empty;
    });

    it("refuses an access entry it did not make, naming the tag one it made would carry", async () => {
        const e = await runError(
            run(
                "dev",
                { nodeRoleArn: BROUGHT_ROLE, nodeAccess: "accessEntry" },
                fakeCluster(f => void (f.cluster.accessEntries = [BROUGHT_ROLE])),
            ),
        );
        expect(e.message).to.contain(
            `${BROUGHT_ROLE} already has an access entry in cluster dev-ai that this stack did not make`,
        );
        expect(e.message).to.contain(`carries the tag ${OWNER_TAG}=gpu-karpenter/dev); use "none" or "auto"`);
    });
});

describe("npm run plan -- --rerun", function () {
    this.timeout(60000);
    const tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-rerun-"));
    const fresh = path.join(ROOT, "tests/fixtures/clusters/api-fresh-account.json");
    after(() => rmSync(tmp, { recursive: true, force: true }));

    const lastLine = (r: CliResult) => r.stdout.trimEnd().split("\n").pop();
    const rerunIn = (project: string, stack: string, ...more: string[]) =>
        planCliIn(project, [
            "--stack",
            stack,
            "--out",
            path.join(tmp, stack),
            ...more,
            "--rerun",
            "--expect-no-changes",
        ]);
    const rerunCli = (stack: string, ...more: string[]) => rerunIn(ROOT, stack, ...more);

    it("plans dev and prod twice and finds nothing to change (--expect-no-changes exits 0)", async () => {
        for (const stack of ["dev", "prod"]) {
            const r = await rerunCli(stack);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
            const count = stack === "dev" ? 36 : 40;
            expect(lastLine(r)).to.equal(
                `second run: ${count} unchanged, 0 to create, 0 to update, 0 to replace, 0 to delete`,
            );
            expect(r.stdout).to.match(/^ {2}same {5}gpu-karpenter:index:GpuKarpenter +gpu-karpenter$/m);
        }
    });

    it("holds for a brought node role on an API cluster, node repair, and an account without the spot role", async () => {
        const project = projectCopy(tmp);
        writeFileSync(
            stackFile(project, "testrerunbyo"),
            [
                "config:",
                "  aws:region: us-west-2",
                "  gpu-karpenter:clusterName: dev-ai",
                `  gpu-karpenter:nodeRoleArn: ${BROUGHT_ROLE}`,
                "  gpu-karpenter:controller:",
                "    featureGates: { nodeRepair: true }",
            ].join("\n"),
        );
        const r = await rerunIn(project, "testrerunbyo", "--cluster", fresh);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        for (const [type, name] of [
            [ACCESS_ENTRY, "gpu-karpenter-node-access"],
            [ADDON, "gpu-karpenter-node-monitoring-agent"],
            [SPOT_ROLE, "gpu-karpenter-spot-service-role"],
        ]) {
            expect(r.stdout).to.match(new RegExp(`^ {2}same {5}${type.replace(/[/.]/g, "\\$&")} +${name}$`, "m"));
        }
        expect(lastLine(r)).to.match(
            /^second run: \d+ unchanged, 0 to create, 0 to update, 0 to replace, 0 to delete$/,
        );
        const prod = await rerunCli("prod", "--cluster", fresh);
        expect(prod.code, prod.stdout + prod.stderr).to.equal(0);
    });

    it("takes --expect-no-changes only with --rerun", async () => {
        const r = await planCli("--expect-no-changes");
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain(
            "--expect-no-changes applies to the second run (a first run creates everything); add --rerun",
        );
    });
});
