// Launches a stack's program as `pulumi preview`/`pulumi up` launch it, against the fake engine
// (offline/fake-engine.ts): the process, argv and environment pulumi-language-nodejs's Run builds
// (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go at 1b59498: Run, execRuntime,
// constructArguments, constructConfig, parseOptions), with the program directory and entry point
// the engine derives from Pulumi.yaml's `main` (offline/entry-point.ts pwdMain). Test code only.
//
//   const run = await launchProgram({ dir, stack: "dev", fake, dryRun: true });
//   run.exitCode    // the node process's; 32 means the SDK already logged the error (the CLI "bails")
//   run.resources   // every registration but the root stack's, as RecordedResource
//   run.outputs     // the stack outputs, decoded
//   run.logs        // what the program logged to the engine (debug included)
//   run.program     // the file run.js says it ran (its "Running program" debug message)
//
// What this does not do that the CLI does: read secrets (no `secure:` value; PULUMI_CONFIG_SECRET_KEYS
// is `[]`), proxy the monitor through the language host (the program talks to the fake directly),
// or open the `--sync` pipes (the directory is made and passed; SDK 3.270 never opens it).
import { spawn } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { availableParallelism, tmpdir } from "os";
import * as path from "path";
import { pwdMain } from "./entry-point";
import { DIY_ORGANIZATION, type EngineLog, startFakeEngine } from "./fake-engine";
import type { FakeCluster } from "./fake-cluster";
import { ROOT_STACK_TYPE, type RecordedResource } from "./run-program";
import { readProject, stackConfig } from "./stack";

// run.js exits with this when it has already logged the program's error (cmd/run/index.js);
// the language host then answers Bail and the CLI prints nothing more (main.go execRuntime).
export const EXIT_LOGGED_ERROR = 32;

export interface LaunchOptions {
    /** The project directory: where Pulumi.yaml and the stack files are. */
    dir: string;
    stack: string;
    /** Fully qualified config as the CLI hands it over; by default Pulumi.<stack>.yaml over Pulumi.yaml's. */
    config?: Record<string, string>;
    /** `pulumi preview` (true, the default, as the offline plan) or the update of `pulumi up`. */
    dryRun?: boolean;
    fake: FakeCluster;
    /** The DIY backend's, "organization", by default. */
    organization?: string;
    /** Run node under this command, e.g. ["/usr/bin/time", "-f", "%U %S"]: for measuring only. */
    prefix?: string[];
    /** Kill the program after this long (default 5 minutes). */
    timeoutMs?: number;
}

export interface LaunchResult {
    exitCode: number | null;
    stdout: string;
    stderr: string;
    /** What the language host answers the engine: its RunResponse's error and bail. */
    runError: string;
    bail: boolean;
    /** Every registration and read but the root stack's, as the engine received them. */
    resources: RecordedResource[];
    /** The root stack resource's URN, once the program set it. */
    stackUrn: string | undefined;
    /** The stack outputs (RegisterResourceOutputs on the root stack). */
    outputs: Record<string, unknown>;
    logs: EngineLog[];
    /** The file run.js ran, from its "Running program" debug message. */
    program: string | undefined;
    /** Whether the SDK called SignalAndWaitForShutdown, as it does once the program has finished. */
    shutdownSignalled: boolean;
    /** The command line and the environment the language host sets on top of its own. */
    command: { file: string; args: string[]; env: Record<string, string> };
}

export class LaunchError extends Error {}

/** Go's json.Marshal of a map[string]string: keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJson(value: Record<string, string> | string[]): string {
    const sorted = Array.isArray(value)
        ? value
        : Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));
    return JSON.stringify(sorted).replace(
        /[<>&\u2028\u2029]/g,
        c => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}

/** constructConfig: `<namespace>:<name>` keys as `<namespace>:config:<name>`, as older SDKs expect. */
export function languageHostConfig(config: Record<string, string>): string {
    return goJson(
        Object.fromEntries(
            Object.entries(config).map(([key, value]) => {
                const i = key.indexOf(":");
                if (i < 0) throw new LaunchError(`config key ${key} has no namespace`);
                return [`${key.slice(0, i)}:config:${key.slice(i + 1)}`, value];
            }),
        ),
    );
}

interface NodeOptions {
    typescript: boolean;
    tsconfig?: string;
    nodeargs: string[];
}

/** parseOptions: Pulumi.yaml's runtime options, typescript on unless set to false. */
export function nodeOptions(runtime: unknown): NodeOptions {
    const options: Record<string, unknown> =
        typeof runtime === "object" && runtime !== null ? ((runtime as { options?: any }).options ?? {}) : {};
    const { typescript = true, tsconfig, nodeargs = "" } = options;
    if (typeof typescript !== "boolean") throw new LaunchError("typescript option must be a boolean");
    if (tsconfig !== undefined && typeof tsconfig !== "string")
        throw new LaunchError("tsconfigpath option must be a string");
    if (typeof nodeargs !== "string") throw new LaunchError("nodeargs option must be a string");
    // shlex.Split, for the plain words this needs; quoting is refused rather than misread.
    if (/["'\\]/.test(nodeargs)) throw new LaunchError(`nodeargs with quotes are not supported here: ${nodeargs}`);
    return { typescript, tsconfig, nodeargs: nodeargs.split(/\s+/).filter(Boolean) };
}

/**
 * The environment the CLI would start the language host with: this process's, less what would change
 * how the program is run (PULUMI_* such as PULUMI_NODEJS_TRANSPILE_ONLY, NODE_OPTIONS and TS_NODE_*
 * from a developer's shell or a test runner), so the launch is what a plain shell's `pulumi up` runs.
 */
function baseEnvironment(): NodeJS.ProcessEnv {
    return Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^(PULUMI_|TS_NODE_|NODE_OPTIONS$)/.test(k)),
    );
}

const RUNNING_PROGRAM = /^Running program '(.*)' in pwd '.*' w\/ args: /s;

/** Runs the stack's program as the nodejs language host runs it, against a fresh fake engine. */
export async function launchProgram(options: LaunchOptions): Promise<LaunchResult> {
    const dir = path.resolve(options.dir);
    const project = readProject(dir);
    const config = options.config ?? stackConfig(options.stack, dir);
    if (Object.values(config).some(v => v.startsWith('{"secure":'))) {
        throw new LaunchError(`stack ${options.stack}: secure values need the CLI's secrets provider`);
    }
    const dryRun = options.dryRun ?? true;
    const organization = options.organization ?? DIY_ORGANIZATION;
    // The CLI's default --parallel: GOMAXPROCS * 4 (pkg/cmd/pulumi/operations/up.go defaultParallel).
    const parallel = availableParallelism() * 4;
    const { pwd, entryPoint } = pwdMain(dir, project.main ?? undefined);
    const opts = nodeOptions(project.runtime);
    // locateModule: `require.resolve('@pulumi/pulumi/cmd/run')` from the program directory.
    const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [pwd] });

    const engine = await startFakeEngine({
        fake: options.fake,
        region: config["aws:region"],
        project: project.name,
        stack: options.stack,
        organization,
        dryRun,
        config,
        parallel,
    });
    // createPipes: a fresh directory for the synchronous-invoke pipes.
    const syncDir = mkdtempSync(path.join(tmpdir(), "pulumi-node-pipes"));
    try {
        const args = [
            runPath,
            "--monitor",
            engine.monitorAddress,
            "--engine",
            engine.engineAddress,
            "--sync",
            syncDir,
            "--organization",
            organization,
            "--project",
            project.name,
            "--root-directory",
            dir,
            "--stack",
            options.stack,
            "--pwd",
            pwd,
            ...(dryRun ? ["--dry-run"] : []),
            "--parallel",
            String(parallel),
            entryPoint,
        ];
        const hostEnv: Record<string, string> = {
            PULUMI_CONFIG: languageHostConfig(config),
            PULUMI_CONFIG_SECRET_KEYS: goJson([]),
            ...(opts.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
            ...(opts.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: opts.tsconfig } : {}),
        };
        // The node on PATH for the CLI; here the one running this, so a launch never picks an older Node.
        const command = [...(options.prefix ?? []), process.execPath, ...opts.nodeargs, ...args];
        const { code, stdout, stderr } = await run(
            command,
            pwd,
            { ...baseEnvironment(), ...hostEnv },
            options.timeoutMs,
        );
        const stackUrn = engine.rootResource;
        const ranProgram = engine.logs.map(l => RUNNING_PROGRAM.exec(l.message)).find(Boolean)?.[1];
        return {
            exitCode: code,
            stdout,
            stderr,
            ...runResponse(code),
            resources: engine.registrations.filter(r => r && !(r.type === ROOT_STACK_TYPE && !r.parent)),
            stackUrn,
            outputs: (stackUrn && engine.outputs.get(stackUrn)) || {},
            logs: engine.logs,
            program: ranProgram,
            shutdownSignalled: engine.shutdownSignalled,
            command: { file: command[0], args: command.slice(1), env: hostEnv },
        };
    } finally {
        rmSync(syncDir, { recursive: true, force: true });
        await engine.close();
    }
}

/** execRuntime: what the language host answers for the program's exit code. */
function runResponse(code: number | null): { runError: string; bail: boolean } {
    if (code === 0) return { runError: "", bail: false };
    if (code === EXIT_LOGGED_ERROR) return { runError: "", bail: true };
    return { runError: `Program exited with non-zero exit code: ${code}`, bail: false };
}

function run(
    command: string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
    timeoutMs = 300_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command[0], command.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", d => (stdout += d));
        child.stderr.on("data", d => (stderr += d));
        const timer = setTimeout(() => {
            stderr += `\n[killed after ${timeoutMs} ms]`;
            child.kill("SIGKILL");
        }, timeoutMs);
        child.on("error", e => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", code => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}
