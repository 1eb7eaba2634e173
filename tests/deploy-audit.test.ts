// What a real deploy would hit that the cloud's APIs, not the program, used to find: versions that
// cannot work together, a Pod Identity agent that is not there, an Auto Mode cluster, names and tags
// AWS refuses, the controller's wait, and who may send to the interruption queue.
import { expect } from "chai";
import { GpuKarpenter, GPU_KARPENTER_TYPE } from "../components/gpu-karpenter";
import { CONTROLLER_TIMEOUT_SECONDS } from "../components/controller";
import { KARPENTER_FOR_KUBERNETES, kubernetesCompatibility } from "../components/compatibility";
import { ProgramFailure, type ProgramRun } from "../offline/run-program";
import { ADDON, RELEASE, fakeCluster, json, ofType, one, run, runError, runOffline } from "./helpers";

const RESERVED_POOL = {
    name: "gpu",
    capacityTypes: ["reserved"],
    capacityReservations: { ids: ["cr-0123456789abcdef0"] },
};
const controllerValues = (r: ProgramRun) => one(r, RELEASE, "gpu-karpenter-karpenter").inputs.values as any;
const onCluster = (version: string) => fakeCluster(f => void (f.cluster.version = version));
/** Kubernetes 1.32, which Karpenter 1.2 and later support: older Karpenter versions install there. */
const k132 = () => onCluster("1.32");

/** A failure in the component's checks: nothing but the component itself (and the stack) was registered. */
async function refused(promise: Promise<unknown>): Promise<string> {
    const e = await runError(promise);
    expect(e).to.be.instanceOf(ProgramFailure);
    const children = (e as ProgramFailure).resources.filter(r => r.type !== GPU_KARPENTER_TYPE);
    expect(children.map(r => r.type)).to.be.empty;
    expect(String((e as ProgramFailure).cause)).not.to.match(/\n\s+at /);
    return e.message;
}

describe("reserved capacity by Karpenter version (chart values.yaml settings.featureGates.reservedCapacity)", () => {
    it("turns the alpha ReservedCapacity gate on from 1.3.0 to 1.5.x, where the chart leaves it off", async () => {
        for (const version of ["1.3.0", "1.5.3"]) {
            const r = await run("dev", { karpenterVersion: version, gpuPools: [RESERVED_POOL] }, k132());
            expect(controllerValues(r).settings.featureGates, version).to.deep.equal({ reservedCapacity: true });
        }
    });

    it("leaves the chart's own default from 1.6.0 (beta, on), and sets no gate for pools without reservations", async () => {
        for (const version of ["1.6.0", "1.14.1"]) {
            const r = await run("dev", { karpenterVersion: version, gpuPools: [RESERVED_POOL] }, k132());
            expect(controllerValues(r).settings, version).not.to.have.property("featureGates");
        }
        const spot = await run("dev", { karpenterVersion: "1.5.3" }, k132());
        expect(controllerValues(spot).settings).not.to.have.property("featureGates");
        const withRepair = await run(
            "dev",
            {
                karpenterVersion: "1.4.0",
                gpuPools: [RESERVED_POOL],
                controller: { featureGates: { nodeRepair: true } },
            },
            k132(),
        );
        expect(controllerValues(withRepair).settings.featureGates).to.deep.equal({
            nodeRepair: true,
            reservedCapacity: true,
        });
    });

    it("refuses a reserved pool before 1.3.0, which has no reserved capacity type, naming the pool", async () => {
        const e = await runError(run("dev", { karpenterVersion: "1.2.3", gpuPools: [RESERVED_POOL] }, k132()));
        expect(e.message).to.contain(
            `gpu-karpenter:gpuPools[0] "gpu".capacityTypes: "reserved" needs Karpenter 1.3.0 or later (karpenterVersion is "1.2.3")`,
        );
        expect((e as ProgramFailure).resources).to.be.empty;
    });
});

describe("the controller release's wait", () => {
    it("waits for the controller longer than the provider's 300 s default, and is still bounded", async () => {
        const r = await run("dev");
        expect(one(r, RELEASE, "gpu-karpenter-karpenter").inputs.timeout).to.equal(CONTROLLER_TIMEOUT_SECONDS);
        expect(CONTROLLER_TIMEOUT_SECONDS).to.be.above(300).and.at.most(900);
        // The CRD chart has no pods to wait for: the provider's default stands.
        expect(one(r, RELEASE, "gpu-karpenter-karpenter-crd").inputs).not.to.have.property("timeout");
    });
});

describe("Karpenter against the cluster's Kubernetes (upgrading/compatibility.md)", () => {
    it("refuses a Karpenter older than the cluster's Kubernetes needs, naming both", async () => {
        const message = await refused(run("dev", { karpenterVersion: "1.5.3" }, onCluster("1.34")));
        expect(message).to.contain(
            "karpenterVersion: Karpenter 1.5.3 does not support Kubernetes 1.34 (cluster dev-ai): Kubernetes 1.34 needs Karpenter 1.6.0 or later",
        );
        const ok = await run("dev", { karpenterVersion: "1.6.0" }, onCluster("1.34"));
        expect(one(ok, RELEASE, "gpu-karpenter-karpenter").inputs.version).to.equal("1.6.0");
    });

    it("holds every pair of the matrix at its boundary, and Kubernetes older than Karpenter supports", () => {
        for (const [k8s, needed] of Object.entries(KARPENTER_FOR_KUBERNETES)) {
            expect(kubernetesCompatibility(needed, k8s, "c"), `${k8s} on ${needed}`).to.deep.equal({});
            const [major, minor, patch] = needed.split(".").map(Number);
            const older = patch > 0 ? `${major}.${minor}.${patch - 1}` : `${major}.${minor - 1}.9`;
            expect(kubernetesCompatibility(older, k8s, "c").error, `${k8s} on ${older}`).to.contain(
                `Kubernetes ${k8s} needs Karpenter ${needed} or later`,
            );
        }
        expect(kubernetesCompatibility("1.5.0", "1.25", "c").error).to.contain("it needs Kubernetes 1.26 or later");
        expect(kubernetesCompatibility("1.4.0", "1.25", "c")).to.deep.equal({});
    });

    it("warns, and goes on, on a Kubernetes newer than the matrix it knows", async () => {
        const r = await run("dev", {}, onCluster("1.37"));
        expect(r.warnings.join("\n")).to.contain(
            "Kubernetes 1.37 (cluster dev-ai) is newer than Karpenter's compatibility matrix",
        );
    });

    it("refuses a created cluster's kubernetesVersion before the cluster is registered", async () => {
        const e = await runError(
            run("dev", {
                createCluster: true,
                subnetIds: ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"],
                kubernetesVersion: "1.35",
                karpenterVersion: "1.8.0",
            }),
        );
        expect(e.message).to.contain(
            "gpu-karpenter:karpenterVersion: Karpenter 1.8.0 does not support Kubernetes 1.35 (the created cluster)",
        );
        expect((e as ProgramFailure).resources).to.be.empty;
    });
});

describe("identity podIdentity and the Pod Identity agent", () => {
    const noAgent = () =>
        fakeCluster(f => void (f.cluster.addons = f.cluster.addons.filter(a => a !== "eks-pod-identity-agent")));

    it("stops before registering anything on a cluster without the eks-pod-identity-agent add-on", async () => {
        const message = await refused(run("dev", { identity: "podIdentity" }, noAgent()));
        expect(message).to.contain(
            `identity: "podIdentity" needs the EKS Pod Identity agent, and cluster dev-ai has no eks-pod-identity-agent add-on`,
        );
        expect(message).to.contain("aws eks create-addon --cluster-name dev-ai --addon-name eks-pod-identity-agent");
        expect(message).to.contain(`podIdentityAgent "selfManaged"`);
        // The same stack on a cluster that has the add-on installs.
        const r = await run("dev", { identity: "podIdentity" });
        expect(ofType(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation")).to.have.length(1);
    });

    it("takes podIdentityAgent selfManaged for an agent run from its Helm chart, and refuses it with irsa", async () => {
        const r = await run("dev", { identity: "podIdentity", podIdentityAgent: "selfManaged" }, noAgent());
        expect(ofType(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation")).to.have.length(1);
        const e = await runError(run("dev", { podIdentityAgent: "selfManaged" }));
        expect(e.message).to.contain(
            `gpu-karpenter:podIdentityAgent: "selfManaged" only applies with identity "podIdentity"; unset it`,
        );
        const bad = await runError(run("dev", { identity: "podIdentity", podIdentityAgent: "helm" }));
        expect(bad.message).to.contain(
            `gpu-karpenter:podIdentityAgent: "helm" is not allowed; use one of "addon", "selfManaged"`,
        );
    });

    it("asks nothing of an IRSA stack's cluster", async () => {
        const r = await run("dev", {}, noAgent());
        expect(ofType(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation")).to.be.empty;
    });

    it("installs the add-on with a cluster it creates, before the controller", async () => {
        const r = await run("dev", {
            createCluster: true,
            subnetIds: ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"],
            identity: "podIdentity",
        });
        const agent = one(r, ADDON, "dev-ai-pod-identity-agent");
        expect(agent.inputs.addonName).to.equal("eks-pod-identity-agent");
        expect(one(r, GPU_KARPENTER_TYPE, "gpu-karpenter").dependencies).to.include(agent.urn);
        const irsa = await run("dev", {
            createCluster: true,
            subnetIds: ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"],
        });
        expect(ofType(irsa, ADDON)).to.be.empty;
    });
});

describe("an EKS Auto Mode cluster", () => {
    it("is refused before anything is registered: EKS owns the karpenter.sh CRDs the CRD chart would take over", async () => {
        const message = await refused(
            run(
                "dev",
                {},
                fakeCluster(f => void (f.cluster.autoMode = true)),
            ),
        );
        expect(message).to.contain("clusterName: cluster dev-ai runs EKS Auto Mode (computeConfig.enabled)");
        expect(message).to.contain("Auto Mode's own NodePools");
    });

    it("is refused when a component caller says so in the cluster details too", async () => {
        const message = await refused(
            runOffline("auto", () => {
                new GpuKarpenter("gpu", {
                    clusterName: "dev-ai",
                    cluster: {
                        endpoint: "https://example",
                        certificateAuthority: "Y2E=",
                        oidcIssuerUrl: "",
                        clusterSecurityGroupId: "sg-0c1a2b3c4d5e6f708",
                        authenticationMode: "API",
                        autoMode: true,
                    },
                    identity: "podIdentity",
                });
            }),
        );
        expect(message).to.contain("runs EKS Auto Mode");
    });
});

describe("names and tags AWS would refuse", () => {
    const invalid = async (overrides: Record<string, unknown>, message: string) => {
        const e = await runError(run("dev", overrides));
        expect(e.message).to.contain(message);
        expect((e as ProgramFailure).resources).to.be.empty;
    };

    it("refuses role names over 64 characters or outside IAM's character set, and takes one of 64", async () => {
        await invalid(
            { nodeRoleName: "n".repeat(65) },
            `gpu-karpenter:nodeRoleName: "${"n".repeat(65)}" is not an IAM role name; use 1 to 64 letters, digits and + = , . @ _ - (it has 65 characters)`,
        );
        await invalid(
            { controllerRoleName: "karpenter/dev" },
            `gpu-karpenter:controllerRoleName: "karpenter/dev" is not an IAM role name`,
        );
        const r = await run("dev", { nodeRoleName: "n".repeat(64) });
        expect(one(r, "aws:iam/role:Role", "gpu-karpenter-node-role").inputs.name).to.equal("n".repeat(64));
    });

    it("refuses an interruption queue name SQS would refuse; a long cluster name is shortened for the default", async () => {
        await invalid(
            { interruptionQueueName: "karpenter.dev" },
            `gpu-karpenter:interruptionQueueName: "karpenter.dev" is not an SQS queue name; use 1 to 80 letters, digits, "-" and "_"`,
        );
        await invalid({ interruptionQueueName: "q".repeat(81) }, "is not an SQS queue name");
        const longName = "c".repeat(100);
        const r = await run(
            "dev",
            { clusterName: longName },
            fakeCluster(f => void (f.cluster.name = longName)),
        );
        const queue = String(one(r, "aws:sqs/queue:Queue", "gpu-karpenter-interruption").inputs.name);
        expect(queue.length).to.equal(80);
        expect(queue).to.match(/^c+-[0-9a-f]{8}$/);
    });

    it("refuses a component name whose derived IAM names would not fit, unless the role names are given", async () => {
        const component = (name: string, more = {}) =>
            runOffline("names", () => void new GpuKarpenter(name, { clusterName: "dev-ai", ...more }));
        const e = await runError(component("g".repeat(41)));
        expect(e.message).to.contain(
            `name: "${"g".repeat(41)}" is too long for its controller role (or set controllerRoleName): Pulumi names it "${"g".repeat(41)}-controller-role" plus "-" and 7 random characters, over IAM's 64; use a component name of at most 40 characters`,
        );
        expect((e as ProgramFailure).resources).to.be.empty;
        await component("g".repeat(40));
        await component("g".repeat(90), { nodeRoleName: "gpu-nodes", controllerRoleName: "gpu-controller" });
        const spaces = await runError(component("gpu pools"));
        expect(spaces.message).to.contain(`name: "gpu pools" names IAM resources, and IAM takes only letters, digits`);
    });

    it("names a created cluster's system node role by prefix when auto-naming would pass 64 characters", async () => {
        const subnetIds = ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"];
        const roleOf = (r: ProgramRun, cluster: string) =>
            one(r, "aws:iam/role:Role", `${cluster}-system-nodes`).inputs;
        const longName = "ml-platform-production-gpu-training-us-west-2-a";
        const long = await run("dev", { createCluster: true, subnetIds, clusterName: longName });
        expect(roleOf(long, longName).namePrefix).to.equal("ml-platform-production-g-system-nodes-");
        expect(String(roleOf(long, longName).namePrefix).length).to.be.at.most(38);
        const short = await run("dev", { createCluster: true, subnetIds });
        expect(roleOf(short, "dev-ai")).not.to.have.property("namePrefix");
        expect(roleOf(short, "dev-ai")).not.to.have.property("name");
    });

    it("refuses tags AWS refuses: the aws: prefix, long keys and values, IAM's characters, more than fit an instance", async () => {
        await invalid({ tags: { "AWS:team": "ml" } }, `gpu-karpenter:tags.AWS:team: the "aws:" prefix is reserved`);
        await invalid({ tags: { ["k".repeat(129)]: "v" } }, "is not a tag key AWS takes; use 1 to 128");
        await invalid({ tags: { team: "v".repeat(257) } }, "is not a tag value AWS takes; use up to 256");
        await invalid(
            { tags: { team: "ml, infra" } },
            `gpu-karpenter:tags.team: "ml, infra" is not a tag value AWS takes`,
        );
        const many = (n: number) => Object.fromEntries([...Array(n).keys()].map(i => [`tag${i}`, "x"]));
        await invalid(
            { tags: many(45) },
            "gpu-karpenter:tags: 45 tags are too many: AWS takes 50 a resource, and Karpenter adds 6 to every instance it launches",
        );
        const fits = await run("dev", { tags: many(44) });
        expect(
            Object.keys(one(fits, "aws:iam/role:Role", "gpu-karpenter-node-role").inputs.tags as object),
        ).to.have.length(44);
        // A Name tag of the user's own is one Karpenter does not add.
        await run("dev", { tags: { ...many(44), Name: "gpu" } });
    });
});

describe("the interruption queue's policy", () => {
    it("lets EventBridge send only from this stack's five rules (aws:SourceArn), and nothing without TLS", async () => {
        const r = await run("dev");
        const rules = ofType(r, "aws:cloudwatch/eventRule:EventRule").map(
            rule => `arn:aws:events:us-west-2:111122223333:rule/${rule.inputs.name}`,
        );
        expect(rules).to.have.length(5);
        const policy = json(one(r, "aws:sqs/queuePolicy:QueuePolicy", "gpu-karpenter-interruption").inputs.policy);
        const send = policy.Statement.find((s: any) => s.Action === "sqs:SendMessage");
        expect(send.Principal.Service).to.include("events.amazonaws.com");
        expect(send.Condition).to.deep.equal({ ArnEquals: { "aws:SourceArn": rules } });
        expect(policy.Statement.find((s: any) => s.Sid === "DenyHTTP").Condition).to.deep.equal({
            Bool: { "aws:SecureTransport": false },
        });
    });
});
