// Lets GPU nodes join the cluster: an EKS access entry where the cluster's authentication mode
// allows it, otherwise a mapping in the aws-auth ConfigMap.
import * as pulumi from "@pulumi/pulumi";
import { AccessEntry } from "@pulumi/aws/eks";
import { ConfigMap, ConfigMapPatch } from "@pulumi/kubernetes/core/v1";
import { GpuKarpenterConfigError } from "./checks";
import type { NodeAccessMode } from "./cluster-args";
import { withOwnerTag } from "./ownership";
import { fromYaml, toYaml } from "./yaml";

export const NODE_GROUPS = ["system:bootstrappers", "system:nodes"];
export const NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}";

/** `auto` follows the cluster: access entries unless it only accepts the ConfigMap. */
export function chooseNodeAccess(mode: NodeAccessMode, authenticationMode: string): "accessEntry" | "awsAuth" | "none" {
    if (mode === "accessEntry" && authenticationMode === "CONFIG_MAP") {
        throw new GpuKarpenterConfigError(
            `nodeAccess: "accessEntry" is not possible: the cluster's authentication mode ` +
                `is CONFIG_MAP; use "awsAuth" or "auto", or switch the cluster to API_AND_CONFIG_MAP`,
        );
    }
    if (mode === "awsAuth" && authenticationMode === "API") {
        throw new GpuKarpenterConfigError(
            `nodeAccess: "awsAuth" is not possible: the cluster's authentication mode ` +
                `is API, which ignores aws-auth; use "accessEntry" or "auto"`,
        );
    }
    if (mode !== "auto") return mode;
    return authenticationMode === "CONFIG_MAP" ? "awsAuth" : "accessEntry";
}

interface RoleMapping {
    rolearn: string;
    username?: string;
    groups?: string[];
}

/** aws-auth matches role ARNs without their path. */
export function withoutRolePath(arn: string): string {
    return arn.replace(/:role\/.*\/([^/]+)$/, ":role/$1");
}

/** The existing `mapRoles` with the node role's mapping added or brought up to date; every other mapping kept. */
export function mergeMapRoles(existing: string | undefined, nodeRoleArn: string): string {
    const roles = ((existing && fromYaml(existing)) || []) as RoleMapping[];
    if (!Array.isArray(roles)) {
        throw new Error(`aws-auth mapRoles is not a list; fix the ConfigMap before adding the Karpenter node role`);
    }
    const rolearn = withoutRolePath(nodeRoleArn);
    const mapping = { rolearn, username: NODE_USERNAME, groups: [...NODE_GROUPS] };
    const others = roles.filter(r => r.rolearn !== rolearn);
    return toYaml([...others, mapping]);
}

export function registerNodeAccess(
    name: string,
    opts: {
        mode: "accessEntry" | "awsAuth";
        clusterName: pulumi.Input<string>;
        nodeRoleArn: pulumi.Output<string>;
        tags: Record<string, pulumi.Input<string>>;
        parent: pulumi.Resource;
        kubernetesProvider: pulumi.ProviderResource;
    },
): pulumi.Resource[] {
    if (opts.mode === "accessEntry") {
        return [
            new AccessEntry(
                `${name}-node-access`,
                {
                    clusterName: opts.clusterName,
                    principalArn: opts.nodeRoleArn,
                    type: "EC2_LINUX",
                    // Marks it as this stack's for the next run's look-up (a brought role's entry is looked up).
                    tags: withOwnerTag(opts.tags),
                },
                { parent: opts.parent },
            ),
        ];
    }
    const k8sOpts = { parent: opts.parent, provider: opts.kubernetesProvider };
    const awsAuth = { name: "aws-auth", namespace: "kube-system" };
    // EKS makes aws-auth with a cluster's first managed node group or Fargate profile, so a cluster with
    // neither may have none. A server-side apply that sets no field creates it where it is missing and
    // changes nothing where it is there (Patch resources always apply: pulumi-kubernetes await.go Creation).
    const present = new ConfigMapPatch(
        `${name}-aws-auth-present`,
        { metadata: awsAuth },
        {
            ...k8sOpts,
            // Other nodes and users come to depend on it.
            retainOnDelete: true,
        },
    );
    // Read by that apply's id, so the read waits for it; in a preview that would create it the id is
    // unknown, and the engine skips the read (pkg/resource/deploy/step.go, ReadStep.Apply).
    const existing = ConfigMap.get(`${name}-aws-auth-existing`, present.id, k8sOpts);
    const mapRoles = pulumi
        .all([existing.data, opts.nodeRoleArn])
        .apply(([data, arn]) => mergeMapRoles(data?.mapRoles, arn));
    return [
        new ConfigMapPatch(
            `${name}-aws-auth`,
            {
                metadata: {
                    ...awsAuth,
                    // mapRoles is one string that eksctl, Terraform or EKS may own too; we rewrite it whole.
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                data: { mapRoles },
            },
            {
                ...k8sOpts,
                // Deleting the patch would drop mapRoles, and every node group's mapping with it.
                retainOnDelete: true,
            },
        ),
    ];
}
