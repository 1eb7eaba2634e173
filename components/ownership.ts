// Which of the things a look-up finds this stack made. A look-up decides whether the node monitoring
// agent add-on, the node role's access entry and the spot service-linked role are created, and the
// next `pulumi up` finds what the last one created: without a mark it would take its own add-on for
// someone else's, stop declaring it, and Pulumi would delete it. So what the stack creates carries a
// tag naming the stack, and a found one that carries it is declared again (docs/rerun.md).
import * as pulumi from "@pulumi/pulumi";

/** Not `aws:` (reserved); letters, `:` and `-` are allowed in IAM, EKS and EC2 tag keys. */
export const OWNER_TAG = "gpu-karpenter:stack";

/** `<project>/<stack>`: at most 100 + 1 + 100 characters, within every service's 256. */
export function ownerTagValue(): string {
    return `${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** `tags` with this stack's owner tag. */
export function withOwnerTag(tags: Record<string, pulumi.Input<string>>): Record<string, pulumi.Input<string>> {
    return { ...tags, [OWNER_TAG]: ownerTagValue() };
}

/** Whether tags a look-up returned mark the resource as this stack's. */
export function isOurs(tags: Record<string, string> | undefined): boolean {
    return tags?.[OWNER_TAG] === ownerTagValue();
}

/** Whether the stack declares a resource that a look-up found as `found`: when there is none, or it is ours. */
export function declares(found: { tags: Record<string, string> } | undefined): boolean {
    return !found || isOurs(found.tags);
}
