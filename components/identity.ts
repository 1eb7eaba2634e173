// IAM: the role GPU nodes run as, and the controller's role and permissions.
import * as pulumi from "@pulumi/pulumi";
import { Policy, Role, RolePolicyAttachment, ServiceLinkedRole } from "@pulumi/aws/iam";
import { PodIdentityAssociation } from "@pulumi/aws/eks";
import type { ResolvedArgs } from "./args";
import { SERVICE_ACCOUNT } from "./controller";
import {
    AwsEnvironment,
    NODE_MANAGED_POLICIES,
    controllerPolicies,
    irsaTrustPolicy,
    managedPolicyArn,
    nodeTrustPolicy,
    podIdentityTrustPolicy,
} from "./iam-documents";
import { withOwnerTag } from "./ownership";

export interface NodeIdentity {
    nodeRoleArn: pulumi.Output<string>;
    nodeRoleName: pulumi.Output<string>;
    /** The role and its policy attachments; empty for a brought role. */
    resources: pulumi.Resource[];
}

/** `arn:aws:iam::111122223333:role/some/path/name` -> `name` (EC2NodeClass takes the name). */
export function roleNameFromArn(arn: string): string {
    return arn.slice(arn.lastIndexOf("/") + 1);
}

export function registerNodeIdentity(
    name: string,
    args: ResolvedArgs,
    env: pulumi.Output<AwsEnvironment>,
    parent: pulumi.Resource,
): NodeIdentity {
    if (args.nodeRoleArn !== undefined) {
        const nodeRoleArn = pulumi.output(args.nodeRoleArn);
        return {
            nodeRoleArn,
            nodeRoleName: nodeRoleArn.apply(roleNameFromArn),
            resources: [],
        };
    }
    const role = new Role(
        `${name}-node-role`,
        {
            name: args.nodeRoleName,
            description: pulumi.interpolate`GPU nodes that Karpenter launches in EKS cluster ${args.clusterName}`,
            assumeRolePolicy: env.apply(e => JSON.stringify(nodeTrustPolicy(e))),
            tags: args.tags,
        },
        { parent },
    );
    const attachments = NODE_MANAGED_POLICIES.map(
        policy =>
            new RolePolicyAttachment(
                `${name}-node-${policy}`,
                {
                    role: role.name,
                    policyArn: env.apply(e => managedPolicyArn(e.partition, policy)),
                },
                { parent },
            ),
    );
    return { nodeRoleArn: role.arn, nodeRoleName: role.name, resources: [role, ...attachments] };
}

export interface ControllerIdentity {
    controllerRoleArn: pulumi.Output<string>;
    /** Everything the controller's credentials depend on. */
    resources: pulumi.Resource[];
}

export function registerControllerIdentity(
    name: string,
    args: ResolvedArgs,
    inputs: {
        env: pulumi.Output<AwsEnvironment>;
        nodeRoleArn: pulumi.Output<string>;
        interruptionQueueArn?: pulumi.Output<string>;
        oidcProviderArn: pulumi.Input<string>;
        oidcIssuerUrl: pulumi.Input<string>;
        parent: pulumi.Resource;
    },
): ControllerIdentity {
    const { parent } = inputs;
    const trust =
        args.identity === "irsa"
            ? pulumi.all([inputs.oidcProviderArn, inputs.oidcIssuerUrl]).apply(([oidcProviderArn, oidcIssuerUrl]) =>
                  JSON.stringify(
                      irsaTrustPolicy({
                          oidcProviderArn,
                          oidcIssuerUrl,
                          namespace: args.namespace,
                          serviceAccount: SERVICE_ACCOUNT,
                      }),
                  ),
              )
            : pulumi.all([inputs.env, args.clusterName]).apply(([e, clusterName]) =>
                  JSON.stringify(
                      podIdentityTrustPolicy(e, {
                          clusterName,
                          namespace: args.namespace,
                          serviceAccount: SERVICE_ACCOUNT,
                      }),
                  ),
              );
    const role = new Role(
        `${name}-controller-role`,
        {
            name: args.controllerRoleName,
            description: pulumi.interpolate`Karpenter controller of EKS cluster ${args.clusterName}`,
            assumeRolePolicy: trust,
            tags: args.tags,
        },
        { parent },
    );

    const documents = pulumi
        .all([inputs.env, args.clusterName, inputs.nodeRoleArn, inputs.interruptionQueueArn])
        .apply(([env, clusterName, nodeRoleArn, interruptionQueueArn]) =>
            controllerPolicies({ ...env, clusterName, nodeRoleArn, interruptionQueueArn }),
        );
    // The set of concerns is known before the look-ups resolve, so resources are not created in an apply.
    const concerns = [
        "NodeLifecycle",
        "IAMIntegration",
        "EKSIntegration",
        "ResourceDiscovery",
        ...(inputs.interruptionQueueArn ? ["Interruption"] : []),
    ];
    const resources: pulumi.Resource[] = [role];
    for (const concern of concerns) {
        const policy = new Policy(
            `${name}-controller-${concern.toLowerCase()}`,
            {
                description: pulumi.interpolate`Karpenter controller ${concern} permissions for EKS cluster ${args.clusterName}`,
                policy: documents.apply(d => JSON.stringify(d[concern], null, 2)),
                tags: args.tags,
            },
            { parent },
        );
        resources.push(
            policy,
            new RolePolicyAttachment(
                `${name}-controller-${concern.toLowerCase()}`,
                {
                    role: role.name,
                    policyArn: policy.arn,
                },
                { parent },
            ),
        );
    }
    if (args.identity === "podIdentity") {
        resources.push(
            new PodIdentityAssociation(
                `${name}-pod-identity`,
                {
                    clusterName: args.clusterName,
                    namespace: args.namespace,
                    serviceAccount: SERVICE_ACCOUNT,
                    roleArn: role.arn,
                    tags: args.tags,
                },
                { parent },
            ),
        );
    }
    return { controllerRoleArn: role.arn, resources };
}

/**
 * EC2's spot service-linked role, for an account that has never used spot: without it every spot
 * launch fails with ServiceLinkedRoleCreationNotPermitted, as Karpenter may not create it. It is
 * account-wide, so it is only created where it is missing, tagged as this stack's, and kept on
 * destroy: other stacks come to rely on it. `existingArn`: the role as a look-up found it carrying
 * this stack's tag. It is imported by that ID: a no-op while the state has it (the engine imports
 * only when the state has no resource of that ID, step_generator.go), and after a destroy, which
 * kept it, the stack adopts it again rather than fail to create it.
 */
export function registerSpotServiceLinkedRole(
    name: string,
    tags: Record<string, pulumi.Input<string>>,
    parent: pulumi.Resource,
    existingArn?: string,
): ServiceLinkedRole {
    return new ServiceLinkedRole(
        `${name}-spot-service-role`,
        {
            awsServiceName: "spot.amazonaws.com",
            description: "Lets EC2 launch and manage spot instances (created for Karpenter's spot GPU pools)",
            // The provider tags it after creating it (TagRole; CreateServiceLinkedRole takes no tags).
            tags: withOwnerTag(tags),
        },
        { parent, retainOnDelete: true, ...(existingArn ? { import: existingArn } : {}) },
    );
}
