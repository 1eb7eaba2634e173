// Runs a Pulumi program under the SDK's mocks, with the cloud answered by a described fake
// cluster, and records every registration as the engine would receive it.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { createHash } from "crypto";
import type { FakeCluster } from "./fake-cluster";

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent; undefined for top-level resources. */
    parent?: string;
    /** URNs it depends on, from dependsOn and from its inputs, as registered. */
    dependencies: string[];
    custom: boolean;
    /** True for resources read from the cloud (`.get`), not managed. */
    read?: boolean;
    inputs: Record<string, unknown>;
}

export interface ProgramRun {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
}

export const PROJECT = "gpu-karpenter";

// The SDK's own drain of outstanding registrations (what `pulumi up` waits for before exiting);
// internal to the SDK, so absent from its typings.
const { getMonitor, waitForRPCs } = settings as typeof settings & { waitForRPCs(): Promise<void> };

/** The program failed; `resources` is what it had registered by then. */
export class ProgramFailure extends Error {
    constructor(readonly cause: unknown, readonly resources: RecordedResource[]) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "ProgramFailure";
    }
}

/** Pulumi's auto-naming adds seven random hex characters; here they are derived, so plans diff cleanly. */
function physicalName(logicalName: string): string {
    return `${logicalName}-${createHash("sha256").update(logicalName).digest("hex").slice(0, 7)}`;
}

/**
 * Outputs the cloud would fill in, shaped like the real ones so documents that embed them are
 * concrete. Only what the cloud adds is returned: the SDK (outside preview) gives every output the
 * engine leaves out the value of its input, so echoing the inputs back would only cost time
 * (large NodePool specs and Helm values go through the SDK's serializer once more each).
 */
export function cloudMocks(fake: FakeCluster, region: string): pulumi.runtime.Mocks {
    const { accountId, partition } = fake;
    const c = fake.cluster;
    const arn = (service: string, resource: string, inRegion = true) =>
        `arn:${partition}:${service}:${inRegion ? region : ""}:${accountId}:${resource}`;
    return {
        newResource(args) {
            const inputs = args.inputs;
            const name = (inputs.name as string | undefined) ?? physicalName(args.name);
            switch (args.type) {
                case "aws:iam/role:Role":
                    return { id: name, state: { name, arn: arn("iam", `role/${name}`, false), uniqueId: `AROA${hash(name, 17)}` } };
                case "aws:iam/policy:Policy":
                    return { id: arn("iam", `policy/${name}`, false), state: { name, arn: arn("iam", `policy/${name}`, false) } };
                case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
                    return { id: `${inputs.role}-${hash(String(inputs.policyArn), 8)}`, state: {} };
                case "aws:sqs/queue:Queue": {
                    const url = `https://sqs.${region}.${fake.dnsSuffix}/${accountId}/${name}`;
                    return { id: url, state: { name, url, arn: arn("sqs", name) } };
                }
                case "aws:cloudwatch/eventRule:EventRule":
                    return { id: name, state: { name, arn: arn("events", `rule/${name}`) } };
                case "aws:eks/accessEntry:AccessEntry":
                    return { id: `${inputs.clusterName}:${inputs.principalArn}`, state: { accessEntryArn: arn("eks", `access-entry/${inputs.clusterName}/role/${accountId}/${hash(String(inputs.principalArn), 8)}`) } };
                case "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
                    const id = `a-${hash(args.name, 17)}`;
                    return { id, state: { associationId: id, associationArn: arn("eks", `podidentityassociation/${inputs.clusterName}/${id}`) } };
                }
                case "aws:ec2/tag:Tag":
                    return { id: `${inputs.resourceId},${inputs.key}`, state: {} };
                case "kubernetes:core/v1:ConfigMap":
                    // Only read here: the cluster's aws-auth, when it has one.
                    if (args.id === "kube-system/aws-auth") {
                        if (!c.awsAuth) throw new Error(`configmaps "aws-auth" not found in namespace kube-system`);
                        return { id: args.id, state: { metadata: { name: "aws-auth", namespace: "kube-system" }, data: c.awsAuth } };
                    }
                    return { id: args.id ?? name, state: {} };
                case "eks:index:Cluster":
                    return {
                        id: name,
                        state: {
                            ...inputs,
                            eksCluster: {
                                name: inputs.name, endpoint: c.endpoint, certificateAuthority: { data: c.certificateAuthority },
                                identities: [{ oidcs: [{ issuer: c.oidcIssuer }] }],
                            },
                            oidcProviderArn: arn("iam", `oidc-provider/${c.oidcIssuer.replace(/^https:\/\//, "")}`, false),
                            clusterSecurityGroupId: c.clusterSecurityGroupId,
                        },
                    };
                default:
                    return { id: args.custom ? `${name}-id` : "", state: {} };
            }
        },
        call(args) {
            const inputs = args.inputs;
            switch (args.token) {
                case "aws:index/getCallerIdentity:getCallerIdentity":
                    return { accountId, arn: arn("iam", "user/offline-plan", false), userId: "AIDAOFFLINEPLAN", id: accountId };
                case "aws:index/getPartition:getPartition":
                    return { partition, dnsSuffix: fake.dnsSuffix, reverseDnsPrefix: fake.dnsSuffix.split(".").reverse().join("."), id: partition };
                case "aws:index/getRegion:getRegion":
                    return { region, name: region, endpoint: `ec2.${region}.${fake.dnsSuffix}`, description: region, id: region };
                case "aws:eks/getCluster:getCluster":
                    if (c.name && inputs.name !== c.name) {
                        throw new Error(`reading EKS Cluster (${inputs.name}): couldn't find resource (cluster ${c.name} is the only one described)`);
                    }
                    return {
                        id: inputs.name, name: inputs.name, arn: arn("eks", `cluster/${inputs.name}`), endpoint: c.endpoint,
                        version: c.version, status: "ACTIVE",
                        certificateAuthorities: [{ data: c.certificateAuthority }],
                        identities: c.oidcIssuer ? [{ oidcs: [{ issuer: c.oidcIssuer }] }] : [],
                        accessConfigs: [{ authenticationMode: c.authenticationMode, bootstrapClusterCreatorAdminPermissions: false }],
                        vpcConfig: { vpcId: c.vpcId, clusterSecurityGroupId: c.clusterSecurityGroupId,
                            subnetIds: [...new Set(c.nodeGroups.flatMap(g => g.subnetIds))], securityGroupIds: [] },
                    };
                case "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
                    if (!c.oidcProvider || inputs.url !== c.oidcIssuer) {
                        throw new Error(`no IAM OIDC provider for ${inputs.url}`);
                    }
                    return {
                        id: arn("iam", `oidc-provider/${c.oidcIssuer.replace(/^https:\/\//, "")}`, false),
                        arn: arn("iam", `oidc-provider/${c.oidcIssuer.replace(/^https:\/\//, "")}`, false),
                        url: c.oidcIssuer.replace(/^https:\/\//, ""), clientIdLists: ["sts.amazonaws.com"],
                    };
                case "aws:eks/getNodeGroups:getNodeGroups":
                    return { id: inputs.clusterName, clusterName: inputs.clusterName, names: c.nodeGroups.map(g => g.name) };
                case "aws:eks/getNodeGroup:getNodeGroup": {
                    const group = c.nodeGroups.find(g => g.name === inputs.nodeGroupName);
                    if (!group) throw new Error(`node group ${inputs.nodeGroupName} not found`);
                    return { id: `${inputs.clusterName}:${group.name}`, clusterName: inputs.clusterName, nodeGroupName: group.name, subnetIds: group.subnetIds };
                }
                default:
                    throw new Error(`the offline cloud cannot answer ${args.token}`);
            }
        },
    };
}

function hash(text: string, length: number): string {
    return createHash("sha256").update(text).digest("hex").slice(0, length).toUpperCase();
}

/**
 * Wraps the mock monitor so every registration request is kept with its parent and dependencies.
 * `mocks` must be the object the monitor calls: the inputs it decodes for `newResource` are kept
 * rather than decoded a second time.
 */
function recordRegistrations(monitor: MockMonitor, mocks: pulumi.runtime.Mocks): RecordedResource[] {
    // In the order the program's requests reach the engine; a failed registration leaves a hole.
    const recorded: RecordedResource[] = [];
    let capture: ((inputs: Record<string, unknown>) => void) | undefined;
    const newResource = mocks.newResource.bind(mocks);
    mocks.newResource = args => {
        capture?.(args.inputs);
        return newResource(args);
    };
    const wrap = (call: (req: any, callback: any) => Promise<void>, read: boolean) => (req: any, callback: any) => {
        let inputs: Record<string, unknown> | undefined;
        const slot = recorded.length++;
        const onResponse = (err: unknown, resp: any) => {
            if (!err) {
                recorded[slot] = {
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent() || undefined,
                    dependencies: read ? [] : [...new Set<string>(req.getDependenciesList())],
                    custom: read ? true : req.getCustom(),
                    ...(read ? { read: true } : {}),
                    // Decoding again only covers an SDK that stops calling newResource before its first await.
                    inputs: inputs ?? deserializeProperties(read ? req.getProperties() : req.getObject()),
                };
            }
            callback(err, resp);
        };
        capture = decoded => { inputs = decoded; };
        try {
            return call(req, onResponse);
        } finally {
            capture = undefined;
        }
    };
    monitor.registerResource = wrap(monitor.registerResource.bind(monitor), false);
    monitor.readResource = wrap(monitor.readResource.bind(monitor), true);
    return recorded;
}

async function resolveOutputs(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exports)) {
        // `promise()` is the SDK's own (internal) way to await an output; unlike apply it rejects on failure.
        outputs[key] = await (pulumi.output(value) as unknown as { promise(): Promise<unknown> }).promise();
    }
    return outputs;
}

/**
 * Runs `program` (which registers resources, and may return or export outputs) as stack `stack`
 * with `config` (fully qualified keys, values as Pulumi passes them: strings, JSON for the rest).
 * Rejects with a ProgramFailure carrying the program's error, as `pulumi up` would stop on it.
 */
export async function runProgram(opts: {
    stack: string;
    config: Record<string, string>;
    fake: FakeCluster;
    program: () => unknown;
}): Promise<ProgramRun> {
    const region = opts.config["aws:region"] ?? opts.fake.region;
    const mocks = cloudMocks(opts.fake, region);
    await pulumi.runtime.setMocks(mocks, PROJECT, opts.stack, false);
    pulumi.runtime.setAllConfig(opts.config);
    const recorded = recordRegistrations(getMonitor() as unknown as MockMonitor, mocks);

    // Errors raised asynchronously (inside a component's initialize or an apply) end a real run too.
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);
    try {
        const exported = await opts.program();
        const outputs = await resolveOutputs((exported ?? {}) as Record<string, unknown>);
        await waitForRPCs();
        // Give rejections raised in the last turn a chance to surface.
        await new Promise(resolve => setImmediate(resolve));
        if (failures.length > 0) throw failures[0];
        return { resources: recorded.filter(Boolean), outputs };
    } catch (e) {
        await new Promise(resolve => setImmediate(resolve));
        throw new ProgramFailure(e, recorded.filter(Boolean));
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}
