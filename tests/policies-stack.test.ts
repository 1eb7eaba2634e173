import { expect } from "chai";
import type { StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { EngineResource, UNKNOWN, evaluateStackPolicies, policies } from "../policies/rules";

// The SDK's own unknown-value proxy and sentinel (internal, so untyped): the policies get exactly
// what the engine hands them during a preview.
const { unknownCheckingProxy, unknownStringValue } = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy: <T extends object>(props: T) => T;
    unknownStringValue: string;
};

const POLICY = "spot-gpu-requires-interruption-handling";
const QUEUE = "gpu-cluster";
const QUEUE_ARN = `arn:aws:sqs:us-west-2:111122223333:${QUEUE}`;

function nodePool(name: string, capacityTypes: string[], families = ["g5", "g6"]): EngineResource {
    return {
        type: "kubernetes:karpenter.sh/v1:NodePool", name: `${name}-nodepool`,
        props: {
            apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name },
            spec: {
                template: {
                    spec: {
                        requirements: [
                            { key: "karpenter.sh/capacity-type", operator: "In", values: capacityTypes },
                            { key: "karpenter.k8s.aws/instance-family", operator: "In", values: families },
                        ],
                    },
                },
            },
        },
    };
}

const queue = (props: object = { name: QUEUE, arn: QUEUE_ARN }): EngineResource =>
    ({ type: "aws:sqs/queue:Queue", name: "interruption", props });
const rule = (name: string, source: string, detailType: string): EngineResource => ({
    type: "aws:cloudwatch/eventRule:EventRule", name,
    props: { name, eventPattern: JSON.stringify({ "source": [source], "detail-type": [detailType] }) },
});
const target = (ruleName: unknown, arn: unknown = QUEUE_ARN): EngineResource =>
    ({ type: "aws:cloudwatch/eventTarget:EventTarget", name: `${ruleName}-target`, props: { rule: ruleName, arn } });
const controller = (values: unknown, type = "kubernetes:helm.sh/v3:Release", chart = "oci://public.ecr.aws/karpenter/karpenter"): EngineResource =>
    ({ type, name: "karpenter", props: { chart, version: "1.6.2", values } });
const crdRelease = (): EngineResource => controller(undefined, undefined, "oci://public.ecr.aws/karpenter/karpenter-crd");

const SPOT_RULE = rule("gpu-cluster-spot", "aws.ec2", "EC2 Spot Instance Interruption Warning");
const HEALTH_RULE = rule("gpu-cluster-health", "aws.health", "AWS Health Event");

/** Everything Karpenter needs to drain spot nodes before EC2 reclaims them. */
const wiring = (): EngineResource[] => [
    crdRelease(),
    controller({ settings: { clusterName: "gpu", interruptionQueue: QUEUE } }),
    queue(),
    HEALTH_RULE, target(HEALTH_RULE.name),
    SPOT_RULE, target(SPOT_RULE.name),
];

function messages(resources: EngineResource[]): string[] {
    return evaluateStackPolicies(resources).filter(v => v.policy === POLICY).map(v => v.message);
}

describe("policies: spot-gpu-requires-interruption-handling", () => {
    const spotGpu = nodePool("gpu-spot", ["spot"]);

    it("passes a spot GPU pool when the queue, a spot-interruption rule targeting it, and the controller setting are there", () => {
        expect(messages([spotGpu, ...wiring()])).to.deep.equal([]);
    });

    it("fails a spot GPU pool in a stack without an interruption queue", () => {
        const violations = evaluateStackPolicies([spotGpu, crdRelease(), controller({ settings: { clusterName: "gpu" } })]);
        expect(violations).to.deep.equal([{
            policy: POLICY, enforcement: "mandatory", kind: "NodePool", name: "gpu-spot",
            message: 'GPU NodePool "gpu-spot" runs on spot, but Helm release "karpenter" does not set settings.interruptionQueue, so a spot reclaim kills its GPU pods without a drain. Fix: set the chart value settings.interruptionQueue to the name of an SQS queue that EventBridge interruption rules target.',
        }]);
    });

    it("names each missing piece", () => {
        const without = (...left: EngineResource[]) => messages([spotGpu, ...wiring().filter(r => !left.includes(r))]);
        expect(messages([spotGpu, queue(), SPOT_RULE, target(SPOT_RULE.name)])[0])
            .to.contain("but no Karpenter controller chart in this stack sets settings.interruptionQueue");
        expect(messages([spotGpu, ...wiring().filter(r => r.type !== "aws:sqs/queue:Queue")])[0])
            .to.contain('but this stack has no SQS queue for the settings.interruptionQueue "gpu-cluster" of Helm release "karpenter", so')
            .and.contain('Fix: create the SQS queue "gpu-cluster" with EventBridge rules');
        expect(without(SPOT_RULE)[0]).to.contain('but no EventBridge rule for "EC2 Spot Instance Interruption Warning" targets the interruption queue "gpu-cluster"')
            .and.contain('Fix: add an EventBridge rule with pattern {"source":["aws.ec2"],"detail-type":["EC2 Spot Instance Interruption Warning"]} and the queue as its target.');
        expect(messages([spotGpu, ...wiring().filter(r => r.type !== "aws:cloudwatch/eventTarget:EventTarget"), target(HEALTH_RULE.name)])[0])
            .to.contain("no EventBridge rule for");
    });

    it("fails a queue, rule or setting that do not name each other", () => {
        expect(messages([spotGpu, ...wiring().slice(0, -1), target(SPOT_RULE.name, "arn:aws:sqs:us-west-2:111122223333:other")])[0])
            .to.contain("no EventBridge rule for");
        expect(messages([spotGpu, ...wiring().slice(0, -1), target("other-rule")])[0]).to.contain("no EventBridge rule for");
        expect(messages([spotGpu, ...wiring().slice(2), controller({ settings: { interruptionQueue: "other" } })])[0])
            .to.contain('but no SQS queue in this stack is named "other", the settings.interruptionQueue of Helm release "karpenter", so');
    });

    it("does not take the CRD chart for the controller", () => {
        const crdWithValues = controller({ settings: { interruptionQueue: QUEUE } }, undefined, "oci://public.ecr.aws/karpenter/karpenter-crd");
        expect(messages([spotGpu, crdWithValues, ...wiring().slice(2)])[0])
            .to.contain("no Karpenter controller chart in this stack sets settings.interruptionQueue");
    });

    it("accepts a Helm v4 chart, or the rendered controller Deployment, as the controller", () => {
        const v4 = controller({ settings: { interruptionQueue: QUEUE } }, "kubernetes:helm.sh/v4:Chart", "karpenter");
        expect(messages([spotGpu, v4, ...wiring().slice(2)])).to.deep.equal([]);
        const deployment: EngineResource = {
            type: "kubernetes:apps/v1:Deployment", name: "karpenter",
            props: {
                metadata: { name: "karpenter", labels: { "helm.sh/chart": "karpenter-1.6.2" } },
                spec: { template: { spec: { containers: [{ name: "controller", env: [{ name: "INTERRUPTION_QUEUE", value: QUEUE }] }] } } },
            },
        };
        expect(messages([spotGpu, deployment, ...wiring().slice(2)])).to.deep.equal([]);
    });

    it("is lenient exactly where a preview does not know values yet", () => {
        const preview = [
            spotGpu, crdRelease(), controller(UNKNOWN),
            queue({ name: QUEUE, arn: UNKNOWN }),
            { ...SPOT_RULE, props: { name: SPOT_RULE.name, eventPattern: UNKNOWN } },
            target(UNKNOWN, UNKNOWN),
        ];
        expect(messages(preview)).to.deep.equal([]);
        // Known values still have to line up: a queue is needed, whatever its name.
        expect(messages(preview.filter(r => r.type !== "aws:sqs/queue:Queue"))[0])
            .to.contain('but this stack has no SQS queue for the settings.interruptionQueue of Helm release "karpenter", so');
        expect(messages([spotGpu, controller({ settings: { interruptionQueue: UNKNOWN } }), queue({ name: UNKNOWN }), HEALTH_RULE, target(HEALTH_RULE.name, UNKNOWN)])[0])
            .to.contain("no EventBridge rule for");
    });

    it("ignores on-demand GPU pools and CPU spot pools", () => {
        expect(messages([nodePool("gpu-od", ["on-demand"]), controller(undefined)])).to.deep.equal([]);
        expect(messages([nodePool("cpu-spot", ["spot"], ["m7i", "c7i"])])).to.deep.equal([]);
        expect(messages([nodePool("unknown", [UNKNOWN])])).to.deep.equal([]);
    });

    it("reports every spot GPU pool, with its URN under the engine", async () => {
        const pools = [nodePool("a", ["spot"]), nodePool("b", ["spot", "on-demand"])];
        const reports: { message: string; urn?: string }[] = [];
        const resources = [...pools, queue({ name: QUEUE, arn: unknownStringValue })].map(r => ({
            type: r.type, name: r.name, urn: `urn:pulumi:dev::p::${r.type}::${r.name}`,
            props: unknownCheckingProxy(r.props as object),
        }));
        const policy = policies.find(p => p.name === POLICY) as StackValidationPolicy;
        await policy.validateStack({ resources, getConfig: () => ({}) } as unknown as StackValidationArgs,
            (message, urn) => reports.push({ message, urn }));
        expect(reports.map(r => r.urn)).to.deep.equal([
            "urn:pulumi:dev::p::kubernetes:karpenter.sh/v1:NodePool::a-nodepool",
            "urn:pulumi:dev::p::kubernetes:karpenter.sh/v1:NodePool::b-nodepool",
        ]);
        expect(reports[1].message).to.match(/^GPU NodePool "b" runs on spot, but no Karpenter controller chart/);
    });
});
