// What the component reads from AWS before it decides what to create: the account and region, the
// cluster, its node groups' subnets, existing tags, access entries and the spot service-linked role.
// A look-up that finds nothing is told apart from one that failed (access denied, expired
// credentials), so a failure is never reported as "there is none".
import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentity } from "@pulumi/aws/getCallerIdentity";
import { getPartition } from "@pulumi/aws/getPartition";
import { getRegion } from "@pulumi/aws/getRegion";
import { getAccessEntry, getAddon, getCluster, getNodeGroup, getNodeGroups } from "@pulumi/aws/eks";
import { getOpenIdConnectProvider, getRole } from "@pulumi/aws/iam";
import { getSecurityGroup, getSubnet } from "@pulumi/aws/ec2";
import { GpuKarpenterConfigError } from "./checks";
import type { AuthenticationMode, ClusterDetails } from "./cluster-args";
import { type AwsEnvironment, SPOT_SERVICE_LINKED_ROLE } from "./iam-documents";

/**
 * How the AWS provider says a data source found nothing: "couldn't find resource" (the generic
 * not-found of terraform-provider-aws), "no matching EC2 Subnet found" (its singular data sources,
 * tfresource.SingularDataSourceFindError: subnets, security groups), "finding IAM OIDC Provider by
 * url (...): not found", IAM's NoSuchEntity, EKS's ResourceNotFoundException.
 */
const NOT_FOUND =
    /couldn't find resource|no matching [\w ]+ found|\): not found|NoSuchEntity|ResourceNotFoundException|empty result/i;

function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

export function isNotFound(error: unknown): boolean {
    return NOT_FOUND.test(errorMessage(error));
}

/** Undefined when the look-up found nothing; any other failure is raised with `what` for context. */
async function unlessNotFound<T>(what: string, lookup: () => Promise<T>): Promise<T | undefined> {
    try {
        return await lookup();
    } catch (e) {
        if (isNotFound(e)) return undefined;
        throw new GpuKarpenterConfigError(`${what} failed: ${errorMessage(e).trim()}`);
    }
}

/** What a look-up found that decides whether a resource is declared: its tags say whose it is. */
export interface Found {
    tags: Record<string, string>;
}

/** What the look-up found (as unlessNotFound); when it found nothing, a config error saying `missing`. */
async function mustFind<T>(what: string, lookup: () => Promise<T>, missing: string): Promise<T> {
    const found = await unlessNotFound(what, lookup);
    if (found === undefined) throw new GpuKarpenterConfigError(missing);
    return found;
}

export async function lookupAwsEnvironment(opts: pulumi.InvokeOptions): Promise<AwsEnvironment> {
    const [partition, region, identity] = await Promise.all([
        getPartition({}, opts),
        getRegion({}, opts),
        getCallerIdentity({}, opts),
    ]);
    return {
        partition: partition.partition,
        dnsSuffix: partition.dnsSuffix,
        region: region.region,
        accountId: identity.accountId,
    };
}

export async function lookupCluster(
    clusterName: string,
    needsOidcProvider: boolean,
    opts: pulumi.InvokeOptions,
): Promise<ClusterDetails> {
    const cluster = await mustFind(
        `clusterName: reading EKS cluster ${clusterName}`,
        () => getCluster({ name: clusterName }, opts),
        `clusterName: there is no EKS cluster named ${clusterName} in this account and region`,
    );
    const oidcIssuerUrl = cluster.identities?.[0]?.oidcs?.[0]?.issuer ?? "";
    const oidcProviderArn = needsOidcProvider
        ? await lookupOidcProviderArn(clusterName, oidcIssuerUrl, opts)
        : undefined;
    return {
        endpoint: cluster.endpoint,
        certificateAuthority: cluster.certificateAuthorities[0].data,
        oidcIssuerUrl,
        oidcProviderArn,
        clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
        // EKS answers one of the three modes; a cluster from before access entries has no accessConfig.
        authenticationMode: (cluster.accessConfigs?.[0]?.authenticationMode ?? "CONFIG_MAP") as AuthenticationMode,
        version: cluster.version,
        autoMode: cluster.computeConfigs?.[0]?.enabled === true,
    };
}

/** The IAM OIDC provider IRSA trusts: the one for the cluster's issuer. */
export async function lookupOidcProviderArn(
    clusterName: string,
    oidcIssuerUrl: string,
    opts: pulumi.InvokeOptions,
): Promise<string> {
    if (!oidcIssuerUrl) {
        throw new GpuKarpenterConfigError(
            `identity: "irsa" needs an OIDC issuer, and cluster ${clusterName} has none; use "podIdentity"`,
        );
    }
    const provider = await mustFind(
        `identity: "irsa": looking up the IAM OIDC provider for ${oidcIssuerUrl}`,
        () => getOpenIdConnectProvider({ url: oidcIssuerUrl }, opts),
        `identity: "irsa" needs an IAM OIDC provider for ${oidcIssuerUrl}, and there is ` +
            `none; create one (eksctl utils associate-iam-oidc-provider --cluster ${clusterName} --approve) or use "podIdentity"`,
    );
    return provider.arn;
}

/** The subnets of the cluster's managed node groups: where its nodes already run. */
export async function lookupNodeGroupSubnets(clusterName: string, opts: pulumi.InvokeOptions): Promise<string[]> {
    const { names } = await getNodeGroups({ clusterName }, opts);
    const groups = await Promise.all(
        [...names].sort().map(nodeGroupName => getNodeGroup({ clusterName, nodeGroupName }, opts)),
    );
    const subnets = [...new Set(groups.flatMap(group => group.subnetIds))].sort();
    if (subnets.length === 0) {
        throw new GpuKarpenterConfigError(
            `subnetIds: cluster ${clusterName} has no node groups to take subnets from; ` +
                `set subnetIds to the subnets GPU nodes should use`,
        );
    }
    return subnets;
}

/** The tags on each subnet and security group, by id. */
export async function lookupTags(
    ids: { subnets: string[]; securityGroups: string[] },
    opts: pulumi.InvokeOptions,
): Promise<Map<string, Record<string, string>>> {
    const read = (kind: string, id: string, lookup: () => Promise<{ tags: Record<string, string> }>) =>
        mustFind(
            `discovery: "tags": reading the tags of ${kind} ${id}`,
            lookup,
            `discovery: "tags": there is no ${kind} ${id} in this account and region`,
        ).then(found => [id, found.tags ?? {}] as const);
    return new Map(
        await Promise.all([
            ...ids.subnets.map(id => read("subnet", id, () => getSubnet({ id }, opts))),
            ...ids.securityGroups.map(id => read("security group", id, () => getSecurityGroup({ id }, opts))),
        ]),
    );
}

/** The principal's access entry, if it has one (EKS makes one for a managed node group's role). */
export async function findAccessEntry(
    clusterName: string,
    principalArn: string,
    opts: pulumi.InvokeOptions,
): Promise<Found | undefined> {
    const entry = await unlessNotFound(`nodeAccess: looking up the access entry of ${principalArn}`, () =>
        getAccessEntry({ clusterName, principalArn }, opts),
    );
    return entry && { tags: entry.tags ?? {} };
}

/** EC2's spot service-linked role, if the account has it; `arn` is its ID as a resource. */
export async function findSpotServiceLinkedRole(
    opts: pulumi.InvokeOptions,
): Promise<(Found & { arn: string }) | undefined> {
    const role = await unlessNotFound(
        `looking up the IAM role ${SPOT_SERVICE_LINKED_ROLE} (spot GPU pools need it)`,
        () => getRole({ name: SPOT_SERVICE_LINKED_ROLE }, opts),
    );
    return role && { arn: role.arn, tags: role.tags ?? {} };
}

/** The add-on, if the cluster runs it (installed by hand, by another stack, or by this one). */
export async function findAddon(
    clusterName: string,
    addonName: string,
    opts: pulumi.InvokeOptions,
): Promise<Found | undefined> {
    const addon = await unlessNotFound(`looking up the ${addonName} add-on of cluster ${clusterName}`, () =>
        getAddon({ clusterName, addonName }, opts),
    );
    return addon && { tags: addon.tags ?? {} };
}
