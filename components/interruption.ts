// Spot interruption handling: EventBridge sends EC2 and Health events to an SQS queue that
// Karpenter reads, so it drains a node before its spot capacity is reclaimed.
import * as pulumi from "@pulumi/pulumi";
import { Queue, QueuePolicy } from "@pulumi/aws/sqs";
import { EventRule, EventTarget } from "@pulumi/aws/cloudwatch";
import { INTERRUPTION_EVENTS, eventPattern, interruptionQueuePolicy } from "./iam-documents";
import { boundedName } from "./naming";

export interface InterruptionQueue {
    queue: Queue;
    resources: pulumi.Resource[];
}

export function registerInterruptionQueue(
    name: string,
    opts: {
        clusterName: pulumi.Input<string>;
        queueName: pulumi.Input<string>;
        tags: Record<string, pulumi.Input<string>>;
        parent: pulumi.Resource;
    },
): InterruptionQueue {
    const { parent } = opts;
    const queue = new Queue(
        `${name}-interruption`,
        {
            name: pulumi.output(opts.queueName).apply(queueName => boundedName(queueName, 80)),
            messageRetentionSeconds: 300,
            sqsManagedSseEnabled: true,
            tags: opts.tags,
        },
        { parent },
    );
    const resources: pulumi.Resource[] = [queue];
    const ruleArns: pulumi.Output<string>[] = [];
    for (const [suffix, event] of Object.entries(INTERRUPTION_EVENTS)) {
        const rule = new EventRule(
            `${name}-${suffix}`,
            {
                // Rule names are per account and region: the cluster name keeps two clusters apart.
                name: pulumi
                    .output(opts.clusterName)
                    .apply(clusterName => boundedName(`${clusterName}-karpenter-${suffix}`, 64)),
                description: pulumi.interpolate`Karpenter interruption handling for EKS cluster ${opts.clusterName}: ${event.detailType}`,
                eventPattern: eventPattern(event),
                tags: opts.tags,
            },
            { parent },
        );
        ruleArns.push(rule.arn);
        resources.push(
            rule,
            new EventTarget(
                `${name}-${suffix}`,
                {
                    rule: rule.name,
                    targetId: "KarpenterInterruptionQueueTarget",
                    arn: queue.arn,
                },
                { parent },
            ),
        );
    }
    resources.push(
        new QueuePolicy(
            `${name}-interruption`,
            {
                queueUrl: queue.url,
                policy: pulumi
                    .all([queue.arn, ...ruleArns])
                    .apply(([arn, ...rules]) => JSON.stringify(interruptionQueuePolicy(arn, rules), null, 2)),
            },
            { parent },
        ),
    );
    return { queue, resources };
}
