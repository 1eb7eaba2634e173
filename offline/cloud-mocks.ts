// The cloud a GpuKarpenter program talks to, answered from a described fake cluster: the mocks the
// offline plan runs under, and what `gpu-karpenter/testing` gives consumers for their own unit tests.
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { SPOT_SERVICE_LINKED_ROLE } from "../components/iam-documents";
import { type FakeCluster, fakeCluster } from "./fake-cluster";

const AWS_AUTH_ID = "kube-system/aws-auth";
const CONFIG_MAP_PATCH = "kubernetes:core/v1:ConfigMapPatch";
const SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole";
/** How EC2 names what `getSubnet` and `getSecurityGroup` look for. */
const EC2_KINDS = {
    subnet: {
        prefix: "subnet-",
        resourceType: "EC2 Subnet",
        operation: "DescribeSubnets",
        malformed: "InvalidSubnetID",
    },
    securityGroup: {
        prefix: "sg-",
        resourceType: "EC2 Security Group",
        operation: "DescribeSecurityGroups",
        malformed: "InvalidGroupId",
    },
};

/**
 * A resource an earlier `pulumi up` left in the cloud: its type, the ID the cloud gave it, the inputs
 * it was created or last updated with, and what the cloud added (`RecordedResource` is one).
 */
export interface CloudResource {
    type: string;
    id: string;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
}

/** Pulumi's auto-naming adds seven random hex characters; here they are derived, so plans diff cleanly. */
function physicalName(logicalName: string): string {
    return `${logicalName}-${hash(logicalName, 7).toLowerCase()}`;
}

/**
 * Mocks for `pulumi.runtime.setMocks` that answer what GpuKarpenter asks of the cloud, from `fake`
 * (default: `fakeCluster()`), in `region` (default: the fake's):
 *
 * - the invokes it makes (README, "Install the component"): caller identity, partition, region; the
 *   cluster and its OIDC provider; node groups; access entries; subnets and security groups; the
 *   spot service-linked role; add-ons. A look-up the fake has nothing for fails as AWS words it, one
 *   in `fake.deniedLookups` with AccessDenied, and any other invoke throws, naming its token.
 * - `kube-system/aws-auth` (`nodeAccess` awsAuth, or auto on a CONFIG_MAP cluster): read as the fake
 *   has it, or as this program's server-side applies made it where the fake has none.
 * - what earlier updates created (`created`: the resources a `pulumi up` left, see offline/rerun.ts):
 *   the look-ups find them as AWS would, with the tags they were given: add-ons, access entries, the
 *   spot service-linked role, the tags on subnets and security groups, and aws-auth as the applied
 *   patches left it.
 * - for registered resources, the outputs the cloud would fill in, shaped like the real ones (ARNs
 *   from partition, account, region and name) so documents that embed them are concrete. Only what
 *   the cloud adds is returned: under `pulumi preview` (as the offline plan runs) an output the
 *   engine leaves out stays unknown, and `runProgram` fails if one reaches an input.
 */
export function cloudMocks(
    fake: FakeCluster = fakeCluster(),
    region: string = fake.region,
    created: readonly CloudResource[] = [],
): pulumi.runtime.Mocks {
    const { accountId, partition } = fake;
    const c = fake.cluster;
    const arn = (service: string, resource: string, inRegion = true) =>
        `arn:${partition}:${service}:${inRegion ? region : ""}:${accountId}:${resource}`;
    // On use, not up front: a consumer's fake may leave oidcIssuer undefined, read only by these answers.
    const oidcIssuerHost = () => c.oidcIssuer.replace(/^https:\/\//, "");
    const oidcProviderArn = () => arn("iam", `oidc-provider/${oidcIssuerHost()}`, false);
    const made = (type: string, matches: (r: CloudResource) => boolean = () => true) =>
        created.find(r => r.type === type && matches(r));
    const tagsOf = (r: CloudResource): Record<string, string> => r.inputs.tags ?? {};
    // aws-auth as the cluster has it, with what earlier updates' server-side applies wrote over it.
    const awsAuthPatches = created.filter(r => r.type === CONFIG_MAP_PATCH && r.id === AWS_AUTH_ID);
    const awsAuthBefore =
        c.awsAuth || awsAuthPatches.length > 0
            ? Object.assign({}, c.awsAuth, ...awsAuthPatches.map(p => p.inputs.data ?? {}))
            : undefined;
    // What this run's patches wrote to an aws-auth the cluster did not have.
    let appliedAwsAuth: Record<string, string> | undefined;
    return {
        newResource(args) {
            const inputs = args.inputs;
            // Hashed only where a name is needed: for every Kubernetes object it would cost 50 pools ~5 ms.
            const physical = () => (inputs.name as string | undefined) ?? physicalName(args.name);
            switch (args.type) {
                case "aws:iam/role:Role": {
                    const name = physical();
                    return {
                        id: name,
                        state: { name, arn: arn("iam", `role/${name}`, false), uniqueId: `AROA${hash(name, 17)}` },
                    };
                }
                case "aws:iam/policy:Policy": {
                    const name = physical();
                    return {
                        id: arn("iam", `policy/${name}`, false),
                        state: { name, arn: arn("iam", `policy/${name}`, false) },
                    };
                }
                case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
                    return { id: `${inputs.role}-${hash(String(inputs.policyArn), 8)}`, state: {} };
                case "aws:sqs/queue:Queue": {
                    const name = physical();
                    const url = `https://sqs.${region}.${fake.dnsSuffix}/${accountId}/${name}`;
                    return { id: url, state: { name, url, arn: arn("sqs", name) } };
                }
                case "aws:cloudwatch/eventRule:EventRule": {
                    const name = physical();
                    return { id: name, state: { name, arn: arn("events", `rule/${name}`) } };
                }
                case "aws:eks/accessEntry:AccessEntry":
                    return {
                        id: `${inputs.clusterName}:${inputs.principalArn}`,
                        state: {
                            accessEntryArn: arn(
                                "eks",
                                `access-entry/${inputs.clusterName}/role/${accountId}/${hash(String(inputs.principalArn), 8)}`,
                            ),
                        },
                    };
                case "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
                    const id = `a-${hash(args.name, 17)}`;
                    return {
                        id,
                        state: {
                            associationId: id,
                            associationArn: arn("eks", `podidentityassociation/${inputs.clusterName}/${id}`),
                        },
                    };
                }
                case "aws:ec2/tag:Tag":
                    return { id: `${inputs.resourceId},${inputs.key}`, state: {} };
                case "aws:eks/addon:Addon":
                    return {
                        id: `${inputs.clusterName}:${inputs.addonName}`,
                        state: {
                            arn: arn("eks", `addon/${inputs.clusterName}/${inputs.addonName}/${hash(args.name, 8)}`),
                        },
                    };
                case "aws:iam/serviceLinkedRole:ServiceLinkedRole": {
                    const name = SPOT_SERVICE_LINKED_ROLE;
                    const roleArn = arn("iam", `role/aws-service-role/${inputs.awsServiceName}/${name}`, false);
                    return {
                        id: roleArn,
                        state: { name, arn: roleArn, path: `/aws-service-role/${inputs.awsServiceName}/` },
                    };
                }
                case "kubernetes:core/v1:ConfigMap":
                    // Only read here: the cluster's aws-auth, when it has one or a patch made it.
                    if (args.id === AWS_AUTH_ID) {
                        const data = awsAuthBefore ?? appliedAwsAuth;
                        if (!data) throw new Error(`configmaps "aws-auth" not found in namespace kube-system`);
                        return {
                            id: args.id,
                            state: { metadata: { name: "aws-auth", namespace: "kube-system" }, data },
                        };
                    }
                    return { id: args.id ?? physical(), state: {} };
                case CONFIG_MAP_PATCH: {
                    // A server-side apply: it creates the object where it is missing. It answers a turn later,
                    // as an apply takes a round trip, so a read that does not wait for it runs first.
                    const metadata = inputs.metadata as { name: string; namespace?: string };
                    const id = `${metadata.namespace ?? "default"}/${metadata.name}`;
                    return new Promise(resolve =>
                        setImmediate(() => {
                            if (id === AWS_AUTH_ID && !awsAuthBefore)
                                appliedAwsAuth = { ...(appliedAwsAuth ?? {}), ...(inputs.data ?? {}) };
                            resolve({ id, state: {} });
                        }),
                    );
                }
                case "aws:eks/cluster:Cluster": {
                    // A cluster a consumer's program creates: it answers as the described cluster does.
                    const name = physical();
                    return {
                        id: name,
                        state: {
                            name,
                            arn: arn("eks", `cluster/${name}`),
                            endpoint: c.endpoint,
                            version: inputs.version ?? c.version,
                            status: "ACTIVE",
                            certificateAuthority: { data: c.certificateAuthority },
                            identities: [{ oidcs: [{ issuer: c.oidcIssuer }] }],
                            vpcConfig: {
                                ...(inputs.vpcConfig ?? {}),
                                vpcId: c.vpcId,
                                clusterSecurityGroupId: c.clusterSecurityGroupId,
                            },
                        },
                    };
                }
                case "aws:ec2/subnet:Subnet": {
                    const id = `subnet-${hash(args.name, 17).toLowerCase()}`;
                    return { id, state: { arn: arn("ec2", `subnet/${id}`) } };
                }
                case "eks:index:Cluster": {
                    const name = physical();
                    return {
                        id: name,
                        state: {
                            ...inputs,
                            eksCluster: {
                                name: inputs.name,
                                endpoint: c.endpoint,
                                certificateAuthority: { data: c.certificateAuthority },
                                identities: [{ oidcs: [{ issuer: c.oidcIssuer }] }],
                                vpcConfig: { vpcId: inputs.vpcId, clusterSecurityGroupId: c.clusterSecurityGroupId },
                            },
                            oidcProviderArn: oidcProviderArn(),
                            // @pulumi/eks's own group, not the one EKS gives the cluster and its managed nodes.
                            clusterSecurityGroupId: `sg-${hash(`${args.name}-eksClusterSecurityGroup`, 17).toLowerCase()}`,
                        },
                    };
                }
                default:
                    return { id: args.custom ? `${args.name}-id` : "", state: {} };
            }
        },
        call(args) {
            try {
                return answer(args);
            } catch (e) {
                throw invokeError(args.token, e as Error);
            }
        },
    };

    function answer(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const inputs = args.inputs;
        if (fake.deniedLookups.includes(args.token)) {
            throw new Error(
                `operation error: https response error StatusCode: 403, api error AccessDenied: ` +
                    `User: arn:${partition}:iam::${accountId}:user/offline-plan is not authorized to perform this action (${args.token})`,
            );
        }
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    accountId,
                    arn: arn("iam", "user/offline-plan", false),
                    userId: "AIDAOFFLINEPLAN",
                    id: accountId,
                };
            case "aws:index/getPartition:getPartition":
                return {
                    partition,
                    dnsSuffix: fake.dnsSuffix,
                    reverseDnsPrefix: fake.dnsSuffix.split(".").reverse().join("."),
                    id: partition,
                };
            case "aws:index/getRegion:getRegion":
                return {
                    region,
                    name: region,
                    endpoint: `ec2.${region}.${fake.dnsSuffix}`,
                    description: region,
                    id: region,
                };
            case "aws:eks/getCluster:getCluster":
                if (c.name && inputs.name !== c.name) {
                    throw new Error(
                        `reading EKS Cluster (${inputs.name}): couldn't find resource (cluster ${c.name} is the only one described)`,
                    );
                }
                return {
                    id: inputs.name,
                    name: inputs.name,
                    arn: arn("eks", `cluster/${inputs.name}`),
                    endpoint: c.endpoint,
                    version: c.version,
                    status: "ACTIVE",
                    certificateAuthorities: [{ data: c.certificateAuthority }],
                    identities: c.oidcIssuer ? [{ oidcs: [{ issuer: c.oidcIssuer }] }] : [],
                    accessConfigs: [
                        { authenticationMode: c.authenticationMode, bootstrapClusterCreatorAdminPermissions: false },
                    ],
                    // Only an Auto Mode cluster is described with one here; the component reads `enabled` either way.
                    computeConfigs: c.autoMode
                        ? [
                              {
                                  enabled: true,
                                  nodePools: ["general-purpose", "system"],
                                  nodeRoleArn: arn("iam", "role/eks-auto-mode-nodes", false),
                              },
                          ]
                        : [],
                    vpcConfig: {
                        vpcId: c.vpcId,
                        clusterSecurityGroupId: c.clusterSecurityGroupId,
                        subnetIds: [...new Set(c.nodeGroups.flatMap(g => g.subnetIds))],
                        securityGroupIds: [],
                    },
                };
            case "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": {
                if (!c.oidcProvider || inputs.url !== c.oidcIssuer) {
                    throw new Error(`finding IAM OIDC Provider by url (${inputs.url}): not found`);
                }
                const providerArn = oidcProviderArn();
                return {
                    id: providerArn,
                    arn: providerArn,
                    url: oidcIssuerHost(),
                    clientIdLists: ["sts.amazonaws.com"],
                };
            }
            case "aws:iam/getRole:getRole": {
                const spotRole = SPOT_SERVICE_LINKED_ROLE;
                const role =
                    inputs.name === spotRole ? made(SERVICE_LINKED_ROLE, r => r.outputs.name === spotRole) : undefined;
                if (role) {
                    return {
                        id: inputs.name,
                        name: inputs.name,
                        arn: role.outputs.arn,
                        path: role.outputs.path ?? "/",
                        tags: tagsOf(role),
                    };
                }
                if (inputs.name !== spotRole || !fake.spotServiceLinkedRole) {
                    throw new Error(`reading IAM Role (${inputs.name}): couldn't find resource`);
                }
                return {
                    id: inputs.name,
                    name: inputs.name,
                    path: "/aws-service-role/spot.amazonaws.com/",
                    arn: arn("iam", `role/aws-service-role/spot.amazonaws.com/${inputs.name}`, false),
                    tags: {},
                };
            }
            case "aws:eks/getAddon:getAddon": {
                const addon = made(
                    "aws:eks/addon:Addon",
                    a => a.inputs.clusterName === inputs.clusterName && a.inputs.addonName === inputs.addonName,
                );
                if (!addon && !c.addons.includes(inputs.addonName)) {
                    throw new Error(
                        `reading EKS Add-On (${inputs.clusterName}:${inputs.addonName}): couldn't find resource`,
                    );
                }
                return {
                    id: `${inputs.clusterName}:${inputs.addonName}`,
                    clusterName: inputs.clusterName,
                    addonName: inputs.addonName,
                    addonVersion: "v1.0.0-eksbuild.1",
                    tags: addon ? tagsOf(addon) : {},
                };
            }
            case "aws:eks/getAccessEntry:getAccessEntry": {
                const entry = made(
                    "aws:eks/accessEntry:AccessEntry",
                    e => e.inputs.clusterName === inputs.clusterName && e.inputs.principalArn === inputs.principalArn,
                );
                if (!entry && !c.accessEntries.includes(inputs.principalArn)) {
                    throw new Error(
                        `reading EKS Access Entry (${inputs.clusterName}:${inputs.principalArn}): couldn't find resource`,
                    );
                }
                return {
                    id: `${inputs.clusterName}:${inputs.principalArn}`,
                    clusterName: inputs.clusterName,
                    principalArn: inputs.principalArn,
                    type: entry?.inputs.type ?? "EC2_LINUX",
                    tags: entry ? tagsOf(entry) : {},
                };
            }
            case "aws:ec2/getSubnet:getSubnet":
            case "aws:ec2/getSecurityGroup:getSecurityGroup":
                return ec2Lookup(args.token.includes("Subnet") ? "subnet" : "securityGroup", String(inputs.id));
            case "aws:eks/getNodeGroups:getNodeGroups":
                return {
                    id: inputs.clusterName,
                    clusterName: inputs.clusterName,
                    names: c.nodeGroups.map(g => g.name),
                };
            case "aws:eks/getNodeGroup:getNodeGroup": {
                const group = c.nodeGroups.find(g => g.name === inputs.nodeGroupName);
                if (!group) throw new Error(`node group ${inputs.nodeGroupName} not found`);
                return {
                    id: `${inputs.clusterName}:${group.name}`,
                    clusterName: inputs.clusterName,
                    nodeGroupName: group.name,
                    subnetIds: group.subnetIds,
                };
            }
            default:
                throw new Error(`the offline cloud cannot answer ${args.token}`);
        }
    }

    /**
     * A subnet or security group by id, worded as terraform-provider-aws words it: a malformed id is
     * EC2's own error, one that does not exist is "no matching EC2 Subnet found"
     * (tfresource.SingularDataSourceFindError, which the data sources return on EC2's
     * InvalidSubnetID.NotFound / InvalidGroup.NotFound).
     */
    function ec2Lookup(kind: keyof typeof EC2_KINDS, id: string): Record<string, any> {
        const { prefix, resourceType, operation, malformed } = EC2_KINDS[kind];
        if (!new RegExp(`^${prefix}[0-9a-f]+$`).test(id)) {
            throw new Error(
                `reading ${resourceType}: operation error EC2: ${operation}, https response error StatusCode: 400, ` +
                    `RequestID: 00000000-0000-4000-8000-000000000000, api error ${malformed}.Malformed: Invalid id: "${id}"`,
            );
        }
        const known =
            kind === "subnet"
                ? [...(fake.subnets ?? []), ...c.nodeGroups.flatMap(g => g.subnetIds)]
                : [...(fake.securityGroups ?? []), c.clusterSecurityGroupId];
        const listed = kind === "subnet" ? fake.subnets : fake.securityGroups;
        if (listed !== undefined && !known.includes(id) && !(id in fake.resourceTags)) {
            throw new Error(`no matching ${resourceType} found`);
        }
        const added = created.filter(t => t.type === "aws:ec2/tag:Tag" && t.inputs.resourceId === id);
        return {
            id,
            vpcId: c.vpcId,
            tags: { ...fake.resourceTags[id], ...Object.fromEntries(added.map(t => [t.inputs.key, t.inputs.value])) },
        };
    }
}

/**
 * A failed invoke as the program sees it from the engine: a gRPC error whose details the SDK turns
 * into the message (runtime/invoke.js), worded as the engine words it (pkg/resource/deploy/source_eval.go).
 */
function invokeError(token: string, cause: Error): Error {
    const details = `invocation of ${token} returned an error: ${cause.message}`;
    return Object.assign(new Error(details), { details, code: 2 });
}

function hash(text: string, length: number): string {
    return createHash("sha256").update(text).digest("hex").slice(0, length).toUpperCase();
}
