// IAM documents for Karpenter, as pure functions of plain strings so they test without mocks.
// The controller policy follows the upstream reference for the pinned Karpenter version
// (getting-started cloudformation.yaml, v1.14.1), statement for statement, scoped the same way
// or tighter; it is split by concern like the reference, each part under the 6,144-character
// limit of a managed policy.

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: unknown;
    Action: string | string[];
    /** Absent in trust policies. */
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Id?: string;
    Statement: PolicyStatement[];
}

export interface AwsEnvironment {
    partition: string;
    /** e.g. amazonaws.com, amazonaws.com.cn */
    dnsSuffix: string;
    region: string;
    accountId: string;
}

export const NODE_MANAGED_POLICIES = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
] as const;

/** EC2's role for spot requests: account-wide, made by the first spot launch allowed to make it. */
export const SPOT_SERVICE_LINKED_ROLE = "AWSServiceRoleForEC2Spot";

export function managedPolicyArn(partition: string, policy: string): string {
    return `arn:${partition}:iam::aws:policy/${policy}`;
}

export function nodeTrustPolicy(env: Pick<AwsEnvironment, "dnsSuffix">): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: `ec2.${env.dnsSuffix}` }, Action: "sts:AssumeRole" }],
    };
}

/** IRSA: only the controller's service account, through the cluster's OIDC provider. */
export function irsaTrustPolicy(opts: {
    oidcProviderArn: string;
    oidcIssuerUrl: string;
    namespace: string;
    serviceAccount: string;
}): PolicyDocument {
    const issuer = opts.oidcIssuerUrl.replace(/^https:\/\//, "");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: opts.oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                        [`${issuer}:sub`]: `system:serviceaccount:${opts.namespace}:${opts.serviceAccount}`,
                    },
                },
            },
        ],
    };
}

export function clusterArn(
    env: Pick<AwsEnvironment, "partition" | "region" | "accountId">,
    clusterName: string,
): string {
    return `arn:${env.partition}:eks:${env.region}:${env.accountId}:cluster/${clusterName}`;
}

/**
 * EKS Pod Identity: the agent assumes the role only for the controller's service account in this
 * cluster. The agent tags every session with the cluster, namespace and service account (session
 * tags are on by default for an association), so without these conditions any association in the
 * account could hand out this role.
 */
export function podIdentityTrustPolicy(
    env: AwsEnvironment,
    opts: {
        clusterName: string;
        namespace: string;
        serviceAccount: string;
    },
): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: "pods.eks.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: {
                    StringEquals: {
                        "aws:SourceAccount": env.accountId,
                        "aws:RequestTag/eks-cluster-arn": clusterArn(env, opts.clusterName),
                        "aws:RequestTag/kubernetes-namespace": opts.namespace,
                        "aws:RequestTag/kubernetes-service-account": opts.serviceAccount,
                    },
                },
            },
        ],
    };
}

export interface ControllerPolicyInputs extends AwsEnvironment {
    clusterName: string;
    nodeRoleArn: string;
    /** Absent when interruption handling is off: no SQS permissions then. */
    interruptionQueueArn?: string;
}

/**
 * EC2's service principal in the partition. The reference lists both spellings; outside China only
 * `ec2.amazonaws.com` exists, and in aws-cn EC2 is known by both, so there both are allowed.
 */
function passedToEc2(env: Pick<AwsEnvironment, "partition" | "dnsSuffix">): string | string[] {
    return env.partition === "aws-cn" ? ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] : `ec2.${env.dnsSuffix}`;
}

/** The controller's permissions by concern, named like the reference's managed policies. */
export function controllerPolicies(i: ControllerPolicyInputs): Record<string, PolicyDocument> {
    const { partition, region, accountId, clusterName } = i;
    const ec2 = (resource: string) => `arn:${partition}:ec2:${region}:*:${resource}`;
    const cluster = clusterArn(i, clusterName);
    const instanceProfiles = `arn:${partition}:iam::${accountId}:instance-profile/*`;
    const clusterTag = `kubernetes.io/cluster/${clusterName}`;
    const taggedResources = [
        ec2("fleet/*"),
        ec2("instance/*"),
        ec2("volume/*"),
        ec2("network-interface/*"),
        ec2("launch-template/*"),
        ec2("spot-instances-request/*"),
    ];

    const policies: Record<string, PolicyDocument> = {
        NodeLifecycle: {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AllowScopedEC2InstanceAccessActions",
                    Effect: "Allow",
                    Resource: [
                        `arn:${partition}:ec2:${region}::image/*`,
                        `arn:${partition}:ec2:${region}::snapshot/*`,
                        ec2("security-group/*"),
                        ec2("subnet/*"),
                        ec2("capacity-reservation/*"),
                        ec2("placement-group/*"),
                    ],
                    Action: ["ec2:RunInstances", "ec2:CreateFleet"],
                },
                {
                    Sid: "AllowScopedEC2LaunchTemplateAccessActions",
                    Effect: "Allow",
                    Resource: ec2("launch-template/*"),
                    Action: ["ec2:RunInstances", "ec2:CreateFleet"],
                    Condition: {
                        StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" },
                        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
                    },
                },
                {
                    Sid: "AllowScopedEC2InstanceActionsWithTags",
                    Effect: "Allow",
                    Resource: taggedResources,
                    Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                    Condition: {
                        StringEquals: {
                            [`aws:RequestTag/${clusterTag}`]: "owned",
                            "aws:RequestTag/eks:eks-cluster-name": clusterName,
                        },
                        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
                    },
                },
                {
                    Sid: "AllowScopedResourceCreationTagging",
                    Effect: "Allow",
                    Resource: taggedResources,
                    Action: "ec2:CreateTags",
                    Condition: {
                        StringEquals: {
                            [`aws:RequestTag/${clusterTag}`]: "owned",
                            "aws:RequestTag/eks:eks-cluster-name": clusterName,
                            "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                        },
                        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
                    },
                },
                {
                    Sid: "AllowScopedResourceTagging",
                    Effect: "Allow",
                    Resource: ec2("instance/*"),
                    Action: "ec2:CreateTags",
                    Condition: {
                        StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" },
                        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
                        StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": clusterName },
                        "ForAllValues:StringEquals": {
                            "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"],
                        },
                    },
                },
                {
                    Sid: "AllowScopedDeletion",
                    Effect: "Allow",
                    Resource: [ec2("instance/*"), ec2("launch-template/*")],
                    Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                    Condition: {
                        StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" },
                        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
                    },
                },
            ],
        },
        IAMIntegration: {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AllowPassingInstanceRole",
                    Effect: "Allow",
                    Resource: i.nodeRoleArn,
                    Action: "iam:PassRole",
                    Condition: { StringEquals: { "iam:PassedToService": passedToEc2(i) } },
                },
                {
                    Sid: "AllowScopedInstanceProfileCreationActions",
                    Effect: "Allow",
                    Resource: instanceProfiles,
                    Action: ["iam:CreateInstanceProfile"],
                    Condition: {
                        StringEquals: {
                            [`aws:RequestTag/${clusterTag}`]: "owned",
                            "aws:RequestTag/eks:eks-cluster-name": clusterName,
                            "aws:RequestTag/topology.kubernetes.io/region": region,
                        },
                        StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
                    },
                },
                {
                    Sid: "AllowScopedInstanceProfileTagActions",
                    Effect: "Allow",
                    Resource: instanceProfiles,
                    Action: ["iam:TagInstanceProfile"],
                    Condition: {
                        StringEquals: {
                            [`aws:ResourceTag/${clusterTag}`]: "owned",
                            "aws:ResourceTag/topology.kubernetes.io/region": region,
                            [`aws:RequestTag/${clusterTag}`]: "owned",
                            "aws:RequestTag/eks:eks-cluster-name": clusterName,
                            "aws:RequestTag/topology.kubernetes.io/region": region,
                        },
                        StringLike: {
                            "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                            "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                        },
                    },
                },
                {
                    Sid: "AllowScopedInstanceProfileActions",
                    Effect: "Allow",
                    Resource: instanceProfiles,
                    Action: [
                        "iam:AddRoleToInstanceProfile",
                        "iam:RemoveRoleFromInstanceProfile",
                        "iam:DeleteInstanceProfile",
                    ],
                    Condition: {
                        StringEquals: {
                            [`aws:ResourceTag/${clusterTag}`]: "owned",
                            "aws:ResourceTag/topology.kubernetes.io/region": region,
                        },
                        StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
                    },
                },
            ],
        },
        EKSIntegration: {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AllowAPIServerEndpointDiscovery",
                    Effect: "Allow",
                    Resource: cluster,
                    Action: "eks:DescribeCluster",
                },
            ],
        },
        ResourceDiscovery: {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AllowRegionalReadActions",
                    Effect: "Allow",
                    Resource: "*",
                    Action: [
                        "ec2:DescribeCapacityReservations",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstances",
                        "ec2:DescribeInstanceStatus",
                        "ec2:DescribeInstanceTypeOfferings",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplates",
                        "ec2:DescribePlacementGroups",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSpotPriceHistory",
                        "ec2:DescribeSubnets",
                    ],
                    Condition: { StringEquals: { "aws:RequestedRegion": region } },
                },
                {
                    Sid: "AllowSSMReadActions",
                    Effect: "Allow",
                    Resource: `arn:${partition}:ssm:${region}::parameter/aws/service/*`,
                    Action: "ssm:GetParameter",
                },
                { Sid: "AllowPricingReadActions", Effect: "Allow", Resource: "*", Action: "pricing:GetProducts" },
                {
                    Sid: "AllowUnscopedInstanceProfileListAction",
                    Effect: "Allow",
                    Resource: "*",
                    Action: "iam:ListInstanceProfiles",
                },
                {
                    Sid: "AllowInstanceProfileReadActions",
                    Effect: "Allow",
                    Resource: instanceProfiles,
                    Action: "iam:GetInstanceProfile",
                },
                {
                    Sid: "AllowZonalShiftStatusReadOnly",
                    Effect: "Allow",
                    Resource: "*",
                    Action: ["arc-zonal-shift:GetManagedResource"],
                    Condition: { StringEquals: { "arc-zonal-shift:ResourceIdentifier": cluster } },
                },
            ],
        },
    };
    if (i.interruptionQueueArn) {
        policies.Interruption = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AllowInterruptionQueueActions",
                    Effect: "Allow",
                    Resource: i.interruptionQueueArn,
                    Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                },
            ],
        };
    }
    return policies;
}

/**
 * Lets EventBridge (and SQS itself, as Karpenter's reference has it) deliver to the interruption
 * queue, only from this stack's rules (`aws:SourceArn`), which Karpenter's reference leaves open to
 * any rule in any account; refuses anything without TLS.
 */
export function interruptionQueuePolicy(queueArn: string, ruleArns: string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Id: "EC2InterruptionPolicy",
        Statement: [
            {
                Sid: "AllowEventBridgeSend",
                Effect: "Allow",
                Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] },
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
            },
            {
                Sid: "DenyHTTP",
                Effect: "Deny",
                Principal: "*",
                Action: "sqs:*",
                Resource: queueArn,
                Condition: { Bool: { "aws:SecureTransport": false } },
            },
        ],
    };
}

/** An event Karpenter reads from its interruption queue. */
export interface InterruptionEvent {
    source: string;
    detailType: string;
}

/** The events Karpenter handles, as EventBridge patterns keyed by a short rule suffix. */
export const INTERRUPTION_EVENTS: Record<string, InterruptionEvent> = {
    health: { source: "aws.health", detailType: "AWS Health Event" },
    "spot-interruption": { source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
    rebalance: { source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
    "state-change": { source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
    "capacity-reservation": { source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
};

export function eventPattern(event: InterruptionEvent): string {
    return JSON.stringify({ source: [event.source], "detail-type": [event.detailType] });
}
