// Runs a Pulumi program under the SDK's mocks, with the cloud answered by a described fake
// cluster, and records every registration as the engine would receive it.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { type CloudResource, cloudMocks } from "./cloud-mocks";
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
    /** The ID the cloud gave it ("" for a component). */
    id: string;
    /** What the cloud returned beyond the inputs: for a read, everything it read. */
    outputs: Record<string, unknown>;
    /** The resource options that decide how it is replaced and deleted, where set. */
    options: ResourceOptionsRecord;
}

export interface ResourceOptionsRecord {
    retainOnDelete?: boolean;
    /** The `import` option: the ID of an existing resource to adopt. */
    importId?: string;
    /** The explicit provider, as `<provider URN>::<provider ID>`. */
    provider?: string;
    deleteBeforeReplace?: boolean;
    customTimeouts?: { create?: string; update?: string; delete?: string };
}

/** The options of a registration request that say how a resource is replaced and deleted. */
function optionsOf(req: any): ResourceOptionsRecord {
    const options: ResourceOptionsRecord = {};
    if (req.getRetainondelete?.()) options.retainOnDelete = true;
    if (req.getImportid?.()) options.importId = req.getImportid();
    if (req.getProvider?.()) options.provider = req.getProvider();
    if (req.getDeletebeforereplace?.()) options.deleteBeforeReplace = true;
    const timeouts = req.getCustomtimeouts?.();
    if (timeouts) {
        const set = Object.entries({
            create: timeouts.getCreate(),
            update: timeouts.getUpdate(),
            delete: timeouts.getDelete(),
        }).filter(([, v]) => v);
        if (set.length > 0) options.customTimeouts = Object.fromEntries(set);
    }
    return options;
}

export interface ProgramRun {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    /** What the program logged with pulumi.log.warn, which `pulumi preview` shows as warnings. */
    warnings: string[];
    /** The stack's region, as the offline cloud answered the program's look-up. */
    region: string;
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
    return {
        warnings,
        stop: () => {
            console.warn = original;
        },
    };
}

export const PROJECT = "gpu-karpenter";

/** The type of the root resource the SDK registers for a stack program (runtime/stack.js). */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** Has the mock monitor name resources as the engine does (MockMonitor keeps only a parent's own type). */
export function useEngineUrns(monitor: MockMonitor, stack: string, project: string): void {
    (monitor as unknown as { newUrn: (parent: string, type: string, name: string) => string }).newUrn = (
        parent,
        type,
        name,
    ) => engineUrn(stack, project, parent || undefined, type, name);
}

/**
 * A resource's URN as the engine makes it (pulumi/pulumi pkg/resource/deploy/deployment.go
 * generateURN, sdk/go/common/resource/urn/urn.go New): a child's type is prefixed with its parent's
 * whole qualified type, `$`-joined, except under the root stack.
 */
export function engineUrn(stack: string, project: string, parent: string | undefined, type: string, name: string) {
    // QualifiedType: the URN's third `::` field (names may contain `::`, types may not).
    const parentType = parent?.split("::")[2];
    const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

// The SDK's own drain of outstanding registrations (what `pulumi up` waits for before exiting);
// internal to the SDK, so absent from its typings.
const { getMonitor, waitForRPCs } = settings as typeof settings & { waitForRPCs: () => Promise<void> };

/** The program failed; `resources` is what it had registered by then. */
export class ProgramFailure extends Error {
    constructor(
        readonly cause: unknown,
        readonly resources: RecordedResource[],
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "ProgramFailure";
    }
}

/**
 * Wraps the mock monitor so every registration request is kept with its parent and dependencies.
 * `mocks` must be the object the monitor calls: the inputs it decodes for `newResource` are kept
 * rather than decoded a second time, unless `decode` is given to decode them from the request.
 */
export function recordRegistrations(
    monitor: MockMonitor,
    mocks: pulumi.runtime.Mocks,
    decode?: (properties: unknown) => Record<string, unknown>,
): RecordedResource[] {
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
        const properties = read ? req.getProperties() : req.getObject();
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
                    inputs: decode ? decode(properties) : (inputs ?? deserializeProperties(properties)),
                    id: read ? req.getId() : resp.getId(),
                    outputs: deserializeProperties(read ? resp.getProperties() : resp.getObject()),
                    options: read ? {} : optionsOf(req),
                };
            }
            callback(err, resp);
        };
        capture = decoded => {
            inputs = decoded;
        };
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
    return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i > 0 ? `.${s}` : s)).join("");
}

/**
 * A plan's documents must be concrete. An unknown value means the program used an output the
 * offline cloud does not give (an ID or ARN the real cloud assigns): `cloudMocks` must answer it.
 */
function assertKnown(resources: RecordedResource[], outputs: Record<string, unknown>): void {
    for (const r of resources) {
        const field = unknownAt(r.inputs);
        if (field) {
            throw new Error(
                `${r.type} ${r.name}: input ${fieldPath(field)} is only known after deployment, and the offline ` +
                    `cloud (cloudMocks in offline/cloud-mocks.ts) does not answer it`,
            );
        }
    }
    const output = unknownAt(outputs);
    if (output) {
        throw new Error(
            `stack output ${fieldPath(output)} is only known after deployment, and the offline cloud ` +
                `(cloudMocks in offline/cloud-mocks.ts) does not answer it`,
        );
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
    /** What earlier updates left in the cloud (offline/rerun.ts), beyond what `fake` describes. */
    cloud?: readonly CloudResource[];
    program: () => unknown;
}): Promise<ProgramRun> {
    const region = opts.config["aws:region"] ?? opts.fake.region;
    const mocks = cloudMocks(opts.fake, region, opts.cloud);
    // As `pulumi preview`: a plan shows what an update would do. It is also cheaper: in an update
    // the SDK copies every input the engine does not echo into the outputs, serializing each
    // NodePool spec and Helm values a second time.
    await pulumi.runtime.setMocks(mocks, PROJECT, opts.stack, true);
    pulumi.runtime.setAllConfig(opts.config);
    const monitor = getMonitor() as unknown as MockMonitor;
    useEngineUrns(monitor, opts.stack, PROJECT);
    const recorded = recordRegistrations(monitor, mocks);

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
        return { resources, outputs, warnings: logged.warnings, region };
    } catch (e) {
        await new Promise(resolve => setImmediate(resolve));
        throw new ProgramFailure(e, recorded.filter(Boolean));
    } finally {
        logged.stop();
        process.off("unhandledRejection", onRejection);
    }
}
