// Names and tags AWS would refuse, refused first with the setting named: IAM role names (given, or
// derived from the component's name by Pulumi's auto-naming), the SQS queue name, and tags (IAM's
// rules are the strictest, and every role gets the tags; instances count Karpenter's own tags too).
import { Problems, settingsError, show } from "./checks";

/** IAM role names: 1 to 64 of letters, digits and + = , . @ _ - (IAM API reference, CreateRole). */
const IAM_NAME_CHARS = /^[\w+=,.@-]+$/;
const IAM_ROLE_NAME_MAX = 64;
const IAM_POLICY_NAME_MAX = 128;
/** SQS queue names: 1 to 80 of letters, digits, - and _ (SQS API reference, CreateQueue). */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/**
 * Pulumi's auto-naming adds "-" and 7 random characters to the logical name, and fails when the result
 * is longer than the limit ("name '...' plus 7 random chars is longer than maximum length", NewUniqueHex).
 */
const AUTO_NAME_ADDS = 8;

export function autoNamedRoleFits(logicalName: string): boolean {
    return IAM_NAME_CHARS.test(logicalName) && logicalName.length + AUTO_NAME_ADDS <= IAM_ROLE_NAME_MAX;
}

export function roleNameProblem(value: string): string | undefined {
    if (value.length <= IAM_ROLE_NAME_MAX && IAM_NAME_CHARS.test(value)) return undefined;
    return `${show(value)} is not an IAM role name; use 1 to ${IAM_ROLE_NAME_MAX} letters, digits and + = , . @ _ - (it has ${value.length} characters)`;
}

/** An optional role name: undefined when unset. */
export function resolveRoleName(p: Problems, key: string, value: unknown): string | undefined {
    const name = p.str(key, value);
    const why = name === undefined ? undefined : roleNameProblem(name);
    if (why) p.add(key, why);
    return name;
}

export function queueNameProblem(value: unknown): string | undefined {
    return typeof value === "string" && QUEUE_NAME.test(value)
        ? undefined
        : `${show(value)} is not an SQS queue name; use 1 to 80 letters, digits, "-" and "_"`;
}

/**
 * The names Pulumi derives from the component's name for the IAM roles and policies it creates:
 * each must fit IAM's limits, or the deployment would fail at the first of them.
 */
export function checkDerivedNames(
    name: string,
    args: { nodeRoleArn?: unknown; nodeRoleName?: string; controllerRoleName?: string },
): void {
    const derived: [string, number, string][] = [
        // The longest policy suffix: "-controller-resourcediscovery" (identity.ts names one policy per concern).
        [`${name}-controller-resourcediscovery`, IAM_POLICY_NAME_MAX, "its controller policies"],
    ];
    if (args.controllerRoleName === undefined)
        derived.push([`${name}-controller-role`, IAM_ROLE_NAME_MAX, "its controller role (or set controllerRoleName)"]);
    if (args.nodeRoleArn === undefined && args.nodeRoleName === undefined)
        derived.push([`${name}-node-role`, IAM_ROLE_NAME_MAX, "its node role (or set nodeRoleName)"]);
    const problems: string[] = [];
    if (!IAM_NAME_CHARS.test(name)) {
        problems.push(
            `name: ${show(name)} names IAM resources, and IAM takes only letters, digits and + = , . @ _ -; use a name of those`,
        );
    } else {
        for (const [logical, max, what] of derived) {
            if (logical.length + AUTO_NAME_ADDS > max) {
                const room = name.length - (logical.length + AUTO_NAME_ADDS - max);
                problems.push(
                    `name: ${show(name)} is too long for ${what}: Pulumi names it "${logical}" plus "-" and 7 random ` +
                        `characters, over IAM's ${max}; use a component name of at most ${room} characters`,
                );
            }
        }
    }
    if (problems.length > 0) {
        throw settingsError(problems);
    }
}

/** IAM tag keys and values (TagRole): letters, digits, spaces and _ . : / = + - @ (IAM API reference, Tag). */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;
const TAGS_MAX = 50;
/**
 * What Karpenter v1.14.1 tags each instance with beside the EC2NodeClass's tags (pkg/utils GetTags, the
 * nodeclaim tagging controller); "Name" only where the user gives none.
 */
export const KARPENTER_INSTANCE_TAGS = [
    "kubernetes.io/cluster/<cluster>",
    "karpenter.sh/nodepool",
    "eks:eks-cluster-name",
    "karpenter.k8s.aws/ec2nodeclass",
    "karpenter.sh/nodeclaim",
    "Name",
];

export function tagKeyProblem(key: string): string | undefined {
    if (/^aws:/i.test(key)) return `the "aws:" prefix is reserved for AWS's own tags; use another key`;
    if (key.length === 0 || key.length > TAG_KEY_MAX || !TAG_CHARS.test(key)) {
        return `is not a tag key AWS takes; use 1 to ${TAG_KEY_MAX} letters, digits, spaces and _ . : / = + - @`;
    }
    return undefined;
}

export function tagValueProblem(value: unknown): string | undefined {
    if (typeof value !== "string") return `${show(value)} is not allowed; use a string`;
    if (value.length > TAG_VALUE_MAX || !TAG_CHARS.test(value)) {
        return `${show(value)} is not a tag value AWS takes; use up to ${TAG_VALUE_MAX} letters, digits, spaces and _ . : / = + - @`;
    }
    return undefined;
}

/** At most 50 tags a resource: an instance carries Karpenter's too. */
export function tagCountProblem(keys: string[]): string | undefined {
    const added = KARPENTER_INSTANCE_TAGS.filter(k => !keys.includes(k));
    const max = TAGS_MAX - added.length;
    if (keys.length <= max) return undefined;
    return (
        `${keys.length} tags are too many: AWS takes ${TAGS_MAX} a resource, and Karpenter adds ${added.length} ` +
        `to every instance it launches (${added.join(", ")}); use at most ${max}`
    );
}
