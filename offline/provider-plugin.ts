// The component provider as the engine runs it, for its protocol test and start-up bench.
//
// How the engine starts it (pulumi/pulumi at 1b59498): a plugin folder whose PulumiPlugin.yaml says
// `runtime: nodejs` is run by the Node.js language host's RunPlugin
// (sdk/nodejs/cmd/pulumi-language-nodejs/main.go): it spawns
// `node <@pulumi/pulumi/cmd/run-plugin, resolved from the plugin folder> <plugin folder> <args>`,
// where args is the engine's address, in the engine's working directory, with the engine's
// environment plus PULUMI_NODEJS_TYPESCRIPT=true (the runtime option `typescript`, true unless
// PulumiPlugin.yaml sets it false), and reads the port from the plugin's first stdout line.
// run-plugin registers ts-node, then `require`s the folder: package.json's `main`.
import { ChildProcess, spawn } from "child_process";
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from "fs";
import * as path from "path";
import { PROJECT_DIR } from "./project-dir";

/** The SDK's gRPC stubs and library, as loaded by the @pulumi/pulumi the project uses. */
const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (id: string) => require(require.resolve(id, { paths: [PULUMI_DIR] }));
export const grpc = fromPulumi("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
export const providerRpc = fromPulumi("@pulumi/pulumi/proto/provider_grpc_pb");
export const providerPb = fromPulumi("@pulumi/pulumi/proto/provider_pb");
export const pluginPb = fromPulumi("@pulumi/pulumi/proto/plugin_pb");
export const structPb = fromPulumi("google-protobuf/google/protobuf/struct_pb");
export const emptyPb = fromPulumi("google-protobuf/google/protobuf/empty_pb");

/**
 * A plugin folder laid out as the package's build lays it out (bin/provider/, bin/components/,
 * package.json's main, PulumiPlugin.yaml), compiled by esbuild's transpile-only pass rather than
 * tsc, which takes seconds a test should not spend (the consumer test checks tsc's build of it);
 * node_modules is a link to this project's.
 */
export function layOutPlugin(dir: string): string {
    const sources: string[] = [];
    const walk = (d: string) => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (/\.(ts|json)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) sources.push(full);
        }
    };
    ["components", "provider"].forEach(d => walk(path.join(PROJECT_DIR, d)));
    (require("esbuild") as typeof import("esbuild")).buildSync({
        entryPoints: sources,
        outdir: path.join(dir, "bin"),
        outbase: PROJECT_DIR,
        format: "cjs",
        platform: "node",
        target: "node22",
        loader: { ".json": "copy" },
        logLevel: "warning",
    });
    mkdirSync(dir, { recursive: true });
    for (const file of ["package.json", "PulumiPlugin.yaml"])
        cpSync(path.join(PROJECT_DIR, file), path.join(dir, file));
    symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

export interface RunningPlugin {
    port: number;
    process: ChildProcess;
    /** Everything the plugin wrote to stderr so far. */
    stderr(): string;
    /** CPU seconds (user + system) the plugin process has used so far, from /proc. */
    cpuSeconds(): number;
    stop(): Promise<void>;
}

/** Spawns the plugin in `pluginDir` as RunPlugin does and waits for the port on its first stdout line. */
export function startPlugin(pluginDir: string, engineAddress: string, cwd: string): Promise<RunningPlugin> {
    const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [pluginDir] });
    // The engine's own environment, minus anything of this test runner's that could load modules for the plugin.
    const { NODE_OPTIONS: _options, NODE_PATH: _path, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = { ...inherited, PULUMI_NODEJS_TYPESCRIPT: "true" };
    const child = spawn(process.execPath, [runPlugin, pluginDir, engineAddress], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        await exited;
    };
    const cpuSeconds = () => {
        // Fields 14 and 15 of /proc/<pid>/stat: utime and stime in clock ticks (100 a second on Linux).
        const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(fields[11]) + Number(fields[12])) / 100;
    };
    return new Promise((resolve, reject) => {
        const onData = (d: string) => {
            stdout += d;
            const newline = stdout.indexOf("\n");
            if (newline < 0) return;
            child.stdout.off("data", onData);
            const port = Number(stdout.slice(0, newline).trim());
            if (Number.isInteger(port) && port > 0) {
                resolve({ port, process: child, stderr: () => stderr, cpuSeconds, stop });
            } else {
                void stop();
                reject(new Error(`the plugin's first line is not a port: ${JSON.stringify(stdout)}\n${stderr}`));
            }
        };
        child.stdout.setEncoding("utf8").on("data", onData);
        child.once("exit", code =>
            reject(new Error(`the plugin exited (${code}) before printing its port:\n${stderr}`)),
        );
        child.once("error", reject);
    });
}

export type ProviderClient = Record<
    string,
    (request: unknown, callback: (error: any, response: any) => void) => void
> & {
    close(): void;
};

export function providerClient(port: number): ProviderClient {
    return new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** One unary call, as a promise. */
export function call(client: ProviderClient, method: string, request: unknown): Promise<any> {
    return new Promise((resolve, reject) =>
        client[method](request, (error, response) => (error ? reject(error as Error) : resolve(response))),
    );
}

export async function getSchema(client: ProviderClient): Promise<string> {
    const response = await call(client, "getSchema", new providerPb.GetSchemaRequest());
    return response.getSchema() as string;
}

/** A gRPC server that takes connections and does nothing: an engine address for a plugin that only logs to it. */
export async function silentEngine(): Promise<{ address: string; close(): void }> {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
            e ? reject(e) : resolve(p),
        ),
    );
    return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

const statusPb = fromPulumi("@pulumi/pulumi/proto/status_pb");
const errorsPb = fromPulumi("@pulumi/pulumi/proto/errors_pb");
const rpc = fromPulumi("@pulumi/pulumi/runtime/rpc") as typeof import("@pulumi/pulumi/runtime/rpc");

/** Property values as the engine marshals them (sdk/go/common/resource/plugin/rpc.go MarshalPropertyValue). */
export const wire = {
    /** A computed value, as the engine sends one nested in a property (marshalUnknownProperty). */
    unknown: rpc.unknownValue,
    secret: (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value }),
    /** An output value: what the SDKs send for an Output (known or not, secret or not, with the resources it came from). */
    output: (value?: unknown, opts: { secret?: boolean; dependencies?: string[] } = {}) => ({
        [rpc.specialSigKey]: rpc.specialOutputValueSig,
        ...(value === undefined ? {} : { value }),
        ...(opts.secret ? { secret: true } : {}),
        ...(opts.dependencies ? { dependencies: opts.dependencies } : {}),
    }),
};

export interface ConstructCall {
    monitorAddress: string;
    project: string;
    stack: string;
    organization?: string;
    dryRun: boolean;
    /** Stack config, `namespace:key` to the value as text, as the engine passes it. */
    config: Record<string, string>;
    type: string;
    name: string;
    parent?: string;
    /** Inputs as the engine marshals them (plain values and `wire` forms); JSON only. */
    inputs: Record<string, unknown>;
    /** Per input, the URNs of the resources it depends on. */
    inputDependencies?: Record<string, string[]>;
    /** Package name to provider reference (`<urn>::<id>`), as the engine passes the caller's `providers`. */
    providers?: Record<string, string>;
}

/** A ConstructRequest as the engine builds one (plugin/provider_plugin.go Construct). */
export function constructRequest(c: ConstructCall): unknown {
    const req = new providerPb.ConstructRequest();
    req.setProject(c.project);
    req.setStack(c.stack);
    req.setOrganization(c.organization ?? "organization");
    req.setDryrun(c.dryRun);
    req.setParallel(8);
    req.setMonitorendpoint(c.monitorAddress);
    req.setType(c.type);
    req.setName(c.name);
    if (c.parent) req.setParent(c.parent);
    for (const [k, v] of Object.entries(c.config)) req.getConfigMap().set(k, v);
    req.setInputs(structPb.Struct.fromJavaScript(c.inputs));
    for (const [k, urns] of Object.entries(c.inputDependencies ?? {})) {
        const deps = new providerPb.ConstructRequest.PropertyDependencies();
        deps.setUrnsList(urns);
        req.getInputdependenciesMap().set(k, deps);
    }
    for (const [pkg, ref] of Object.entries(c.providers ?? {})) req.getProvidersMap().set(pkg, ref);
    req.setAcceptsOutputValues(true);
    return req;
}

/** Configure as the engine sends it before any Construct; the response's accept* flags. */
export async function configure(
    client: ProviderClient,
): Promise<{ secrets: boolean; resources: boolean; outputs: boolean }> {
    const req = new providerPb.ConfigureRequest();
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setArgs(structPb.Struct.fromJavaScript({}));
    const res = await call(client, "configure", req);
    return { secrets: res.getAcceptsecrets(), resources: res.getAcceptresources(), outputs: res.getAcceptoutputs() };
}

/**
 * A failed call's InputPropertiesError details (status details `pulumirpc.InputPropertiesError`),
 * as the engine reads them (rpcutil/rpcerror/rpcerror.go FromError); undefined when there are none.
 */
export function inputPropertyErrors(error: any): { propertyPath: string; reason: string }[] | undefined {
    const [bin] = (error?.metadata?.get?.("grpc-status-details-bin") ?? []) as Uint8Array[];
    if (!bin) return undefined;
    const status = statusPb.Status.deserializeBinary(bin);
    const detail = status.getDetailsList().find((d: any) => d.getTypeName() === "pulumirpc.InputPropertiesError");
    if (!detail) return undefined;
    return errorsPb.InputPropertiesError.deserializeBinary(detail.getValue())
        .getErrorsList()
        .map((e: any) => ({ propertyPath: e.getPropertyPath(), reason: e.getReason() }));
}
