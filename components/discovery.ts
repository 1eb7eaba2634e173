// Karpenter finds the subnets and security groups for GPU nodes by the tag
// `karpenter.sh/discovery=<cluster>` (the EC2NodeClass selectors use it).
import * as pulumi from "@pulumi/pulumi";
import { Tag } from "@pulumi/aws/ec2";
import { DISCOVERY_TAG } from "./gpu-pools";

export function registerDiscoveryTags(name: string, clusterName: string, targets: {
    subnetIds: pulumi.Input<string>[];
    securityGroupIds: pulumi.Input<string>[];
}, parent: pulumi.Resource): Tag[] {
    const tag = (kind: string, ids: pulumi.Input<string>[]) => ids.map((id, i) =>
        // Name by id where it is known, so reordering the list does not re-create tags.
        new Tag(`${name}-discovery-${typeof id === "string" ? id : `${kind}-${i}`}`, {
            resourceId: id,
            key: DISCOVERY_TAG,
            value: clusterName,
        }, { parent }));
    return [...tag("subnet", targets.subnetIds), ...tag("sg", targets.securityGroupIds)];
}
