// The policy pack as another project gets it, for the pack's integration test and start-up bench:
// packed by `npm pack` (the tarball `pulumi policy publish` uploads), `npm install`ed into a folder
// outside this repository, and started the way the engine starts a Node.js pack.
//
// How the engine starts it (pulumi/pulumi): the engine asks the Node.js language host to run the
// pack (sdk/go/common/resource/plugin/analyzer_plugin.go NewPolicyAnalyzer, args [engine address]);
// the host answers Handshake and ConfigureStack itself (sdk/policy_proxy.go), then spawns
// `node <@pulumi/pulumi/cmd/run-policy-pack> <engine address> <pack dir>` in the pack dir with the
// stack's PULUMI_CONFIG and PULUMI_NODEJS_{ORGANIZATION,PROJECT,STACK,DRY_RUN}
// (sdk/nodejs/cmd/pulumi-language-nodejs/main.go RunPlugin), reads the port from the pack's first
// stdout line and forwards ConfigureStack to it. Older CLIs ran the pulumi-analyzer-policy shim
// with the same command line and environment (analyzer_plugin.go constructEnv).
import { ChildProcess, execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import { copyFileSync, cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PROJECT_DIR } from "./project-dir";

export const POLICIES_DIR = path.join(PROJECT_DIR, "policies");
export const PACK_NAME = "gpu-karpenter-policies";

function npm(args: string[], cwd: string): string {
    return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `npm pack` of policies/ into `outDir` (npm's prepare builds the bundle first); the tarball's path. */
export function packPolicyPack(outDir: string): string {
    const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", outDir], POLICIES_DIR)) as {
        filename: string;
    }[];
    return path.join(outDir, packed.filename);
}

const INSTALL_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];

/**
 * The pack's dependencies installed once from the npm cache, keyed by what the tarball declares:
 * a fresh tree of @pulumi/pulumi takes npm 15 s here, so each install starts from a copy of this.
 */
function dependencyTree(dependencies: Record<string, string>): string {
    const key = createHash("sha256").update(JSON.stringify(dependencies)).digest("hex").slice(0, 16);
    const dir = path.join(tmpdir(), `${PACK_NAME}-deps-${key}`);
    if (existsSync(path.join(dir, "node_modules"))) {
        return dir;
    }
    const building = mkdtempSync(`${dir}.tmp`);
    writeFileSync(
        path.join(building, "package.json"),
        JSON.stringify({ name: "policy-pack-deps", private: true, dependencies }, null, 2),
    );
    npm(["install", ...INSTALL_FLAGS], building);
    try {
        renameSync(building, dir);
    } catch {
        rmSync(building, { recursive: true, force: true }); // another run got there first
    }
    return dir;
}

/** Hard links where it can (the tree is only read), real copies of what npm rewrites. */
function copyTree(from: string, to: string): void {
    try {
        execFileSync("cp", ["-al", path.join(from, "node_modules"), path.join(to, "node_modules")]);
        rmSync(path.join(to, "node_modules", ".package-lock.json"), { force: true });
        copyFileSync(
            path.join(from, "node_modules", ".package-lock.json"),
            path.join(to, "node_modules", ".package-lock.json"),
        );
    } catch {
        cpSync(path.join(from, "node_modules"), path.join(to, "node_modules"), { recursive: true });
    }
    for (const file of ["package.json", "package-lock.json"]) {
        copyFileSync(path.join(from, file), path.join(to, file));
    }
}

/** `npm install <tarball>` in `dir`, outside this repository; returns the installed pack's folder. */
export function installPolicyPack(tarball: string, dir: string): string {
    const manifest = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
    copyTree(dependencyTree(manifest.dependencies ?? {}), dir);
    npm(["install", ...INSTALL_FLAGS, tarball], dir);
    return path.join(dir, "node_modules", PACK_NAME);
}

export interface StackInfo {
    organization: string;
    project: string;
    stack: string;
    dryRun: boolean;
    /** Stack config, `namespace:key` to the value as a string, as ConfigureStack carries it. */
    config: Record<string, string>;
}

/** The stack the pack is started for where any will do: the dev stack's preview. */
export const DEV_PREVIEW: StackInfo = {
    organization: "acme",
    project: "gpu-karpenter",
    stack: "dev",
    dryRun: true,
    config: { "aws:region": "us-west-2" },
};

export interface RunningPack {
    port: number;
    process: ChildProcess;
    /** Everything the pack wrote to stderr so far. */
    stderr(): string;
    stop(): Promise<void>;
}

/** Spawns the pack as the language host does and waits for the port on its first stdout line. */
export function startPolicyPack(packDir: string, engineAddress: string, stack: StackInfo): Promise<RunningPack> {
    const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    // The host's own environment, minus anything of this test runner's that could load modules for the pack.
    const { NODE_OPTIONS: _options, NODE_PATH: _path, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
        ...inherited,
        PULUMI_NODEJS_TYPESCRIPT: "true", // the language host's default (typescript: true)
        PULUMI_NODEJS_ORGANIZATION: stack.organization,
        PULUMI_NODEJS_PROJECT: stack.project,
        PULUMI_NODEJS_STACK: stack.stack,
        PULUMI_NODEJS_DRY_RUN: String(stack.dryRun),
        PULUMI_CONFIG: JSON.stringify(stack.config),
    };
    const child = spawn(process.execPath, [runPolicyPack, engineAddress, packDir], { cwd: packDir, env });
    let stdout = "";
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill();
        }
        await exited;
    };
    return new Promise((resolve, reject) => {
        const onData = (d: string) => {
            stdout += d;
            const newline = stdout.indexOf("\n");
            if (newline >= 0) {
                child.stdout.off("data", onData);
                const port = Number(stdout.slice(0, newline).trim());
                if (Number.isInteger(port) && port > 0) {
                    resolve({ port, process: child, stderr: () => stderr, stop });
                } else {
                    void stop();
                    reject(
                        new Error(
                            `the policy pack's first line is not a port: ${JSON.stringify(stdout.slice(0, newline))}\n${stderr}`,
                        ),
                    );
                }
            }
        };
        child.stdout.setEncoding("utf8").on("data", onData);
        child.once("exit", code =>
            reject(new Error(`the policy pack exited (${code}) before printing its port:\n${stderr}`)),
        );
        child.once("error", reject);
    });
}
