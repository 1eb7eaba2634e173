// `discovery: "tags"`: the manual guide's way, where Karpenter finds subnets and security groups by
// the tag `karpenter.sh/discovery=<cluster>`. Those subnets and groups are usually shared and owned
// by someone else (a VPC stack, another cluster), so a tag another cluster set is never overwritten,
// and no tag is removed on destroy: one that was there before may be relied on, and the stack cannot
// tell it from one it added. The default, `discovery: "ids"`, selects them by id and tags nothing.
import { Tag } from "@pulumi/aws/ec2";
import * as pulumi from "@pulumi/pulumi";
import { GpuKarpenterConfigError } from "./checks";
import { DISCOVERY_TAG } from "./gpu-pools";

/** Each id whose discovery tag names another cluster, as "<id> (karpenter.sh/discovery=<other>)". */
export function discoveryTagConflicts(clusterName: string, tagsById: Map<string, Record<string, string>>): string[] {
    return [...tagsById]
        .filter(([, tags]) => tags[DISCOVERY_TAG] !== undefined && tags[DISCOVERY_TAG] !== clusterName)
        .map(([id, tags]) => `${id} (${DISCOVERY_TAG}=${tags[DISCOVERY_TAG]})`);
}

export function registerDiscoveryTags(
    name: string,
    clusterName: string,
    tagsById: Map<string, Record<string, string>>,
    parent: pulumi.Resource,
): Tag[] {
    const conflicts = discoveryTagConflicts(clusterName, tagsById);
    if (conflicts.length > 0) {
        throw new GpuKarpenterConfigError(
            `discovery: "tags" would overwrite another cluster's discovery tag on ` +
                `${conflicts.join(", ")}; use discovery "ids", or other subnetIds / securityGroupIds`,
        );
    }
    // Named by id, so reordering the lists does not re-create tags.
    return [...tagsById.keys()].map(
        id =>
            new Tag(
                `${name}-discovery-${id}`,
                {
                    resourceId: id,
                    key: DISCOVERY_TAG,
                    value: clusterName,
                },
                { parent, retainOnDelete: true },
            ),
    );
}
