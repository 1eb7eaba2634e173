// Node repair sees a broken GPU only through the AcceleratedHardwareReady node condition, which the
// EKS node monitoring agent sets; without the agent Karpenter's nodeRepair gate never acts on a GPU.
import * as pulumi from "@pulumi/pulumi";
import { Addon } from "@pulumi/aws/eks";
import { withOwnerTag } from "./ownership";

export const NODE_MONITORING_AGENT = "eks-node-monitoring-agent";

export function registerNodeMonitoringAgent(
    name: string,
    clusterName: pulumi.Input<string>,
    tags: Record<string, pulumi.Input<string>>,
    parent: pulumi.Resource,
): Addon {
    return new Addon(
        `${name}-node-monitoring-agent`,
        {
            clusterName,
            addonName: NODE_MONITORING_AGENT,
            // Marks it as this stack's for the next run's look-up.
            tags: withOwnerTag(tags),
        },
        { parent },
    );
}
