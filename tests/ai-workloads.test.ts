// Pool and controller settings for AI work: disruption budgets, instance storage and volume speed,
// node repair and spot-to-spot consolidation; each checked before anything is registered, and every
// rendered object still valid against the Karpenter 1.14.1 CRDs.
import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import { cronProblem } from "../components/cron";
import type { ProgramRun } from "../offline/run-program";
import {
    ADDON,
    NODECLASS,
    NODEPOOL,
    RELEASE,
    expectValidKarpenter,
    fakeCluster,
    ofType,
    one,
    run,
    runError,
} from "./helpers";
import { fromYaml } from "../components/yaml";

const spec = (r: ProgramRun, type: string, pool = "gpu") =>
    (one(r, type, `gpu-karpenter-${pool}-${type === NODEPOOL ? "nodepool" : "nodeclass"}`).inputs as any).spec;

describe("disruption budgets", () => {
    it("render to spec.disruption.budgets, the working-hours example included, and pass the CRD", async () => {
        const budgets = [
            { nodes: "0", reasons: ["Drifted", "Underutilized"], schedule: "0 8 * * mon-fri", duration: "10h" },
            { nodes: 1 },
        ];
        const r = await run("dev", { gpuPools: [{ name: "gpu", disruptionBudgets: budgets }] });
        expect(spec(r, NODEPOOL).disruption).to.deep.equal({
            consolidationPolicy: "WhenEmpty",
            consolidateAfter: "1m",
            budgets: [
                { nodes: "0", reasons: ["Drifted", "Underutilized"], schedule: "0 8 * * mon-fri", duration: "10h" },
                { nodes: "1" },
            ],
        });
        expectValidKarpenter(r);
    });

    it("are left to Karpenter's default when unset", async () => {
        expect(spec(await run("dev"), NODEPOOL).disruption).not.to.have.property("budgets");
    });

    const cases: [string, unknown, string][] = [
        [
            "a node count that is neither a number nor a percentage",
            [{ nodes: "ten" }],
            `gpuPools[0] "gpu".disruptionBudgets[0].nodes: "ten" is not allowed; use a whole number of nodes ("0", 1) or a percentage from "0%" to "100%"`,
        ],
        [
            "a budget without nodes",
            [{ reasons: ["Empty"] }],
            `gpuPools[0] "gpu".disruptionBudgets[0].nodes: is required`,
        ],
        [
            "an unknown reason",
            [{ nodes: "1", reasons: ["Expired"] }],
            `gpuPools[0] "gpu".disruptionBudgets[0].reasons: ["Expired"] is not allowed; use a list of distinct values from "Underutilized", "Empty", "Drifted"`,
        ],
        [
            "a schedule without a duration",
            [{ nodes: "0", schedule: "0 8 * * *" }],
            'gpuPools[0] "gpu".disruptionBudgets[0]: schedule and duration go together',
        ],
        [
            "a duration in seconds",
            [{ nodes: "0", schedule: "0 8 * * *", duration: "36000s" }],
            `gpuPools[0] "gpu".disruptionBudgets[0].duration: "36000s" is not allowed; use hours and minutes only`,
        ],
        [
            "a cron Karpenter cannot parse",
            [{ nodes: "0", schedule: "0 25 * * mon-fri", duration: "1h" }],
            `gpuPools[0] "gpu".disruptionBudgets[0].schedule: "0 25 * * mon-fri": the hour field "25" is outside 0-23 (times are UTC)`,
        ],
        [
            "a misspelt budget key",
            [{ node: "1" }],
            `gpuPools[0] "gpu".disruptionBudgets[0].node: unknown setting (did you mean "nodes"?)`,
        ],
    ];
    for (const [what, budgets, message] of cases) {
        it(`refuse ${what}, before anything is registered`, async () => {
            const e = await runError(run("dev", { gpuPools: [{ name: "gpu", disruptionBudgets: budgets }] }));
            expect(e.message).to.contain(message);
            expect((e as any).resources).to.be.empty;
        });
    }
});

describe("schedules, as Karpenter's cron parser reads them", () => {
    it("accepts five fields with names, ranges, lists and steps, and the descriptors the CRD admits", () => {
        for (const ok of [
            "0 8 * * mon-fri",
            "*/15 0-6,22-23 * * *",
            "30 2 1 jan,jul sun",
            "0 0 ? * 1-5",
            "@daily",
            "@weekly",
        ]) {
            expect(cronProblem(ok), ok).to.equal(undefined);
        }
    });

    it("names what is wrong", () => {
        expect(cronProblem("0 8 * *")).to.contain("has 4 fields; use five");
        expect(cronProblem("0 8 * * 0 2026")).to.contain("has 6 fields");
        expect(cronProblem("60 8 * * *")).to.contain(`the minute field "60" is outside 0-59`);
        expect(cronProblem("0 8 * * fri-mon")).to.contain(`"fri-mon" runs backwards`);
        expect(cronProblem("0 8 * * funday")).to.contain(`"funday" is not a value, range or list`);
        expect(cronProblem("0 8 */0 * *")).to.contain(`"*/0" has a bad step`);
        expect(cronProblem("@fortnightly")).to.contain("is not one of @annually");
    });
});

describe("fast starts for large images", () => {
    it("puts images on a RAID0 of the instance's NVMe disks by default, or leaves them on EBS", async () => {
        const dev = await run("dev");
        expect(spec(dev, NODECLASS).instanceStorePolicy).to.equal("RAID0");
        const none = await run("dev", { gpuPools: [{ name: "gpu", instanceStorePolicy: "none" }] });
        expect(spec(none, NODECLASS)).not.to.have.property("instanceStorePolicy");
        expectValidKarpenter(dev);
        const e = await runError(run("dev", { gpuPools: [{ name: "gpu", instanceStorePolicy: "raid0" }] }));
        expect(e.message).to.contain(
            `gpuPools[0] "gpu".instanceStorePolicy: "raid0" is not allowed (did you mean "RAID0"?); use one of "RAID0", "none"`,
        );
    });

    it("provisions gp3 throughput and IOPS on the root volume (AL2023) or the data volume (Bottlerocket)", async () => {
        const r = await run("dev", {
            gpuPools: [
                { name: "gpu", rootVolumeThroughput: 1000, rootVolumeIops: 4000 },
                { name: "br", amiAlias: "bottlerocket@latest", rootVolumeThroughput: 500, rootVolumeIops: 6000 },
            ],
        });
        expect(spec(r, NODECLASS).blockDeviceMappings[0].ebs).to.deep.include({ throughput: 1000, iops: 4000 });
        const br = spec(r, NODECLASS, "br").blockDeviceMappings;
        expect(br[0].ebs).not.to.have.property("throughput");
        expect(br[1]).to.deep.include({ deviceName: "/dev/xvdb" });
        expect(br[1].ebs).to.deep.include({ throughput: 500, iops: 6000 });
        expectValidKarpenter(r);
    });

    it("refuses a throughput the IOPS cannot carry, and values outside gp3's ranges", async () => {
        const tooFast = await runError(run("dev", { gpuPools: [{ name: "gpu", rootVolumeThroughput: 1000 }] }));
        expect(tooFast.message).to.contain(
            'gpuPools[0] "gpu".rootVolumeThroughput: 1000 MiB/s needs at least 4000 IOPS (gp3 allows 0.25 MiB/s per IOPS)',
        );
        const pair = await runError(
            run("dev", { gpuPools: [{ name: "gpu", rootVolumeThroughput: 800, rootVolumeIops: 3000 }] }),
        );
        expect(pair.message).to.contain("800 MiB/s needs at least 3200 IOPS").and.to.contain("(it is 3000)");
        const range = await runError(
            run("dev", { gpuPools: [{ name: "gpu", rootVolumeThroughput: 2000, rootVolumeIops: 20000 }] }),
        );
        expect(range.message).to.contain(
            "rootVolumeThroughput: 2000 is not allowed; use a whole number of MiB/s from 125 to 1000",
        );
        expect(range.message).to.contain(
            "rootVolumeIops: 20000 is not allowed; use a whole number of IOPS from 3000 to 16000",
        );
    });
});

describe("controller feature gates", () => {
    const settings = (r: ProgramRun) => (one(r, RELEASE, "gpu-karpenter-karpenter").inputs.values as any).settings;

    it("turn on node repair and spot-to-spot consolidation in the chart's settings.featureGates", async () => {
        const r = await run("dev", {
            controller: { featureGates: { nodeRepair: true, spotToSpotConsolidation: true } },
        });
        expect(settings(r).featureGates).to.deep.equal({ nodeRepair: true, spotToSpotConsolidation: true });
        expect(settings(await run("dev"))).not.to.have.property("featureGates");
    });

    it("install the EKS node monitoring agent with node repair, which only it lets see GPU faults", async () => {
        const r = await run("dev", { controller: { featureGates: { nodeRepair: true } } });
        const agent = one(r, ADDON, "gpu-karpenter-node-monitoring-agent");
        expect(agent.inputs).to.deep.include({ clusterName: "dev-ai", addonName: "eks-node-monitoring-agent" });
        expect(one(r, RELEASE, "gpu-karpenter-karpenter").dependencies).to.include(agent.urn);
        expect(ofType(await run("dev"), ADDON)).to.be.empty;
        const installed = fakeCluster(f => {
            f.cluster.addons.push("eks-node-monitoring-agent");
        });
        expect(ofType(await run("dev", { controller: { featureGates: { nodeRepair: true } } }, installed), ADDON)).to.be
            .empty;
    });

    it("refuse a gate that is not offered", async () => {
        const e = await runError(
            run("dev", { controller: { featureGates: { nodeOverlay: true, nodeRepair: "yes" } } }),
        );
        expect(e.message).to.contain(
            "gpu-karpenter:controller.featureGates.nodeOverlay: unknown setting; allowed: nodeRepair, spotToSpotConsolidation",
        );
        expect(e.message).to.contain(`gpu-karpenter:controller.featureGates.nodeRepair: "yes" is not a boolean`);
    });
});

describe("examples/training-job.yaml", () => {
    it("asks for GPUs, tolerates the GPU taint and keeps Karpenter from disrupting it", () => {
        const job: any = fromYaml(readFileSync(path.join(__dirname, "..", "examples", "training-job.yaml"), "utf8"));
        expect(job).to.deep.include({ apiVersion: "batch/v1", kind: "Job" });
        const pod = job.spec.template;
        expect(pod.metadata.annotations).to.deep.equal({ "karpenter.sh/do-not-disrupt": "true" });
        expect(pod.spec.tolerations).to.deep.include({
            key: "nvidia.com/gpu",
            operator: "Exists",
            effect: "NoSchedule",
        });
        expect(pod.spec.containers[0].resources.limits["nvidia.com/gpu"]).to.equal("8");
        expect(pod.spec.nodeSelector).to.deep.equal({ "karpenter.sh/nodepool": "training" });
    });
});
