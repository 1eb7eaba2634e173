// The args about the cluster and the AWS side: which cluster, how the controller and the nodes get
// their identities and access, where nodes go (subnets, security groups), and the tags on it all.
import * as pulumi from "@pulumi/pulumi";
import { Problems, isPlain, show } from "./checks";
import { queueNameProblem, tagCountProblem, tagKeyProblem, tagValueProblem } from "./aws-names";

/** How the controller gets AWS credentials. */
export const Identity = {
    /** IAM Roles for Service Accounts: the role trusts the cluster's OIDC provider. */
    Irsa: "irsa",
    /** EKS Pod Identity: the role trusts pods.eks.amazonaws.com, with an association for the service account. */
    PodIdentity: "podIdentity",
} as const;
export type Identity = (typeof Identity)[keyof typeof Identity];
export const IDENTITIES: readonly Identity[] = Object.values(Identity);

/** Where the EKS Pod Identity agent comes from, with identity "podIdentity". */
export const PodIdentityAgent = {
    /** The cluster's eks-pod-identity-agent add-on (or EKS Auto Mode, which has it built in): checked first. */
    Addon: "addon",
    /** Run some other way (its Helm chart, or an add-on created in the same program): not checked. */
    SelfManaged: "selfManaged",
} as const;
export type PodIdentityAgent = (typeof PodIdentityAgent)[keyof typeof PodIdentityAgent];
export const POD_IDENTITY_AGENTS: readonly PodIdentityAgent[] = Object.values(PodIdentityAgent);

/** How GPU nodes may join the cluster. */
export const NodeAccessMode = {
    /** An access entry or an aws-auth mapping, chosen by the cluster's authentication mode. */
    Auto: "auto",
    /** An EKS access entry for the node role (clusters in API or API_AND_CONFIG_MAP mode). */
    AccessEntry: "accessEntry",
    /** A mapping in kube-system/aws-auth (clusters in CONFIG_MAP or API_AND_CONFIG_MAP mode). */
    AwsAuth: "awsAuth",
    /** The node role already has access (brought with nodeRoleArn). */
    None: "none",
} as const;
export type NodeAccessMode = (typeof NodeAccessMode)[keyof typeof NodeAccessMode];
export const NODE_ACCESS_MODES: readonly NodeAccessMode[] = Object.values(NodeAccessMode);

/** How EC2NodeClasses select subnets and security groups. */
export const DiscoveryMode = {
    /** By id: nothing shared is changed. */
    Ids: "ids",
    /** By the tag `karpenter.sh/discovery=<cluster>`, which the stack puts on them. */
    Tags: "tags",
} as const;
export type DiscoveryMode = (typeof DiscoveryMode)[keyof typeof DiscoveryMode];
export const DISCOVERY_MODES: readonly DiscoveryMode[] = Object.values(DiscoveryMode);

/** How the cluster authenticates IAM principals: its `accessConfig.authenticationMode`. */
export const AuthenticationMode = {
    /** Access entries only. */
    Api: "API",
    /** Access entries and the aws-auth ConfigMap. */
    ApiAndConfigMap: "API_AND_CONFIG_MAP",
    /** The aws-auth ConfigMap only. */
    ConfigMap: "CONFIG_MAP",
} as const;
export type AuthenticationMode = (typeof AuthenticationMode)[keyof typeof AuthenticationMode];
export const AUTHENTICATION_MODES: readonly AuthenticationMode[] = Object.values(AuthenticationMode);

/** What the component needs to know of the cluster; looked up by name when not given. */
export interface ClusterDetails {
    /** The cluster's API server endpoint, https://... */
    endpoint: pulumi.Input<string>;
    /** The cluster's certificate authority data, base64-encoded as EKS returns it. */
    certificateAuthority: pulumi.Input<string>;
    /** The cluster's OIDC issuer, e.g. https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE */
    oidcIssuerUrl: pulumi.Input<string>;
    /** The IAM OIDC provider for the issuer (IRSA); looked up from the issuer when absent. */
    oidcProviderArn?: pulumi.Input<string>;
    /** The security group EKS made for the cluster; GPU nodes get it unless securityGroupIds is set. */
    clusterSecurityGroupId: pulumi.Input<string>;
    /** The cluster's authentication mode: how nodeAccess "auto" lets nodes in. */
    authenticationMode: AuthenticationMode;
    /** Kubernetes version, e.g. "1.34" (an aws.eks.Cluster's `version`): checked against karpenterVersion. */
    version?: pulumi.Input<string>;
    /** Whether the cluster runs EKS Auto Mode compute (computeConfig.enabled): refused, EKS owns Karpenter's CRDs there. */
    autoMode?: boolean;
}

/** Whose AWS identity `aws eks get-token` logs in to the cluster with (as pulumi-eks's providerCredentialOpts). */
export interface ProviderCredentialOpts {
    /** AWS CLI profile. Default: the stack's `aws:profile`. */
    profileName?: string;
    /** Role to assume for the token. Default: the last role of the stack's `aws:assumeRoles`. */
    roleArn?: string;
}

const CLUSTER_KEYS: (keyof ClusterDetails)[] = [
    "endpoint",
    "certificateAuthority",
    "oidcIssuerUrl",
    "oidcProviderArn",
    "clusterSecurityGroupId",
    "authenticationMode",
    "version",
    "autoMode",
];
const PROVIDER_CREDENTIAL_KEYS: (keyof ProviderCredentialOpts)[] = ["profileName", "roleArn"];

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const ROLE_ARN_FORMAT = "an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)";

export function resolveClusterName(p: Problems, value: unknown): pulumi.Input<string> | undefined {
    const clusterName = p.matching(
        "clusterName",
        value,
        CLUSTER_NAME,
        `an EKS cluster name (1-100 letters, digits, "-" or "_", starting with a letter or digit)`,
    );
    if (clusterName === undefined) p.required("clusterName", "the name of the EKS cluster to add GPU capacity to");
    return clusterName;
}

export function checkClusterDetails(p: Problems, value: unknown): void {
    if (value !== undefined && p.object("cluster", value)) {
        p.unknownKeys("cluster", value, CLUSTER_KEYS);
        p.bool("cluster.autoMode", value.autoMode, false);
        if (value.authenticationMode === undefined) {
            p.add(
                "cluster.authenticationMode",
                `is required: the cluster's accessConfig.authenticationMode, one of ${AUTHENTICATION_MODES.map(m => `"${m}"`).join(", ")}`,
            );
        } else {
            p.oneOf("cluster.authenticationMode", value.authenticationMode, AUTHENTICATION_MODES, "API");
        }
    }
}

export function resolveNodeRoleArn(p: Problems, value: unknown): pulumi.Input<string> | undefined {
    return p.matching("nodeRoleArn", value, ROLE_ARN, ROLE_ARN_FORMAT);
}

export function resolveProviderCredentialOpts(p: Problems, value: unknown): ProviderCredentialOpts {
    const providerCredentialOpts: ProviderCredentialOpts = {};
    if (value !== undefined && p.object("providerCredentialOpts", value)) {
        const opts = value;
        p.unknownKeys("providerCredentialOpts", opts, PROVIDER_CREDENTIAL_KEYS);
        providerCredentialOpts.profileName = p.str("providerCredentialOpts.profileName", opts.profileName);
        // Not p.matching: the login needs a plain string, and an empty or non-string one keeps p.str's message.
        const roleArn = p.str("providerCredentialOpts.roleArn", opts.roleArn);
        if (roleArn && !ROLE_ARN.test(roleArn)) {
            p.add("providerCredentialOpts.roleArn", `${show(roleArn)} is not ${ROLE_ARN_FORMAT}`);
        }
        providerCredentialOpts.roleArn = roleArn;
    }
    return providerCredentialOpts;
}

/** The interruption queue's name: the cluster's unless given, checked once known when it is an Output. */
export function resolveInterruptionQueueName(
    p: Problems,
    value: unknown,
    clusterName: pulumi.Input<string> | undefined,
): pulumi.Input<string> {
    return value === undefined
        ? (clusterName ?? "")
        : p.input("interruptionQueueName", value as pulumi.Input<string>, queueNameProblem);
}

// Karpenter sets these tags on what it launches itself; its EC2NodeClass CRD refuses them.
const RESERVED_TAG_KEYS = [
    "karpenter.sh/nodepool",
    "karpenter.sh/nodeclaim",
    "karpenter.k8s.aws/ec2nodeclass",
    "eks:eks-cluster-name",
];

export function resolveTags(p: Problems, value: unknown): Record<string, pulumi.Input<string>> {
    if (value === undefined || !p.object("tags", value)) return {};
    const tags: Record<string, pulumi.Input<string>> = {};
    for (const [key, tag] of Object.entries(value)) {
        if (RESERVED_TAG_KEYS.includes(key) || key.startsWith("kubernetes.io/cluster")) {
            p.add(
                `tags.${key}`,
                `is set by Karpenter itself; use another key (reserved: ${RESERVED_TAG_KEYS.join(", ")}, kubernetes.io/cluster/*)`,
            );
        } else {
            const why = tagKeyProblem(key);
            if (why) p.add(`tags.${key}`, why);
        }
        tags[key] = p.input(`tags.${key}`, tag as pulumi.Input<string>, tagValueProblem);
    }
    const tooMany = tagCountProblem(Object.keys(tags));
    if (tooMany) p.add("tags", tooMany);
    return tags;
}

/** A list of ids, or an Output of one: non-empty, every id a non-empty string (checked when known). */
export function resolveIds(p: Problems, key: string, value: unknown): pulumi.Input<pulumi.Input<string>[]> | undefined {
    if (value === undefined) return undefined;
    const problem = (list: unknown) =>
        !Array.isArray(list) || list.length === 0
            ? `${show(list)} is not allowed; use a non-empty list of ids, or leave it unset to discover them`
            : undefined;
    const idProblem = (id: unknown) =>
        typeof id === "string" && id.length > 0 ? undefined : `${show(id)} is not an id`;
    const list = p.input(key, value as pulumi.Input<unknown[]>, problem);
    if (!isPlain(list) || problem(list)) return list as pulumi.Input<pulumi.Input<string>[]>;
    return list.map((id, i) => p.input(`${key}[${i}]`, id as pulumi.Input<string>, idProblem));
}
