import { expect } from "chai";
import { EngineResource, UNKNOWN, evaluateStackPolicies } from "../policies/rules";
import {
    CAPACITY_TYPE_LABEL,
    INSTANCE_FAMILY_LABEL,
    nodePool as gpuPool,
    req,
    stackReports,
    unknownStringValue,
} from "./policy-resources";

const POLICY = "spot-gpu-requires-interruption-handling";
const QUEUE = "gpu-cluster";
const QUEUE_ARN = `arn:aws:sqs:us-west-2:111122223333:${QUEUE}`;

const nodePool = (name: string, capacityTypes: string[], families = ["g5", "g6"]): EngineResource =>
    gpuPool(name, {
        requirements: [req(CAPACITY_TYPE_LABEL, "In", ...capacityTypes), req(INSTANCE_FAMILY_LABEL, "In", ...families)],
    });

const queue = (props: object = { name: QUEUE, arn: QUEUE_ARN }): EngineResource => ({
    type: "aws:sqs/queue:Queue",
    name: "interruption",
    props,
});
const rule = (name: string, source: string, detailType: string): EngineResource => ({
    type: "aws:cloudwatch/eventRule:EventRule",
    name,
    props: { name, eventPattern: JSON.stringify({ source: [source], "detail-type": [detailType] }) },
});
const target = (ruleName: unknown, arn: unknown = QUEUE_ARN): EngineResource => ({
    type: "aws:cloudwatch/eventTarget:EventTarget",
    name: `${ruleName}-target`,
    props: { rule: ruleName, arn },
});
const controller = (
    values: unknown,
    type = "kubernetes:helm.sh/v3:Release",
    chart = "oci://public.ecr.aws/karpenter/karpenter",
): EngineResource => ({ type, name: "karpenter", props: { chart, version: "1.6.2", values } });
const crdRelease = (): EngineResource =>
    controller(undefined, undefined, "oci://public.ecr.aws/karpenter/karpenter-crd");

// The events Karpenter reads from its queue, as its reference CloudFormation template
// (v1.14.1 getting-started cloudformation.yaml) routes them: written out, not taken from the pack.
const SPOT_RULE = rule("gpu-cluster-spot", "aws.ec2", "EC2 Spot Instance Interruption Warning");
const HEALTH_RULE = rule("gpu-cluster-health", "aws.health", "AWS Health Event");
const REBALANCE_RULE = rule("gpu-cluster-rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation");
const STATE_RULE = rule("gpu-cluster-state-change", "aws.ec2", "EC2 Instance State-change Notification");
const RESERVATION_RULE = rule(
    "gpu-cluster-capacity-reservation",
    "aws.ec2",
    "EC2 Capacity Reservation Instance Interruption Warning",
);
const RULES = [HEALTH_RULE, SPOT_RULE, REBALANCE_RULE, STATE_RULE, RESERVATION_RULE];

/** Everything Karpenter needs to drain spot nodes before EC2 reclaims them. */
const wiring = (rules: EngineResource[] = RULES): EngineResource[] => [
    crdRelease(),
    controller({ settings: { clusterName: "gpu", interruptionQueue: QUEUE } }),
    queue(),
    ...rules.flatMap(r => [r, target(r.name)]),
];

function messages(resources: EngineResource[]): string[] {
    return evaluateStackPolicies(resources)
        .filter(v => v.policy === POLICY)
        .map(v => v.message);
}

describe("policies: spot-gpu-requires-interruption-handling", () => {
    const spotGpu = nodePool("gpu-spot", ["spot"]);

    it("passes a spot GPU pool when the queue, a spot-interruption rule targeting it, and the controller setting are there", () => {
        expect(messages([spotGpu, ...wiring()])).to.deep.equal([]);
    });

    it("fails a spot GPU pool in a stack without an interruption queue", () => {
        const violations = evaluateStackPolicies([
            spotGpu,
            crdRelease(),
            controller({ settings: { clusterName: "gpu" } }),
        ]);
        expect(violations).to.deep.equal([
            {
                policy: POLICY,
                enforcement: "mandatory",
                kind: "NodePool",
                name: "gpu-spot",
                message:
                    'GPU NodePool "gpu-spot" runs on spot, but Helm release "karpenter" does not set settings.interruptionQueue, so a spot reclaim kills its GPU pods without a drain. Fix: set the chart value settings.interruptionQueue to the name of an SQS queue that EventBridge interruption rules target.',
            },
        ]);
    });

    it("names each missing piece", () => {
        expect(messages([spotGpu, queue(), SPOT_RULE, target(SPOT_RULE.name)])[0]).to.contain(
            "but no Karpenter controller chart in this stack sets settings.interruptionQueue",
        );
        expect(messages([spotGpu, ...wiring().filter(r => r.type !== "aws:sqs/queue:Queue")])[0])
            .to.contain(
                'but this stack has no SQS queue for the settings.interruptionQueue "gpu-cluster" of Helm release "karpenter", so',
            )
            .and.contain(
                'Fix: create the SQS queue "gpu-cluster" with EventBridge rules for "AWS Health Event", "EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation", "EC2 Instance State-change Notification", "EC2 Capacity Reservation Instance Interruption Warning" targeting it.',
            );
        expect(messages([spotGpu, ...wiring(RULES.filter(r => r !== SPOT_RULE))])).to.deep.equal([
            'GPU NodePool "gpu-spot" runs on spot, but the interruption queue "gpu-cluster" gets no "EC2 Spot Instance Interruption Warning" (aws.ec2) events, so a spot reclaim kills its GPU pods without a drain. Fix: target the queue with an EventBridge rule with pattern {"source":["aws.ec2"],"detail-type":["EC2 Spot Instance Interruption Warning"]}.',
        ]);
        expect(
            messages([spotGpu, ...wiring(RULES.filter(r => r !== HEALTH_RULE && r !== REBALANCE_RULE))]),
        ).to.deep.equal([
            'GPU NodePool "gpu-spot" runs on spot, but the interruption queue "gpu-cluster" gets no "AWS Health Event" (aws.health), "EC2 Instance Rebalance Recommendation" (aws.ec2) events, so Karpenter never hears of those events and cannot drain its GPU nodes ahead of them. Fix: target the queue with EventBridge rules with pattern {"source":["aws.health"],"detail-type":["AWS Health Event"]}, {"source":["aws.ec2"],"detail-type":["EC2 Instance Rebalance Recommendation"]}.',
        ]);
    });

    it("checks each rule's event pattern, naming the rule that matches nothing Karpenter handles", () => {
        // The detail-type one popular Karpenter add-on ships: EventBridge matches it exactly, so never.
        const misspelt = rule("gpu-cluster-state-change", "aws.ec2", "C2 Instance State-change Notification");
        expect(messages([spotGpu, ...wiring(RULES.map(r => (r === STATE_RULE ? misspelt : r)))])).to.deep.equal([
            'GPU NodePool "gpu-spot" runs on spot, but the interruption queue "gpu-cluster" gets no "EC2 Instance State-change Notification" (aws.ec2) events: EventBridge rule "gpu-cluster-state-change" sends it no event Karpenter handles (source "aws.ec2", detail-type "C2 Instance State-change Notification"), so Karpenter never hears of those events and cannot drain its GPU nodes ahead of them. Fix: target the queue with an EventBridge rule with pattern {"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}, or correct the rules named.',
        ]);
        const wrongSource = rule("gpu-cluster-health", "aws.ec2", "AWS Health Event");
        expect(messages([spotGpu, ...wiring(RULES.map(r => (r === HEALTH_RULE ? wrongSource : r)))])[0]).to.contain(
            'gets no "AWS Health Event" (aws.health) events: EventBridge rule "gpu-cluster-health" sends it no event Karpenter handles (source "aws.ec2", detail-type "AWS Health Event")',
        );
        const notJson: EngineResource = {
            ...SPOT_RULE,
            props: { name: SPOT_RULE.name, eventPattern: "source: aws.ec2" },
        };
        expect(messages([spotGpu, ...wiring(RULES.map(r => (r === SPOT_RULE ? notJson : r)))])[0]).to.contain(
            'EventBridge rule "gpu-cluster-spot" sends it no event Karpenter handles (its event pattern is not a JSON object)',
        );
    });

    it("accepts one rule for several events, and patterns that leave a field open", () => {
        const ec2 = rule("gpu-cluster-ec2", "aws.ec2", "EC2 Spot Instance Interruption Warning");
        const ec2Props = ec2.props as { name: string };
        const combined: EngineResource = {
            ...ec2,
            props: {
                ...ec2Props,
                eventPattern: JSON.stringify({
                    source: ["aws.ec2"],
                    "detail-type": [
                        "EC2 Spot Instance Interruption Warning",
                        "EC2 Instance Rebalance Recommendation",
                        "EC2 Instance State-change Notification",
                        "EC2 Capacity Reservation Instance Interruption Warning",
                    ],
                }),
            },
        };
        expect(messages([spotGpu, ...wiring([HEALTH_RULE, combined])])).to.deep.equal([]);
        const anyEc2: EngineResource = {
            ...ec2,
            props: { ...ec2Props, eventPattern: JSON.stringify({ source: ["aws.ec2"] }) },
        };
        expect(messages([spotGpu, ...wiring([HEALTH_RULE, anyEc2])])).to.deep.equal([]);
    });

    it("names a rule that matches an event but sends it nowhere", () => {
        expect(messages([spotGpu, ...wiring(RULES.filter(r => r !== SPOT_RULE)), SPOT_RULE])[0]).to.contain(
            'gets no "EC2 Spot Instance Interruption Warning" (aws.ec2) events: EventBridge rule "gpu-cluster-spot" matches "EC2 Spot Instance Interruption Warning" (aws.ec2) but no target sends it to the queue, so a spot reclaim',
        );
        expect(
            messages([
                spotGpu,
                ...wiring(RULES.filter(r => r !== SPOT_RULE)),
                SPOT_RULE,
                target(SPOT_RULE.name, "arn:aws:sqs:us-west-2:111122223333:other"),
            ])[0],
        ).to.contain(
            'EventBridge rule "gpu-cluster-spot" matches "EC2 Spot Instance Interruption Warning" (aws.ec2) but no target sends it to the queue',
        );
    });

    it("fails a queue, rule or setting that do not name each other", () => {
        expect(
            messages([
                spotGpu,
                ...wiring().slice(0, -1),
                target(RESERVATION_RULE.name, "arn:aws:sqs:us-west-2:111122223333:other"),
            ])[0],
        ).to.contain('gets no "EC2 Capacity Reservation Instance Interruption Warning" (aws.ec2) events');
        expect(messages([spotGpu, ...wiring().slice(0, -1), target("other-rule")])[0]).to.contain(
            'gets no "EC2 Capacity Reservation Instance Interruption Warning" (aws.ec2) events',
        );
        expect(
            messages([spotGpu, ...wiring().slice(2), controller({ settings: { interruptionQueue: "other" } })])[0],
        ).to.contain(
            'but no SQS queue in this stack is named "other", the settings.interruptionQueue of Helm release "karpenter", so',
        );
    });

    it("does not take the CRD chart for the controller", () => {
        const crdWithValues = controller(
            { settings: { interruptionQueue: QUEUE } },
            undefined,
            "oci://public.ecr.aws/karpenter/karpenter-crd",
        );
        expect(messages([spotGpu, crdWithValues, ...wiring().slice(2)])[0]).to.contain(
            "no Karpenter controller chart in this stack sets settings.interruptionQueue",
        );
    });

    it("accepts a Helm v4 chart, or the rendered controller Deployment, as the controller", () => {
        const v4 = controller({ settings: { interruptionQueue: QUEUE } }, "kubernetes:helm.sh/v4:Chart", "karpenter");
        expect(messages([spotGpu, v4, ...wiring().slice(2)])).to.deep.equal([]);
        const deployment: EngineResource = {
            type: "kubernetes:apps/v1:Deployment",
            name: "karpenter",
            props: {
                metadata: { name: "karpenter", labels: { "helm.sh/chart": "karpenter-1.6.2" } },
                spec: {
                    template: {
                        spec: {
                            containers: [{ name: "controller", env: [{ name: "INTERRUPTION_QUEUE", value: QUEUE }] }],
                        },
                    },
                },
            },
        };
        expect(messages([spotGpu, deployment, ...wiring().slice(2)])).to.deep.equal([]);
    });

    it("is lenient exactly where a preview does not know values yet", () => {
        const preview = [
            spotGpu,
            crdRelease(),
            controller(UNKNOWN),
            queue({ name: QUEUE, arn: UNKNOWN }),
            ...RULES.flatMap(r => [
                { ...r, props: { name: UNKNOWN, eventPattern: UNKNOWN } },
                target(UNKNOWN, UNKNOWN),
            ]),
        ];
        expect(messages(preview)).to.deep.equal([]);
        // Known values still have to line up: a queue is needed, whatever its name.
        expect(messages(preview.filter(r => r.type !== "aws:sqs/queue:Queue"))[0]).to.contain(
            'but this stack has no SQS queue for the settings.interruptionQueue of Helm release "karpenter", so',
        );
        // Unknown names and ARNs, known patterns: each event still needs a rule.
        expect(
            messages([
                spotGpu,
                controller({ settings: { interruptionQueue: UNKNOWN } }),
                queue({ name: UNKNOWN }),
                ...RULES.filter(r => r !== SPOT_RULE).flatMap(r => [
                    { ...r, props: { ...(r.props as object), name: UNKNOWN } },
                    target(UNKNOWN, UNKNOWN),
                ]),
            ])[0],
        ).to.contain('but the interruption queue gets no "EC2 Spot Instance Interruption Warning" (aws.ec2) events');
    });

    it("leaves EKS Auto Mode pools alone: Auto Mode handles spot interruptions itself", () => {
        // awsdocs/amazon-eks-user-guide latest/ug/automode/automode.adoc (pull request #1053).
        const autoMode: EngineResource = {
            ...spotGpu,
            name: "auto-nodepool",
            props: JSON.parse(JSON.stringify(spotGpu.props)),
        };
        (autoMode.props as any).spec.template.spec.nodeClassRef = {
            group: "eks.amazonaws.com",
            kind: "NodeClass",
            name: "default",
        };
        expect(messages([autoMode])).to.deep.equal([]);
        expect(messages([autoMode, spotGpu]))
            .to.have.length(1)
            .and.to.match(/^GPU NodePool "gpu-spot" runs on spot/);
    });

    it("ignores on-demand GPU pools and CPU spot pools", () => {
        expect(messages([nodePool("gpu-od", ["on-demand"]), controller(undefined)])).to.deep.equal([]);
        expect(messages([nodePool("cpu-spot", ["spot"], ["m7i", "c7i"])])).to.deep.equal([]);
        expect(messages([nodePool("unknown", [UNKNOWN])])).to.deep.equal([]);
    });

    it("reports every spot GPU pool, with its URN under the engine", async () => {
        const pools = [nodePool("a", ["spot"]), nodePool("b", ["spot", "on-demand"])];
        const reports = await stackReports(POLICY, [...pools, queue({ name: QUEUE, arn: unknownStringValue })]);
        expect(reports.map(r => r.urn)).to.deep.equal([
            "urn:pulumi:dev::p::kubernetes:karpenter.sh/v1:NodePool::a-nodepool",
            "urn:pulumi:dev::p::kubernetes:karpenter.sh/v1:NodePool::b-nodepool",
        ]);
        expect(reports[1].message).to.match(/^GPU NodePool "b" runs on spot, but no Karpenter controller chart/);
    });
});
