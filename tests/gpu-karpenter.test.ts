import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import { exampleWorkloadManifest } from "../components/example-workload";
import { asEngineResources } from "../offline/plan-stack";
import { evaluateResources } from "../policies/rules";
import type { ProgramRun } from "../offline/run-program";
import { ProgramFailure } from "../offline/run-program";
import {
    IAM_POLICY,
    NODECLASS,
    NODEPOOL,
    RELEASE,
    controllerStatements,
    expectValidKarpenter,
    fakeCluster,
    json,
    ofType,
    one,
    run,
    runDefaults,
    runError,
    statement,
} from "./helpers";
import { mergeStackConfig, validateProject } from "../offline/pulumi-project";
import { runStack } from "../offline/stack";
import { fromYaml } from "../components/yaml";

const ROLE = "aws:iam/role:Role";
const ISSUER_HOST = "oidc.eks.us-west-2.amazonaws.com/id/A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6";

describe("GpuKarpenter on the dev stack", function () {
    let dev: ProgramRun;
    before(async () => {
        dev = await run("dev");
    });

    it("creates a node role trusted by EC2 with the four managed policies", () => {
        const role = one(dev, ROLE, "gpu-karpenter-node-role");
        expect(json(role.inputs.assumeRolePolicy).Statement).to.deep.equal([
            { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
        const attached = ofType(dev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .filter(a => a.name.startsWith("gpu-karpenter-node-"))
            .map(a => a.inputs.policyArn);
        expect(attached).to.have.members([
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        ]);
        expect(role.inputs.tags).to.deep.equal({ environment: "dev", team: "ml-platform" });
    });

    it("trusts only the karpenter service account through the cluster's OIDC provider (IRSA)", () => {
        const trust = json(one(dev, ROLE, "gpu-karpenter-controller-role").inputs.assumeRolePolicy);
        expect(trust.Statement).to.deep.equal([
            {
                Effect: "Allow",
                Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${ISSUER_HOST}` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
                        [`${ISSUER_HOST}:sub`]: "system:serviceaccount:kube-system:karpenter",
                    },
                },
            },
        ]);
        expect(ofType(dev, "aws:eks/podIdentityAssociation:PodIdentityAssociation")).to.be.empty;
    });

    it("scopes the controller's instance permissions to this cluster's tagged resources", () => {
        const deletion = statement(dev, "AllowScopedDeletion");
        expect(deletion.Action).to.deep.equal(["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]);
        expect(deletion.Condition.StringEquals).to.deep.equal({
            "aws:ResourceTag/kubernetes.io/cluster/dev-ai": "owned",
        });
        expect(deletion.Condition.StringLike).to.deep.equal({ "aws:ResourceTag/karpenter.sh/nodepool": "*" });
        expect(deletion.Resource).to.deep.equal([
            "arn:aws:ec2:us-west-2:*:instance/*",
            "arn:aws:ec2:us-west-2:*:launch-template/*",
        ]);
        const create = statement(dev, "AllowScopedEC2InstanceActionsWithTags");
        expect(create.Condition.StringEquals["aws:RequestTag/eks:eks-cluster-name"]).to.equal("dev-ai");
        const retag = statement(dev, "AllowScopedResourceTagging");
        expect(retag.Condition["ForAllValues:StringEquals"]["aws:TagKeys"]).to.deep.equal([
            "eks:eks-cluster-name",
            "karpenter.sh/nodeclaim",
            "Name",
        ]);
    });

    it("passes only the node role, only to EC2, and reads only AWS's public SSM parameters", () => {
        const nodeRoleArn = "arn:aws:iam::111122223333:role/gpu-karpenter-node-role-abb0d61";
        const pass = statement(dev, "AllowPassingInstanceRole");
        expect(pass.Resource).to.equal(nodeRoleArn);
        expect(pass.Condition).to.deep.equal({ StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } });
        expect(statement(dev, "AllowSSMReadActions").Resource).to.equal(
            "arn:aws:ssm:us-west-2::parameter/aws/service/*",
        );
        expect(statement(dev, "AllowAPIServerEndpointDiscovery").Resource).to.equal(
            "arn:aws:eks:us-west-2:111122223333:cluster/dev-ai",
        );
        expect(statement(dev, "AllowInterruptionQueueActions")).to.deep.include({
            Resource: "arn:aws:sqs:us-west-2:111122223333:dev-ai",
            Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
        });
    });

    it("puts nothing on Resource * but what the upstream reference leaves unscoped", () => {
        const unscoped = controllerStatements(dev).filter(s => s.Resource === "*");
        expect(unscoped.map(s => s.Sid)).to.have.members([
            "AllowRegionalReadActions",
            "AllowPricingReadActions",
            "AllowUnscopedInstanceProfileListAction",
            "AllowZonalShiftStatusReadOnly",
        ]);
        expect(statement(dev, "AllowRegionalReadActions").Condition).to.deep.equal({
            StringEquals: { "aws:RequestedRegion": "us-west-2" },
        });
        for (const p of ofType(dev, IAM_POLICY)) {
            expect(String(p.inputs.policy).replace(/\s/g, "").length, p.name).to.be.below(6144);
        }
    });

    it("puts GPU nodes in the node groups' subnets and the cluster security group, selected by id, tagging nothing", () => {
        const nodeClass = one(dev, NODECLASS, "gpu-karpenter-gpu-nodeclass").inputs as any;
        expect(nodeClass.spec.subnetSelectorTerms).to.deep.equal([
            { id: "subnet-0a1111111111111aa" },
            { id: "subnet-0b2222222222222bb" },
            { id: "subnet-0c3333333333333cc" },
        ]);
        expect(nodeClass.spec.securityGroupSelectorTerms).to.deep.equal([{ id: "sg-0c1a2b3c4d5e6f708" }]);
        expect(ofType(dev, "aws:ec2/tag:Tag")).to.be.empty;
    });

    it("lets GPU nodes join with an EC2_LINUX access entry on an API_AND_CONFIG_MAP cluster", () => {
        const entry = one(dev, "aws:eks/accessEntry:AccessEntry", "gpu-karpenter-node-access");
        expect(entry.inputs).to.deep.include({
            clusterName: "dev-ai",
            type: "EC2_LINUX",
            principalArn: "arn:aws:iam::111122223333:role/gpu-karpenter-node-role-abb0d61",
        });
        expect(ofType(dev, "kubernetes:core/v1:ConfigMapPatch")).to.be.empty;
    });

    it("creates the interruption queue, its policy and five EventBridge rules named for the cluster", () => {
        const queue = one(dev, "aws:sqs/queue:Queue", "gpu-karpenter-interruption");
        expect(queue.inputs).to.deep.include({
            name: "dev-ai",
            messageRetentionSeconds: 300,
            sqsManagedSseEnabled: true,
        });
        const policy = json(one(dev, "aws:sqs/queuePolicy:QueuePolicy", "gpu-karpenter-interruption").inputs.policy);
        expect(policy.Statement[0]).to.deep.include({
            Effect: "Allow",
            Action: "sqs:SendMessage",
            Resource: "arn:aws:sqs:us-west-2:111122223333:dev-ai",
        });
        expect(policy.Statement[0].Principal.Service).to.include("events.amazonaws.com");
        expect(policy.Statement[1]).to.deep.include({
            Effect: "Deny",
            Action: "sqs:*",
            Condition: { Bool: { "aws:SecureTransport": false } },
        });
        const rules = ofType(dev, "aws:cloudwatch/eventRule:EventRule");
        expect(rules.map(r => json(r.inputs.eventPattern))).to.have.deep.members([
            { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
            { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
            { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
            { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
            { source: ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"] },
        ]);
        expect(rules.map(r => r.inputs.name)).to.include("dev-ai-karpenter-spot-interruption");
        const targets = ofType(dev, "aws:cloudwatch/eventTarget:EventTarget");
        expect(
            targets.map(t => t.inputs.rule),
            "one target per rule",
        ).to.have.members(rules.map(r => r.inputs.name));
        expect(targets.map(t => t.inputs.arn)).to.deep.equal(
            Array(5).fill("arn:aws:sqs:us-west-2:111122223333:dev-ai"),
        );
    });

    it("installs the CRD chart, then the controller chart with CRDs skipped, both at the pinned version", () => {
        const crds = one(dev, RELEASE, "gpu-karpenter-karpenter-crd");
        expect(crds.inputs).to.deep.include({
            chart: "oci://public.ecr.aws/karpenter/karpenter-crd",
            version: "1.14.1",
            namespace: "kube-system",
        });
        const controller = one(dev, RELEASE, "gpu-karpenter-karpenter");
        expect(controller.inputs).to.deep.include({
            chart: "oci://public.ecr.aws/karpenter/karpenter",
            version: "1.14.1",
            skipCrds: true,
        });
        const values = controller.inputs.values as any;
        expect(values.settings).to.deep.equal({ clusterName: "dev-ai", interruptionQueue: "dev-ai" });
        expect(values.serviceAccount).to.deep.equal({
            name: "karpenter",
            annotations: {
                "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/gpu-karpenter-controller-role-bddaf7b",
            },
        });
        expect(values.controller.resources).to.deep.equal({
            requests: { cpu: "1", memory: "1Gi" },
            limits: { cpu: "1", memory: "1Gi" },
        });
        expect(
            values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
        ).to.deep.equal([{ matchExpressions: [{ key: "karpenter.sh/nodepool", operator: "DoesNotExist" }] }]);
    });

    it("renders a spot GPU NodePool and its EC2NodeClass", () => {
        const pool = one(dev, NODEPOOL, "gpu-karpenter-gpu-nodepool").inputs as any;
        expect(pool.metadata.name).to.equal("gpu");
        expect(pool.spec.template.spec.requirements).to.deep.equal([
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
            { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["g5", "g6"] },
            { key: "karpenter.k8s.aws/instance-gpu-manufacturer", operator: "In", values: ["nvidia"] },
            { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
        ]);
        expect(pool.spec.template.spec.taints).to.deep.equal([
            { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" },
        ]);
        expect(pool.spec.template.spec.nodeClassRef).to.deep.equal({
            group: "karpenter.k8s.aws",
            kind: "EC2NodeClass",
            name: "gpu",
        });
        expect(pool.spec.template.spec.terminationGracePeriod).to.equal("1h");
        expect(pool.spec.limits).to.deep.equal({ "nvidia.com/gpu": 4 });
        expect(pool.spec.disruption).to.deep.equal({ consolidationPolicy: "WhenEmpty", consolidateAfter: "1m" });

        const nodeClass = one(dev, NODECLASS, "gpu-karpenter-gpu-nodeclass").inputs as any;
        expect(nodeClass.spec.role).to.equal("gpu-karpenter-node-role-abb0d61");
        expect(nodeClass.spec.amiSelectorTerms).to.deep.equal([{ alias: "al2023@latest" }]);
        // The dev pool pulls in parallel, which gives its volume nodeadm's recommended throughput.
        expect(nodeClass.spec.blockDeviceMappings).to.deep.equal([
            {
                deviceName: "/dev/xvda",
                rootVolume: true,
                ebs: {
                    volumeSize: "100Gi",
                    volumeType: "gp3",
                    encrypted: true,
                    deleteOnTermination: true,
                    throughput: 600,
                },
            },
        ]);
    });

    it("installs the NVIDIA device plugin only onto the GPU pools' nodes, tolerating their taint", () => {
        const plugin = one(dev, RELEASE, "gpu-karpenter-nvidia-device-plugin");
        expect(plugin.inputs).to.deep.include({
            chart: "nvidia-device-plugin",
            version: "0.18.2",
            namespace: "kube-system",
        });
        expect((plugin.inputs.repositoryOpts as any).repo).to.equal("https://nvidia.github.io/k8s-device-plugin");
        const values = plugin.inputs.values as any;
        expect(
            values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
        ).to.deep.equal([{ matchExpressions: [{ key: "karpenter.sh/nodepool", operator: "In", values: ["gpu"] }] }]);
        expect(values.tolerations).to.deep.include({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
    });

    it("orders deletion so no GPU instance outlives the controller", () => {
        const urn = (type: string, name: string) => one(dev, type, name).urn;
        const deps = (type: string, name: string) => one(dev, type, name).dependencies;
        const controller = urn(RELEASE, "gpu-karpenter-karpenter");
        const nodeClass = urn(NODECLASS, "gpu-karpenter-gpu-nodeclass");
        // A resource is deleted before everything it depends on.
        expect(deps(NODEPOOL, "gpu-karpenter-gpu-nodepool")).to.include.members([nodeClass, controller]);
        expect(deps(NODECLASS, "gpu-karpenter-gpu-nodeclass")).to.include(controller);
        expect(deps(RELEASE, "gpu-karpenter-karpenter")).to.include.members([
            urn(RELEASE, "gpu-karpenter-karpenter-crd"),
            urn(ROLE, "gpu-karpenter-node-role"),
            urn(ROLE, "gpu-karpenter-controller-role"),
            urn("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "gpu-karpenter-controller-nodelifecycle"),
            urn("aws:eks/accessEntry:AccessEntry", "gpu-karpenter-node-access"),
            urn("aws:sqs/queue:Queue", "gpu-karpenter-interruption"),
            urn("aws:cloudwatch/eventTarget:EventTarget", "gpu-karpenter-spot-interruption"),
        ]);
        const pool = one(dev, NODEPOOL, "gpu-karpenter-gpu-nodepool").inputs as any;
        expect(pool.metadata.annotations).to.deep.equal({ "pulumi.com/deletionPropagationPolicy": "foreground" });
    });

    it("parents every resource to the component and exports its outputs", () => {
        const component = one(dev, "gpu-karpenter:index:GpuKarpenter", "gpu-karpenter");
        for (const r of dev.resources.filter(r => r !== component)) {
            expect(r.parent, r.name).to.equal(component.urn);
            expect(r.name.startsWith("gpu-karpenter-"), r.name).to.equal(true);
        }
        expect(dev.outputs).to.deep.equal({
            nodeRoleArn: "arn:aws:iam::111122223333:role/gpu-karpenter-node-role-abb0d61",
            nodeRoleName: "gpu-karpenter-node-role-abb0d61",
            controllerRoleArn: "arn:aws:iam::111122223333:role/gpu-karpenter-controller-role-bddaf7b",
            interruptionQueueName: "dev-ai",
            nodePoolNames: ["gpu"],
            nodeClassNames: ["gpu"],
            karpenterVersion: "1.14.1",
        });
    });
});

describe("GpuKarpenter on the prod stack", function () {
    let prod: ProgramRun;
    before(async () => {
        prod = await run("prod");
    });

    it("uses EKS Pod Identity: a pods.eks.amazonaws.com trust, an association, no IRSA annotation", () => {
        const trust = json(one(prod, ROLE, "gpu-karpenter-controller-role").inputs.assumeRolePolicy);
        expect(trust.Statement).to.deep.equal([
            {
                Effect: "Allow",
                Principal: { Service: "pods.eks.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: {
                    StringEquals: {
                        "aws:SourceAccount": "111122223333",
                        "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:111122223333:cluster/prod-ai",
                        "aws:RequestTag/kubernetes-namespace": "kube-system",
                        "aws:RequestTag/kubernetes-service-account": "karpenter",
                    },
                },
            },
        ]);
        const association = one(
            prod,
            "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            "gpu-karpenter-pod-identity",
        );
        expect(association.inputs).to.deep.include({
            clusterName: "prod-ai",
            namespace: "kube-system",
            serviceAccount: "karpenter",
        });
        const values = one(prod, RELEASE, "gpu-karpenter-karpenter").inputs.values as any;
        expect(values.serviceAccount).to.deep.equal({ name: "karpenter" });
        expect(one(prod, RELEASE, "gpu-karpenter-karpenter").dependencies).to.include(association.urn);
    });

    it("pins the controller to the system node group and off Karpenter's nodes", () => {
        const values = one(prod, RELEASE, "gpu-karpenter-karpenter").inputs.values as any;
        expect(
            values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
        ).to.deep.equal([
            {
                matchExpressions: [
                    { key: "karpenter.sh/nodepool", operator: "DoesNotExist" },
                    { key: "eks.amazonaws.com/nodegroup", operator: "In", values: ["system"] },
                ],
            },
        ]);
    });

    it("renders an inference pool and a training pool with pinned AMIs", () => {
        const inference = one(prod, NODEPOOL, "gpu-karpenter-inference-nodepool").inputs as any;
        expect(inference.spec.disruption).to.deep.equal({
            consolidationPolicy: "WhenEmptyOrUnderutilized",
            consolidateAfter: "5m",
        });
        expect(inference.spec.weight).to.equal(50);
        expect(inference.spec.template.metadata.labels).to.deep.equal({ "example.com/workload": "inference" });
        expect(inference.spec.template.spec.expireAfter).to.equal("336h");
        const training = one(prod, NODEPOOL, "gpu-karpenter-training-nodepool").inputs as any;
        expect(training.spec.template.spec.requirements[1]).to.deep.equal({
            key: "node.kubernetes.io/instance-type",
            operator: "In",
            values: ["p5.48xlarge", "p5e.48xlarge", "p4d.24xlarge"],
        });
        expect(training.spec.limits).to.deep.equal({ "nvidia.com/gpu": 64 });
        const nodeClass = one(prod, NODECLASS, "gpu-karpenter-training-nodeclass").inputs as any;
        expect(nodeClass.spec.amiSelectorTerms).to.deep.equal([{ alias: "al2023@v20251217" }]);
        expect(nodeClass.spec.blockDeviceMappings[0].ebs.volumeSize).to.equal("500Gi");
        expect(nodeClass.spec.tags).to.deep.equal({
            environment: "prod",
            team: "ml-platform",
            "cost-center": "ai-1234",
        });
        expect(prod.outputs.nodePoolNames).to.deep.equal(["inference", "training"]);
    });
});

describe("GpuKarpenter defaults", function () {
    let defaults: ProgramRun;
    before(async () => {
        defaults = await runDefaults();
    });

    it("makes one spot pool named gpu with WhenEmpty consolidation after 1m and a GPU limit", () => {
        const pool = one(defaults, NODEPOOL, "gpu-karpenter-gpu-nodepool").inputs as any;
        expect(pool.spec.template.spec.requirements.slice(0, 2)).to.deep.equal([
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
            { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["g5", "g6", "g6e"] },
        ]);
        expect(pool.spec.disruption).to.deep.equal({ consolidationPolicy: "WhenEmpty", consolidateAfter: "1m" });
        expect(pool.spec.template.spec.expireAfter).to.equal("720h");
        expect(pool.spec.limits).to.deep.equal({ "nvidia.com/gpu": 8 });
        expect(ofType(defaults, NODEPOOL)).to.have.length(1);
        expect(one(defaults, RELEASE, "gpu-karpenter-karpenter").inputs.values).to.have.nested.property("replicas", 2);
        expect(ofType(defaults, "kubernetes:apps/v1:Deployment")).to.be.empty;
    });

    it("registers the same resources whether Pulumi.yaml's declared defaults are applied or left out", async () => {
        // As `pulumi up` hands a stack that sets only the cluster and region: the CLI fills in every default.
        const project = validateProject(fromYaml(readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")));
        const merged = mergeStackConfig("defaults", project, {
            "aws:region": "us-west-2",
            "gpu-karpenter:clusterName": "demo",
        });
        expect(Object.keys(merged).length).to.be.above(10);
        const withDefaults = await runStack("defaults", merged, fakeCluster());
        expect(withDefaults.resources.map(r => [r.type, r.name, r.inputs])).to.deep.equal(
            defaults.resources.map(r => [r.type, r.name, r.inputs]),
        );
    });
});

describe("GpuKarpenter variations", function () {
    it("maps the node role in aws-auth, keeping existing mappings, on a CONFIG_MAP cluster", async () => {
        const r = await run(
            "dev",
            {},
            fakeCluster(f => {
                f.cluster.authenticationMode = "CONFIG_MAP";
            }),
        );
        expect(ofType(r, "aws:eks/accessEntry:AccessEntry")).to.be.empty;
        const patch = one(r, "kubernetes:core/v1:ConfigMapPatch", "gpu-karpenter-aws-auth");
        const roles = fromYaml((patch.inputs.data as any).mapRoles);
        expect(roles).to.deep.equal([
            {
                rolearn: "arn:aws:iam::111122223333:role/eks-system-node-role",
                username: "system:node:{{EC2PrivateDNSName}}",
                groups: ["system:bootstrappers", "system:nodes"],
            },
            {
                rolearn: "arn:aws:iam::111122223333:role/gpu-karpenter-node-role-abb0d61",
                username: "system:node:{{EC2PrivateDNSName}}",
                groups: ["system:bootstrappers", "system:nodes"],
            },
        ]);
        expect(patch.inputs.metadata as any).to.deep.include({ name: "aws-auth", namespace: "kube-system" });
    });

    it("refuses an access entry on a CONFIG_MAP cluster, naming the setting", async () => {
        const e = await runError(
            run(
                "dev",
                { nodeAccess: "accessEntry" },
                fakeCluster(f => {
                    f.cluster.authenticationMode = "CONFIG_MAP";
                }),
            ),
        );
        expect(e.message).to.contain(
            `nodeAccess: "accessEntry" is not possible: the cluster's authentication mode is CONFIG_MAP`,
        );
    });

    it("takes partition, account and region from the look-ups", async () => {
        const r = await run(
            "dev",
            { "aws:region": "cn-north-1" },
            fakeCluster(f => {
                f.partition = "aws-cn";
                f.dnsSuffix = "amazonaws.com.cn";
                f.accountId = "444455556666";
            }),
        );
        expect(
            json(one(r, ROLE, "gpu-karpenter-node-role").inputs.assumeRolePolicy).Statement[0].Principal.Service,
        ).to.equal("ec2.amazonaws.com.cn");
        expect(statement(r, "AllowAPIServerEndpointDiscovery").Resource).to.equal(
            "arn:aws-cn:eks:cn-north-1:444455556666:cluster/dev-ai",
        );
        // In China EC2 goes by both names, as Karpenter's reference policy lists them.
        expect(statement(r, "AllowPassingInstanceRole").Condition.StringEquals["iam:PassedToService"]).to.deep.equal([
            "ec2.amazonaws.com",
            "ec2.amazonaws.com.cn",
        ]);
        expect(ofType(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map(a => a.inputs.policyArn)).to.include(
            "arn:aws-cn:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        );
    });

    it("uses explicit subnets and security groups instead of discovering them", async () => {
        const r = await run("dev", {
            subnetIds: ["subnet-0feedfeedfeedfeed"],
            securityGroupIds: ["sg-0beefbeefbeefbeef"],
        });
        const nodeClass = one(r, NODECLASS, "gpu-karpenter-gpu-nodeclass").inputs as any;
        expect(nodeClass.spec.subnetSelectorTerms).to.deep.equal([{ id: "subnet-0feedfeedfeedfeed" }]);
        expect(nodeClass.spec.securityGroupSelectorTerms).to.deep.equal([{ id: "sg-0beefbeefbeefbeef" }]);
    });

    it("without interruption handling, creates no queue, no SQS permission and no queue setting", async () => {
        const r = await run("dev", { interruptionQueue: false });
        expect(ofType(r, "aws:sqs/queue:Queue")).to.be.empty;
        expect(ofType(r, "aws:cloudwatch/eventRule:EventRule")).to.be.empty;
        expect(controllerStatements(r).flatMap(s => [s.Action].flat())).not.to.include("sqs:ReceiveMessage");
        expect((one(r, RELEASE, "gpu-karpenter-karpenter").inputs.values as any).settings).to.deep.equal({
            clusterName: "dev-ai",
        });
        expect(r.outputs.interruptionQueueName).to.equal(undefined);
    });

    it("brings its own node role instead of creating one", async () => {
        const arn = "arn:aws:iam::111122223333:role/platform/existing-gpu-nodes";
        const r = await run("dev", { nodeRoleArn: arn });
        expect(ofType(r, ROLE).map(x => x.name)).to.deep.equal(["gpu-karpenter-controller-role"]);
        expect((one(r, NODECLASS, "gpu-karpenter-gpu-nodeclass").inputs as any).spec.role).to.equal(
            "existing-gpu-nodes",
        );
        expect(statement(r, "AllowPassingInstanceRole").Resource).to.equal(arn);
    });

    it("leaves Bottlerocket pools to their own device plugin and gives them a data volume", async () => {
        const r = await run("dev", {
            gpuPools: [
                { name: "gpu", amiAlias: "bottlerocket@latest" },
                { name: "al", instanceFamilies: ["g6e"] },
            ],
        });
        const values = one(r, RELEASE, "gpu-karpenter-nvidia-device-plugin").inputs.values as any;
        expect(
            values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
                .matchExpressions[0].values,
        ).to.deep.equal(["al"]);
        const br = one(r, NODECLASS, "gpu-karpenter-gpu-nodeclass").inputs as any;
        expect(br.spec.blockDeviceMappings.map((b: any) => [b.deviceName, b.ebs.volumeSize])).to.deep.equal([
            ["/dev/xvda", "4Gi"],
            ["/dev/xvdb", "100Gi"],
        ]);
        const onlyBottlerocket = await run("dev", { gpuPools: [{ name: "gpu", amiAlias: "bottlerocket@latest" }] });
        expect(ofType(onlyBottlerocket, RELEASE).map(x => x.name)).not.to.include("gpu-karpenter-nvidia-device-plugin");
    });

    it("deploys the example GPU workload after the pools when asked", async () => {
        const r = await run("dev", { exampleWorkload: true });
        const deployment = one(r, "kubernetes:apps/v1:Deployment", "gpu-karpenter-gpu-smoke-test");
        const pod = (deployment.inputs.spec as any).template.spec;
        expect(pod.containers[0].resources.limits).to.deep.equal({ "nvidia.com/gpu": "1" });
        expect(pod.tolerations).to.deep.include({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
        expect(deployment.dependencies).to.include(one(r, NODEPOOL, "gpu-karpenter-gpu-nodepool").urn);
    });
});

describe("createCluster", function () {
    it("creates an EKS cluster with an OIDC provider, access entries and a system node group, and installs onto it", async () => {
        const r = await run("dev", {
            createCluster: true,
            subnetIds: ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"],
        });
        const cluster = one(r, "eks:index:Cluster", "dev-ai");
        expect(cluster.inputs).to.deep.include({
            name: "dev-ai",
            createOidcProvider: true,
            authenticationMode: "API",
            skipDefaultNodeGroup: true,
        });
        const nodeGroup = one(r, "eks:index:ManagedNodeGroup", "dev-ai-system");
        expect(nodeGroup.inputs).to.deep.include({ nodeGroupName: "system" });
        const values = one(r, RELEASE, "gpu-karpenter-karpenter").inputs.values as any;
        expect(
            values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
                .matchExpressions[1],
        ).to.deep.equal({ key: "eks.amazonaws.com/nodegroup", operator: "In", values: ["system"] });
        const component = one(r, "gpu-karpenter:index:GpuKarpenter", "gpu-karpenter");
        expect(component.dependencies).to.include.members([cluster.urn, nodeGroup.urn]);
        expect(ofType(r, "aws:eks/accessEntry:AccessEntry")).to.have.length(1);
    });
});

describe("invalid stack config", function () {
    const cases: [string, Record<string, unknown>, string][] = [
        ["missing clusterName", { clusterName: undefined }, "gpu-karpenter:clusterName: is required"],
        [
            "an unknown identity",
            { identity: "kiam" },
            `gpu-karpenter:identity: "kiam" is not allowed; use one of "irsa", "podIdentity"`,
        ],
        [
            "a duration in words",
            { gpuPools: [{ name: "gpu", consolidateAfter: "1 minute" }] },
            `gpu-karpenter:gpuPools[0] "gpu".consolidateAfter: "1 minute" is not a duration; use a whole number of hours, minutes and seconds`,
        ],
        [
            "a negative GPU limit",
            { gpuPools: [{ name: "gpu", gpuLimit: -2 }] },
            'gpu-karpenter:gpuPools[0] "gpu".gpuLimit: -2 is not allowed; use a whole number of GPUs from 1 to 10000',
        ],
        [
            "a non-numeric GPU limit",
            { gpuPools: [{ name: "gpu", gpuLimit: "lots" }] },
            `gpu-karpenter:gpuPools[0] "gpu".gpuLimit: "lots" is not allowed; use a whole number of GPUs from 1 to 10000`,
        ],
        [
            "a non-GPU instance family",
            { gpuPools: [{ name: "gpu", instanceFamilies: ["g5", "m5"] }] },
            `gpu-karpenter:gpuPools[0] "gpu".instanceFamilies[1]: "m5" is not a GPU instance family`,
        ],
        [
            "duplicate pool names",
            { gpuPools: [{ name: "gpu" }, { name: "gpu" }] },
            `gpu-karpenter:gpuPools[1] "gpu".name: "gpu" is used by another pool; pool names must be unique`,
        ],
        [
            "a non-DNS pool name",
            { gpuPools: [{ name: "GPU_Pool" }] },
            `gpu-karpenter:gpuPools[0] "GPU_Pool".name: "GPU_Pool" is not allowed; use a DNS label`,
        ],
        [
            "a misspelt key",
            { gpuPool: [{ name: "gpu" }] },
            `gpu-karpenter:gpuPool: unknown setting (did you mean "gpuPools"?); allowed: clusterName`,
        ],
        [
            "a misspelt pool key",
            { gpuPools: [{ name: "gpu", instanceFamily: ["g5"] }] },
            `gpu-karpenter:gpuPools[0] "gpu".instanceFamily: unknown setting (did you mean "instanceFamilies"?)`,
        ],
        [
            "a Karpenter version before 1.1",
            { karpenterVersion: "1.0.1" },
            `gpu-karpenter:karpenterVersion: "1.0.1" is not supported: versions before 1.1.0 still serve the dropped v1beta1 APIs`,
        ],
        ["an AL2 AMI", { gpuPools: [{ name: "gpu", amiAlias: "al2@latest" }] }, "AL2 AMIs end with Kubernetes 1.32"],
        [
            "a tag Karpenter reserves",
            { tags: { "karpenter.sh/nodepool": "x" } },
            "gpu-karpenter:tags.karpenter.sh/nodepool: is set by Karpenter itself",
        ],
        [
            "createCluster without subnets",
            { createCluster: true },
            "gpu-karpenter:subnetIds: is required with createCluster",
        ],
    ];
    for (const [what, overrides, message] of cases) {
        it(`stops on ${what} before registering anything`, async () => {
            const e = await runError(run("dev", overrides));
            expect(e).to.be.instanceOf(ProgramFailure);
            expect(e.message).to.contain("invalid stack config");
            expect(e.message).to.contain(message);
            expect((e as ProgramFailure).resources).to.be.empty;
            expect(String((e as ProgramFailure).cause)).not.to.match(/\n\s+at /);
        });
    }

    it("lists every problem at once", async () => {
        const e = await runError(run("dev", { identity: "kiam", nodeAccess: "magic" }));
        expect(e.message).to.contain("gpu-karpenter:identity").and.to.contain("gpu-karpenter:nodeAccess");
    });
});

describe("what the component renders, checked by the CRDs and the policy pack", function () {
    for (const stack of ["dev", "prod", "defaults"]) {
        it(`${stack}: every NodePool and EC2NodeClass is valid Karpenter v1 and passes every mandatory policy`, async () => {
            const r = stack === "defaults" ? await runDefaults() : await run(stack);
            expect(expectValidKarpenter(r)).to.have.lengthOf.at.least(2);
            const violations = evaluateResources(asEngineResources(r.resources));
            expect(violations.filter(v => v.enforcement === "mandatory")).to.deep.equal([]);
        });
    }
});

describe("examples/gpu-workload.yaml", () => {
    it("is the component's example workload, a pod asking for one GPU that tolerates the GPU taint", () => {
        const file: any = fromYaml(readFileSync(path.join(__dirname, "..", "examples", "gpu-workload.yaml"), "utf8"));
        expect(file).to.deep.equal(exampleWorkloadManifest());
        expect(file.spec.template.spec.containers[0].resources.limits).to.deep.equal({ "nvidia.com/gpu": "1" });
    });
});
