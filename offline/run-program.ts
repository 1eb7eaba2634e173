// Runs a Pulumi program under the SDK's mocks, with the cloud answered by a described fake
// cluster, and records every registration as the engine would receive it.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { createHash } from "crypto";
import type { FakeCluster } from "./fake-cluster";
import { SPOT_SERVICE_LINKED_ROLE } from "../components/iam-documents";

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
    /** The resource options that decide how it is replaced and deleted, where set. */
    options: ResourceOptionsRecord;
}

export interface ResourceOptionsRecord {
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    customTimeouts?: { create?: string; update?: string; delete?: string };
}

/** The options of a registration request that say how a resource is replaced and deleted. */
function optionsOf(req: any): ResourceOptionsRecord {
    const options: ResourceOptionsRecord = {};
    if (req.getRetainondelete?.()) options.retainOnDelete = true;
    if (req.getDeletebeforereplace?.()) options.deleteBeforeReplace = true;
    const timeouts = req.getCustomtimeouts?.();
    if (timeouts) {
        const set = Object.entries({ create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() })
            .filter(([, v]) => v);
        if (set.length > 0) options.customTimeouts = Object.fromEntries(set);
    }
    return options;
}

export interface ProgramRun {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    /** What the program logged with pulumi.log.warn, which `pulumi preview` shows as warnings. */
    warnings: string[];
}

// With no engine to send it to, the SDK prints a log.warn message to stderr as
// `warning: [runtime] <message>` (@pulumi/pulumi log/index.js); the run collects those instead.
const SDK_WARNING_PREFIX = "warning: [runtime] ";

function collectWarnings(): { warnings: string[]; stop(): void } {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
        const text = args.map(String).join(" ");
        if (text.startsWith(SDK_WARNING_PREFIX)) warnings.push(text.slice(SDK_WARNING_PREFIX.length));
        else original(...args);
    };
    return { warnings, stop: () => { console.warn = original; } };
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
 * concrete. Only what the cloud adds is returned: the program runs as under `pulumi preview`, where
 * an output the engine leaves out stays unknown, and `runProgram` fails if one reaches an input.
 */
export function cloudMocks(fake: FakeCluster, region: string): pulumi.runtime.Mocks {
    const { accountId, partition } = fake;
    const c = fake.cluster;
    const arn = (service: string, resource: string, inRegion = true) =>
        `arn:${partition}:${service}:${inRegion ? region : ""}:${accountId}:${resource}`;
    return {
        newResource(args) {
            const inputs = args.inputs;
            // Hashed only where a name is needed: for every Kubernetes object it would cost 50 pools ~5 ms.
            const physical = () => (inputs.name as string | undefined) ?? physicalName(args.name);
            switch (args.type) {
                case "aws:iam/role:Role": {
                    const name = physical();
                    return { id: name, state: { name, arn: arn("iam", `role/${name}`, false), uniqueId: `AROA${hash(name, 17)}` } };
                }
                case "aws:iam/policy:Policy": {
                    const name = physical();
                    return { id: arn("iam", `policy/${name}`, false), state: { name, arn: arn("iam", `policy/${name}`, false) } };
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
                    return { id: `${inputs.clusterName}:${inputs.principalArn}`, state: { accessEntryArn: arn("eks", `access-entry/${inputs.clusterName}/role/${accountId}/${hash(String(inputs.principalArn), 8)}`) } };
                case "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
                    const id = `a-${hash(args.name, 17)}`;
                    return { id, state: { associationId: id, associationArn: arn("eks", `podidentityassociation/${inputs.clusterName}/${id}`) } };
                }
                case "aws:ec2/tag:Tag":
                    return { id: `${inputs.resourceId},${inputs.key}`, state: {} };
                case "aws:iam/serviceLinkedRole:ServiceLinkedRole": {
                    const name = SPOT_SERVICE_LINKED_ROLE;
                    const roleArn = arn("iam", `role/aws-service-role/${inputs.awsServiceName}/${name}`, false);
                    return { id: roleArn, state: { name, arn: roleArn, path: `/aws-service-role/${inputs.awsServiceName}/` } };
                }
                case "kubernetes:core/v1:ConfigMap":
                    // Only read here: the cluster's aws-auth, when it has one.
                    if (args.id === "kube-system/aws-auth") {
                        if (!c.awsAuth) throw new Error(`configmaps "aws-auth" not found in namespace kube-system`);
                        return { id: args.id, state: { metadata: { name: "aws-auth", namespace: "kube-system" }, data: c.awsAuth } };
                    }
                    return { id: args.id ?? physical(), state: {} };
                case "eks:index:Cluster": {
                    const name = physical();
                    return {
                        id: name,
                        state: {
                            ...inputs,
                            eksCluster: {
                                name: inputs.name, endpoint: c.endpoint, certificateAuthority: { data: c.certificateAuthority },
                                identities: [{ oidcs: [{ issuer: c.oidcIssuer }] }],
                                vpcConfig: { vpcId: inputs.vpcId, clusterSecurityGroupId: c.clusterSecurityGroupId },
                            },
                            oidcProviderArn: arn("iam", `oidc-provider/${c.oidcIssuer.replace(/^https:\/\//, "")}`, false),
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
            throw new Error(`operation error: https response error StatusCode: 403, api error AccessDenied: ` +
                `User: arn:${partition}:iam::${accountId}:user/offline-plan is not authorized to perform this action (${args.token})`);
        }
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
                    throw new Error(`finding IAM OIDC Provider by url (${inputs.url}): not found`);
                }
                return {
                    id: arn("iam", `oidc-provider/${c.oidcIssuer.replace(/^https:\/\//, "")}`, false),
                    arn: arn("iam", `oidc-provider/${c.oidcIssuer.replace(/^https:\/\//, "")}`, false),
                    url: c.oidcIssuer.replace(/^https:\/\//, ""), clientIdLists: ["sts.amazonaws.com"],
                };
            case "aws:iam/getRole:getRole":
                if (inputs.name !== SPOT_SERVICE_LINKED_ROLE || !fake.spotServiceLinkedRole) {
                    throw new Error(`reading IAM Role (${inputs.name}): couldn't find resource`);
                }
                return {
                    id: inputs.name, name: inputs.name, path: "/aws-service-role/spot.amazonaws.com/",
                    arn: arn("iam", `role/aws-service-role/spot.amazonaws.com/${inputs.name}`, false),
                };
            case "aws:eks/getAddon:getAddon":
                if (!c.addons.includes(inputs.addonName)) {
                    throw new Error(`reading EKS Add-On (${inputs.clusterName}:${inputs.addonName}): couldn't find resource`);
                }
                return { id: `${inputs.clusterName}:${inputs.addonName}`, clusterName: inputs.clusterName, addonName: inputs.addonName, addonVersion: "v1.0.0-eksbuild.1" };
            case "aws:eks/getAccessEntry:getAccessEntry":
                if (!c.accessEntries.includes(inputs.principalArn)) {
                    throw new Error(`reading EKS Access Entry (${inputs.clusterName}:${inputs.principalArn}): couldn't find resource`);
                }
                return { id: `${inputs.clusterName}:${inputs.principalArn}`, clusterName: inputs.clusterName, principalArn: inputs.principalArn, type: "EC2_LINUX" };
            case "aws:ec2/getSubnet:getSubnet":
            case "aws:ec2/getSecurityGroup:getSecurityGroup":
                if (!/^(subnet|sg)-[0-9a-f]+$/.test(String(inputs.id))) {
                    throw new Error(`reading EC2 ${args.token.includes("Subnet") ? "Subnet" : "Security Group"} (${inputs.id}): couldn't find resource`);
                }
                return { id: inputs.id, vpcId: c.vpcId, tags: fake.resourceTags[inputs.id] ?? {} };
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
                    options: read ? {} : optionsOf(req),
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
        // `promise()` and `isKnown` are the SDK's own (internal) ways to read an output; unlike apply,
        // `promise()` rejects on failure.
        const output = pulumi.output(value) as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean> };
        const resolved = await output.promise();
        outputs[key] = (await output.isKnown) ? resolved : pulumi.unknown;
    }
    return outputs;
}

/** Where the first unknown value in `value` is, as keys and indexes; undefined when all is known. */
function unknownAt(value: unknown): (string | number)[] | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    if (pulumi.isUnknown(value)) return [];
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
            const found = unknownAt(value[i]);
            if (found) return [i, ...found];
        }
    } else {
        for (const key of Object.keys(value)) {
            const found = unknownAt((value as Record<string, unknown>)[key]);
            if (found) return [key, ...found];
        }
    }
    return undefined;
}

/** `spec.blockDeviceMappings[0].ebs` */
function fieldPath(segments: (string | number)[]): string {
    return segments.map((s, i) => typeof s === "number" ? `[${s}]` : i > 0 ? `.${s}` : s).join("");
}

/**
 * A plan's documents must be concrete. An unknown value means the program used an output the
 * offline cloud does not give (an ID or ARN the real cloud assigns): `cloudMocks` must answer it.
 */
function assertKnown(resources: RecordedResource[], outputs: Record<string, unknown>): void {
    for (const r of resources) {
        const field = unknownAt(r.inputs);
        if (field) {
            throw new Error(`${r.type} ${r.name}: input ${fieldPath(field)} is only known after deployment, and the offline ` +
                `cloud (cloudMocks in offline/run-program.ts) does not answer it`);
        }
    }
    const output = unknownAt(outputs);
    if (output) {
        throw new Error(`stack output ${fieldPath(output)} is only known after deployment, and the offline cloud ` +
            `(cloudMocks in offline/run-program.ts) does not answer it`);
    }
}

/**
 * Runs `program` (which registers resources, and may return or export outputs) as stack `stack`
 * with `config` (fully qualified keys, values as Pulumi passes them: strings, JSON for the rest).
 * Rejects with a ProgramFailure carrying the program's error, as `pulumi preview` would stop on it.
 */
export async function runProgram(opts: {
    stack: string;
    config: Record<string, string>;
    fake: FakeCluster;
    program: () => unknown;
}): Promise<ProgramRun> {
    const region = opts.config["aws:region"] ?? opts.fake.region;
    const mocks = cloudMocks(opts.fake, region);
    // As `pulumi preview`: a plan shows what an update would do. It is also cheaper: in an update
    // the SDK copies every input the engine does not echo into the outputs, serializing each
    // NodePool spec and Helm values a second time.
    await pulumi.runtime.setMocks(mocks, PROJECT, opts.stack, true);
    pulumi.runtime.setAllConfig(opts.config);
    const recorded = recordRegistrations(getMonitor() as unknown as MockMonitor, mocks);

    // Errors raised asynchronously (inside a component's initialize or an apply) end a real run too.
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);
    const logged = collectWarnings();
    try {
        const exported = await opts.program();
        const outputs = await resolveOutputs((exported ?? {}) as Record<string, unknown>);
        await waitForRPCs();
        // Give rejections raised in the last turn a chance to surface.
        await new Promise(resolve => setImmediate(resolve));
        if (failures.length > 0) throw failures[0];
        const resources = recorded.filter(Boolean);
        assertKnown(resources, outputs);
        return { resources, outputs, warnings: logged.warnings };
    } catch (e) {
        await new Promise(resolve => setImmediate(resolve));
        throw new ProgramFailure(e, recorded.filter(Boolean));
    } finally {
        logged.stop();
        process.off("unhandledRejection", onRejection);
    }
}
