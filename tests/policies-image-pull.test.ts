// gpu-nodepool-image-pull: the advisory stack policy for GPU NodePools whose EC2NodeClass turns on
// neither parallel image pull nor an image snapshot. Called as the engine calls a stack policy
// (each resource's props behind the policy SDK's unknown-checking proxy), and over the stacks the
// component renders.
import { expect } from "chai";
import { EngineResource, UNKNOWN, evaluateStackPolicies } from "../policies/rules";
import { asEngineResources } from "../offline/plan-stack";
import { NODECLASS, run, runDefaults } from "./helpers";
import { AUTO_MODE_CLASS, nodePool, req, stackReports } from "./policy-resources";

const POLICY = "gpu-nodepool-image-pull";

const nodeClass = (spec: Record<string, unknown>, name = "gpu"): EngineResource => ({
    type: NODECLASS,
    name: `${name}-nodeclass`,
    props: {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name },
        spec: { role: "node", amiSelectorTerms: [{ alias: "al2023@latest" }], ...spec },
    },
});

const GATE_ON =
    "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  featureGates:\n    FastImagePull: true\n";
const SOCI = `[settings.container-runtime]\nsnapshotter = "soci"\n[settings.container-runtime-plugins.soci-snapshotter]\npull-mode = "parallel-pull-unpack"\n`;
const BOTTLEROCKET = [{ alias: "bottlerocket@latest" }];

const reports = (...resources: EngineResource[]) => stackReports(POLICY, resources);

describe(`policies: ${POLICY}`, () => {
    it("reports a GPU pool whose EC2NodeClass pulls the usual way: what each fast path costs and saves, and the source", async () => {
        const pool = nodePool("gpu");
        const found = await reports(pool, nodeClass({}));
        expect(found).to.have.lengthOf(1);
        expect(found[0].urn).to.equal(`urn:pulumi:dev::p::${pool.type}::${pool.name}`);
        const { message } = found[0];
        expect(message).to.match(
            /^GPU NodePool "gpu" pulls its images layer after layer: EC2NodeClass "gpu" turns on neither parallel pull nor an image snapshot/,
        );
        // g5.48xlarge, the priciest g5/g6 type within 8 GPUs: $16.288/h at us-east-1 on-demand.
        expect(message).to.contain(
            "its priciest type, g5.48xlarge, bills $0.27 for each minute it waits (us-east-1 on-demand)",
        );
        for (const fact of [
            "AL2023 v20250821 and later: nodeadm's FastImagePull feature gate",
            "Bottlerocket 1.44.0 and later: the SOCI snapshotter's parallel-pull-unpack mode",
            "takes more CPU, memory and disk throughput while a node pulls",
            "600 MiB/s",
            "AWS's karpenter-blueprints (soci-snapshotter) measured a 9.4 GB image at 2m10.8s pulled the usual way against 39.6s with it on AL2023 and 23.2s on Bottlerocket",
            "over 8,000 Mbps of network and EBS bandwidth and gp3 at 1,000 MiB/s and 16,000 IOPS",
            "skips the pull, for the snapshot's storage and a new snapshot whenever the images change",
            "Fix: with gpu-karpenter set the pool's fastImagePull or imageSnapshot",
        ]) {
            expect(message).to.contain(fact);
        }
    });

    it("is advisory, and can be turned off", () => {
        const resources = [nodePool("gpu"), nodeClass({})];
        const ours = (config = {}) => evaluateStackPolicies(resources, config).filter(v => v.policy === POLICY);
        expect(ours().map(v => `${v.policy} ${v.enforcement} ${v.kind}/${v.name}`)).to.deep.equal([
            `${POLICY} advisory NodePool/gpu`,
        ]);
        expect(ours({ [POLICY]: "disabled" })).to.deep.equal([]);
    });

    const fast: [string, Record<string, unknown>][] = [
        ["AL2023 with FastImagePull in its NodeConfig", { userData: GATE_ON }],
        [
            "Bottlerocket with the soci snapshotter in parallel-pull-unpack mode",
            { amiSelectorTerms: BOTTLEROCKET, userData: SOCI },
        ],
        [
            "Bottlerocket with a data volume from a snapshot",
            {
                amiSelectorTerms: BOTTLEROCKET,
                blockDeviceMappings: [
                    { deviceName: "/dev/xvda", ebs: { volumeSize: "4Gi" } },
                    { deviceName: "/dev/xvdb", ebs: { snapshotID: "snap-0123456789abcdef0" } },
                ],
            },
        ],
    ];
    for (const [what, spec] of fast) {
        it(`passes ${what}`, async () => {
            expect(await reports(nodePool("gpu"), nodeClass(spec))).to.deep.equal([]);
        });
    }

    it("still reports what only looks like a fast path: the gate set false, SOCI in lazy mode, a snapshot on AL2023's root", async () => {
        const slow: Record<string, unknown>[] = [
            { userData: GATE_ON.replace("true", "false") },
            { amiSelectorTerms: BOTTLEROCKET, userData: `[settings.container-runtime]\nsnapshotter = "soci"\n` },
            {
                blockDeviceMappings: [
                    { deviceName: "/dev/xvda", rootVolume: true, ebs: { snapshotID: "snap-0123456789abcdef0" } },
                ],
            },
        ];
        for (const spec of slow) {
            expect(await reports(nodePool("gpu"), nodeClass(spec)), JSON.stringify(spec)).to.have.lengthOf(1);
        }
    });

    it("leaves alone what it cannot judge: EKS Auto Mode, a class outside the stack or not known yet, a CPU pool", async () => {
        const auto = nodePool("auto", { nodeClassRef: AUTO_MODE_CLASS });
        expect(await reports(auto, nodeClass({}, "default"))).to.deep.equal([]);
        expect(await reports(nodePool("gpu"))).to.deep.equal([]);
        expect(await reports(nodePool("gpu"), nodeClass({ userData: UNKNOWN }))).to.deep.equal([]);
        expect(
            await reports(nodePool("gpu"), { ...nodeClass({}), props: { metadata: { name: UNKNOWN } } }),
        ).to.deep.equal([]);
        const cpu = nodePool("cpu", { requirements: [req("karpenter.k8s.aws/instance-category", "In", "c", "m")] });
        expect(await reports(cpu, nodeClass({}))).to.deep.equal([]);
    });

    it("passes the dev and prod stacks, which pull in parallel, and reports the defaults' pool, which does not", async () => {
        for (const r of [await run("dev"), await run("prod")]) {
            expect(
                evaluateStackPolicies(asEngineResources(r.resources)).filter(v => v.policy === POLICY),
            ).to.deep.equal([]);
        }
        const defaults = evaluateStackPolicies(asEngineResources((await runDefaults()).resources));
        expect(defaults.filter(v => v.policy === POLICY).map(v => v.name)).to.deep.equal(["gpu"]);
    });
});
