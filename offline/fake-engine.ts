// The engine's half of a Pulumi deployment, served over gRPC on 127.0.0.1 as `pulumi up` serves it
// to a program (or to a component provider's Construct, which calls back into the same services),
// with the cloud behind it answered by the offline plan's fake (cloudMocks). Test and plan code only.
//
//   const engine = await startFakeEngine({ fake, region, project, stack, dryRun, config });
//   // hand engine.monitorAddress and engine.engineAddress to the process under test
//   //   (--monitor/--engine for @pulumi/pulumi/cmd/run, or the provider's Construct request)
//   engine.registrations   // every RegisterResource/ReadResource answered, as RecordedResource
//   engine.logs            // every Engine.Log: { severity, message, urn }, debug included
//   engine.rootResource    // the URN SetRootResource set (the stack), if any
//   engine.outputs         // RegisterResourceOutputs by URN (the stack's outputs under its URN)
//   engine.shutdownSignalled // whether the SDK called SignalAndWaitForShutdown
//   await engine.close()
//
// The ResourceMonitor is the SDK's own MockMonitor (node_modules/@pulumi/pulumi/runtime/mocks.js)
// over `cloudMocks(fake, region)`, so RegisterResource, ReadResource and Invoke are answered exactly
// as in the offline plan, served with the SDK's generated stubs and the @grpc/grpc-js it loads. What
// the real engine does that MockMonitor does not is added here, each from pulumi/pulumi
// pkg/resource/deploy/source_eval.go (commit 1b59498): URNs (deployment.go generateURN: the root
// stack's type is left out of its children's, deeper parents' qualified types are kept),
// SupportsFeature and GetDeploymentInfo (supportsFeatureID, supportedMonitorFeatures: everything
// but state migrations), RegisterResourceOutputs, SignalAndWaitForShutdown, and the Engine service:
// Log, GetRootResource and SetRootResource. As in the plan, a remote component (@pulumi/eks's
// Cluster) is answered by the mocks, not constructed by its provider. Call, stack transforms,
// StartDebugging and RequirePulumiVersion are not served (gRPC answers UNIMPLEMENTED, so a program
// that starts using one fails here rather than being silently half-served).
import { createRequire } from "module";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import { ResourceMonitorClient } from "@pulumi/pulumi/proto/resource_grpc_pb";
import { cloudMocks } from "./cloud-mocks";
import type { FakeCluster } from "./fake-cluster";
import { RecordedResource, recordRegistrations, useEngineUrns } from "./run-program";

// The gRPC library and protobuf runtime the SDK's stubs load, not whichever copy this file would find.
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/proto/resource_grpc_pb"));
const grpc: typeof grpcTypes = sdkRequire("@grpc/grpc-js");
const { Empty } = sdkRequire("google-protobuf/google/protobuf/empty_pb");

/** The organization the DIY backend always reports (pulumi/pulumi pkg/backend/diy/backend.go). */
export const DIY_ORGANIZATION = "organization";

export type LogSeverity = "debug" | "info" | "warning" | "error";

export interface EngineLog {
    severity: LogSeverity;
    message: string;
    /** The resource the message is about, if any. */
    urn?: string;
}

export interface FakeEngineOptions {
    /** The cloud behind the monitor. */
    fake: FakeCluster;
    /** The stack's region (`aws:region`); the fake's by default. */
    region?: string;
    project: string;
    stack: string;
    /** DIY_ORGANIZATION by default. */
    organization?: string;
    /** `pulumi preview` (true) or `pulumi up` (false). */
    dryRun: boolean;
    /** What GetDeploymentInfo reports, fully qualified keys; the program itself reads PULUMI_CONFIG. */
    config?: Record<string, string>;
    parallel?: number;
    /** Instead of `cloudMocks(fake, region)`. */
    mocks?: pulumi.runtime.Mocks;
}

export interface FakeEngine {
    monitorAddress: string;
    engineAddress: string;
    /** Every registration and read answered, in the order requests arrived (failed ones left out). */
    readonly registrations: RecordedResource[];
    readonly logs: EngineLog[];
    /** RegisterResourceOutputs, by URN, decoded (unknowns kept as pulumi.unknown). */
    readonly outputs: Map<string, Record<string, unknown>>;
    readonly rootResource: string | undefined;
    readonly shutdownSignalled: boolean;
    close(): Promise<void>;
}

const SEVERITIES: Record<number, LogSeverity> = {
    [enginePb.LogSeverity.DEBUG]: "debug",
    [enginePb.LogSeverity.INFO]: "info",
    [enginePb.LogSeverity.WARNING]: "warning",
    [enginePb.LogSeverity.ERROR]: "error",
};

// supportedMonitorFeatures with the engine's default options: everything but state migrations.
const F = resourcePb.ResourceMonitorFeature;
const ENGINE_FEATURES = [
    F.RESOURCE_MONITOR_FEATURE_SECRETS,
    F.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
    F.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES,
    F.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
    F.RESOURCE_MONITOR_FEATURE_REPLACEMENT_TRIGGER,
    F.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
    F.RESOURCE_MONITOR_FEATURE_REPLACE_WITH,
    F.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
    F.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS,
    F.RESOURCE_MONITOR_FEATURE_PARAMETERIZATION,
    F.RESOURCE_MONITOR_FEATURE_RESOURCE_HOOKS,
    F.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS,
    F.RESOURCE_MONITOR_FEATURE_SENDS_OPTIONS_TO_HOOKS,
    F.RESOURCE_MONITOR_FEATURE_BYTE_STRING,
    F.RESOURCE_MONITOR_FEATURE_INVOKE_DEPENDS_ON,
    F.RESOURCE_MONITOR_FEATURE_INVOKE_PARENT,
];
// supportsFeatureID: the string ids older SDKs probe one by one.
const ENGINE_FEATURE_IDS = new Set([
    "secrets",
    "resourceReferences",
    "outputValues",
    "aliasSpecs",
    "replacementTrigger",
    "deletedWith",
    "replaceWith",
    "transforms",
    "invokeTransforms",
    "parameterization",
    "resourceHooks",
    "errorHooks",
    "sendsOptionsToHooks",
]);

type Callback = (err: unknown, response?: unknown) => void;
type Handler = (call: { request: any }, callback: Callback) => void;

function serviceOf(client: unknown): grpcTypes.ServiceDefinition {
    return (client as { service: grpcTypes.ServiceDefinition }).service;
}

/** Starts the fake ResourceMonitor and Engine, each on its own loopback port, as the CLI runs them. */
export async function startFakeEngine(options: FakeEngineOptions): Promise<FakeEngine> {
    const { project, stack, dryRun } = options;
    const region = options.region ?? options.fake.region;
    const mocks = options.mocks ?? cloudMocks(options.fake, region);
    const monitor = new MockMonitor(mocks);
    useEngineUrns(monitor, stack, project);
    const registrations = recordRegistrations(monitor, mocks, plainInputs);
    const logs: EngineLog[] = [];
    const outputs = new Map<string, Record<string, unknown>>();
    let rootResource: string | undefined;
    let shutdownSignalled = false;

    const asHandler =
        (method: (req: any, callback: Callback) => unknown): Handler =>
        (call, callback) =>
            void method(call.request, callback);
    const monitorService: Record<string, Handler> = {
        supportsFeature: (call, callback) => {
            const response = new resourcePb.SupportsFeatureResponse();
            response.setHassupport(ENGINE_FEATURE_IDS.has(call.request.getId()));
            callback(null, response);
        },
        getDeploymentInfo: (_call, callback) => {
            const info = new resourcePb.DeploymentInfo();
            info.setProject(project);
            info.setStack(stack);
            info.setOrganization(options.organization ?? DIY_ORGANIZATION);
            for (const [k, v] of Object.entries(options.config ?? {})) info.getConfigMap().set(k, v);
            info.setDryrun(dryRun);
            info.setParallel(options.parallel ?? 0);
            info.setSupportedfeaturesList(ENGINE_FEATURES);
            callback(null, info);
        },
        invoke: asHandler(monitor.invoke.bind(monitor)),
        readResource: asHandler((req, cb) => monitor.readResource(req, cb)),
        registerResource: asHandler((req, cb) => monitor.registerResource(req, cb)),
        existsResource: asHandler(monitor.existsResource.bind(monitor)),
        registerPackage: asHandler(monitor.registerPackage.bind(monitor)),
        registerResourceOutputs: (call, callback) => {
            outputs.set(call.request.getUrn(), decode(call.request.getOutputs()));
            callback(null, new Empty());
        },
        signalAndWaitForShutdown: (_call, callback) => {
            // The engine answers once every step has run; here each was answered on registration.
            shutdownSignalled = true;
            callback(null, new Empty());
        },
    };
    const engineService: Record<string, Handler> = {
        log: (call, callback) => {
            const req = call.request;
            logs.push({
                severity: SEVERITIES[req.getSeverity()] ?? "info",
                message: req.getMessage(),
                ...(req.getUrn() ? { urn: req.getUrn() } : {}),
            });
            callback(null, new Empty());
        },
        getRootResource: (_call, callback) => {
            const response = new enginePb.GetRootResourceResponse();
            response.setUrn(rootResource ?? "");
            callback(null, response);
        },
        setRootResource: (call, callback) => {
            rootResource = call.request.getUrn();
            callback(null, new enginePb.SetRootResourceResponse());
        },
    };

    const monitorServer = await serve(serviceOf(ResourceMonitorClient), monitorService);
    const engineServer = await serve(serviceOf(EngineClient), engineService);
    return {
        monitorAddress: monitorServer.address,
        engineAddress: engineServer.address,
        registrations,
        logs,
        outputs,
        get rootResource() {
            return rootResource;
        },
        get shutdownSignalled() {
            return shutdownSignalled;
        },
        close: async () => {
            await Promise.all([monitorServer.close(), engineServer.close()]);
        },
    };
}

/**
 * Registered inputs as plain values, as the offline plan records them. The engine supports output
 * values, so the SDK sends a remote component's (@pulumi/eks's Cluster) inputs as output values;
 * decoded, those would be Output objects in this process. Each is replaced by its value (unknown
 * where it has none) and its secretness, then decoded as usual.
 */
function plainInputs(struct: unknown): Record<string, unknown> {
    const unwrap = (v: any): any => {
        if (Array.isArray(v)) return v.map(unwrap);
        if (v === null || typeof v !== "object") return v;
        if (v[rpc.specialSigKey] === rpc.specialOutputValueSig) {
            const value = "value" in v ? unwrap(v.value) : rpc.unknownValue;
            return v.secret ? { [rpc.specialSigKey]: rpc.specialSecretSig, value } : value;
        }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    };
    const raw: Record<string, unknown> = unwrap((struct as { toJavaScript(): unknown }).toJavaScript());
    // As deserializeProperties: key by key, undefined ones left out.
    return Object.fromEntries(
        Object.entries(raw)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, rpc.deserializeProperty(v)]),
    );
}

/** A Struct as the SDK decodes it, unknowns kept. */
function decode(struct: any): Record<string, unknown> {
    return struct ? rpc.deserializeProperties(struct, true) : {};
}

async function serve(
    service: grpcTypes.ServiceDefinition,
    implementation: Record<string, Handler>,
): Promise<{ address: string; close(): Promise<void> }> {
    const server = new grpc.Server();
    server.addService(service, implementation as unknown as grpcTypes.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
            err ? reject(err) : resolve(p),
        ),
    );
    return {
        address: `127.0.0.1:${port}`,
        close: () =>
            new Promise<void>(resolve =>
                server.tryShutdown(() => {
                    resolve();
                }),
            ),
    };
}
