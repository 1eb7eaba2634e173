// Shared by the tests: run a stack offline, or the plan's and check-manifests' command lines, and
// pick resources out of the run.
import { expect } from "chai";
import { execFile } from "child_process";
import { cpSync, existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "fs";
import * as path from "path";
import { isDeepStrictEqual, promisify } from "util";
import { loadFakeCluster, FakeCluster } from "../offline/fake-cluster";
import { validateKarpenterObject } from "../offline/karpenter-schema";
import type { CloudResource } from "../offline/cloud-mocks";
import type { ProgramRun, RecordedResource } from "../offline/run-program";
import { type Deployment, NEW_STACK, type Step, applyUpdate, diffRun } from "../offline/rerun";
import { fromYaml } from "../components/yaml";

const ROOT = path.resolve(__dirname, "..");

export const NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool";
export const NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";
export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const IAM_POLICY = "aws:iam/policy:Policy";
export const ADDON = "aws:eks/addon:Addon";

// The Pulumi SDK loads with the first run, not with this module: the policy tests that only start
// check-manifests need not wait the second it takes.
const offlineStack = (): typeof import("../offline/stack") => require("../offline/stack");
const offlineProgram = (): typeof import("../offline/run-program") => require("../offline/run-program");

export function fakeCluster(changes: (c: FakeCluster) => void = () => undefined): FakeCluster {
    const fake = loadFakeCluster();
    changes(fake);
    return fake;
}

/**
 * Runs index.ts as `stack` with `overrides` (unqualified keys are gpu-karpenter's; values as in YAML) over its
 * config, against `fake` and what earlier updates left in it (`cloud`).
 */
export function run(
    stack: string,
    overrides: Record<string, unknown> = {},
    fake?: FakeCluster,
    cloud?: readonly CloudResource[],
): Promise<ProgramRun> {
    const config = offlineStack().stackConfig(stack);
    for (const [key, value] of Object.entries(overrides)) {
        const full = key.includes(":") ? key : `gpu-karpenter:${key}`;
        if (value === undefined) delete config[full];
        else config[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return offlineStack().runStack(stack, config, fake ?? fakeCluster(), cloud);
}

export interface Rerun {
    first: ProgramRun;
    /** The stack as the first run's `pulumi up` leaves it. */
    deployed: Deployment;
    second: ProgramRun;
    /** What the second `pulumi up` would do. */
    steps: Step[];
}

/** Runs a program (given what the cloud holds), "applies" it, and runs it again against the cloud it left. */
export async function runTwice(
    runOnce: (cloud: readonly CloudResource[]) => Promise<ProgramRun>,
    before: Deployment = NEW_STACK,
): Promise<Rerun> {
    const first = await runOnce(before.cloud);
    const deployed = applyUpdate(before, first);
    const second = await runOnce(deployed.cloud);
    return { first, deployed, second, steps: diffRun(deployed, second) };
}

/** `run` twice: the stack's first `pulumi up`, then its second. */
export function rerun(stack: string, overrides: Record<string, unknown> = {}, fake = fakeCluster()): Promise<Rerun> {
    return runTwice(cloud => run(stack, overrides, fake, cloud));
}

/** The steps that change something, as the plan prints them. */
export function changes(steps: Step[]): string[] {
    return steps
        .filter(s => s.op !== "same" && s.op !== "read")
        .map(
            s =>
                `${s.op} ${s.type} ${s.name}${s.retain ? " [retain]" : s.keys.length ? ` [${s.keys.join(", ")}]` : ""}`,
        );
}

/** Config with nothing but a cluster name: every default. */
export function runDefaults(): Promise<ProgramRun> {
    return offlineStack().runStack(
        "defaults",
        { "aws:region": "us-west-2", "gpu-karpenter:clusterName": "demo" },
        fakeCluster(),
    );
}

/** Runs `program` offline as `stack`, in us-west-2, on the default fake cluster (and what `cloud` adds to it). */
export function runOffline(
    stack: string,
    program: () => unknown,
    fake = fakeCluster(),
    cloud?: readonly CloudResource[],
): Promise<ProgramRun> {
    return offlineProgram().runProgram({ stack, config: { "aws:region": "us-west-2" }, fake, cloud, program });
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter(r => r.type === type);
}

export function one(run: ProgramRun, type: string, name: string): RecordedResource {
    const found = run.resources.filter(r => r.type === type && r.name === name);
    if (found.length !== 1) {
        throw new Error(
            `expected one ${type} named ${name}, found ${found.length}: ` +
                ofType(run, type)
                    .map(r => r.name)
                    .join(", "),
        );
    }
    return found[0];
}

/** Checks every NodePool and EC2NodeClass of the run against the Karpenter v1 CRDs; returns them. */
export function expectValidKarpenter(run: ProgramRun): RecordedResource[] {
    const objects = [...ofType(run, NODEPOOL), ...ofType(run, NODECLASS)];
    for (const o of objects) expect(validateKarpenterObject(o.inputs), o.name).to.deep.equal([]);
    return objects;
}

/** The statements of the run's IAM policies: the controller's. */
export function controllerStatements(run: ProgramRun): any[] {
    return ofType(run, IAM_POLICY).flatMap(p => json(p.inputs.policy).Statement);
}

/** The one controller statement with this Sid. */
export function statement(run: ProgramRun, sid: string): any {
    const found = controllerStatements(run).filter(s => s.Sid === sid);
    expect(found, sid).to.have.length(1);
    return found[0];
}

export function json(value: unknown): any {
    return JSON.parse(String(value));
}

export const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));

export async function runError(promise: Promise<unknown>): Promise<Error> {
    try {
        await promise;
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected the run to fail");
}

/** The message of the error of class `type` that `run` throws; fails the test when it throws none. */
export function errorMessage(type: new (...args: any[]) => Error, run: () => unknown): string {
    try {
        run();
    } catch (e) {
        expect(e).to.be.instanceOf(type);
        return (e as Error).message;
    }
    throw new Error(`expected a ${type.name}`);
}

export interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
}

const exec = promisify(execFile);

/** Runs `command` in `cwd` to its end: its exit status and what it printed; throws when it cannot start. */
export async function runCommand(
    command: string,
    args: string[],
    cwd = ROOT,
    env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
    try {
        const { stdout, stderr } = await exec(command, args, { cwd, env });
        return { code: 0, stdout, stderr };
    } catch (e: any) {
        if (typeof e.code !== "number") throw e;
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
}

/**
 * `npm run plan -- ARGS` as a user runs it, through the launcher it calls, in the project at `root`;
 * `env` replaces the environment's variables (undefined removes one).
 */
export function planCliIn(
    root: string,
    args: string[],
    env: Record<string, string | undefined> = {},
): Promise<CliResult> {
    return runCommand(
        process.execPath,
        [path.join(root, "offline/launch.js"), "offline/plan", ...args],
        root,
        withEnv(env),
    );
}

function withEnv(changes: Record<string, string | undefined>): NodeJS.ProcessEnv {
    const env = { ...process.env, ...changes };
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete env[key];
    return env;
}

/** The plan's command line, as a user runs it in this project. */
export const planCli = (...args: string[]): Promise<CliResult> => planCliIn(ROOT, args);

const PROJECT_ENTRIES = [
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.prod.yaml",
    "index.ts",
    "components",
    "program",
    "offline",
    "policies",
    "package.json",
];

/**
 * A copy of this project at `tmp`/project (made once per `tmp`), sharing node_modules, for tests
 * that write into the project: stack files, a changed Pulumi.yaml. Test files run in parallel, and
 * others read the repository's own files (every Pulumi.*.yaml) meanwhile.
 */
export function projectCopy(tmp: string): string {
    const copy = path.join(tmp, "project");
    if (!existsSync(copy)) {
        for (const entry of PROJECT_ENTRIES) {
            cpSync(path.join(ROOT, entry), path.join(copy, entry), {
                recursive: true,
                filter: src => !/[\\/](node_modules|bin|\.build)$/.test(src),
            });
        }
        symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
    }
    return copy;
}

/** README.md and the Markdown pages of docs/, where the README's depth moves: the examples a user copies. */
export function readmeAndDocs(): string[] {
    const docs = path.join(ROOT, "docs");
    const pages = existsSync(docs) ? readdirSync(docs).filter(f => f.endsWith(".md")) : [];
    return [path.join(ROOT, "README.md"), ...pages.map(f => path.join(docs, f))];
}

/** A stack as the README's and docs' examples make it: its name, and its config as the CLI hands it over. */
export interface StackCase {
    name: string;
    /** The stack name it runs as. */
    stack: string;
    config: Record<string, string>;
}

/**
 * The README's example stacks, built from its text: the `pulumi config set` lines of each shell
 * block make a stack (as `pulumi stack init` then those commands would), and each YAML block whose
 * keys are all config keys is a snippet added to the first of those, as a user would paste it into
 * the stack file. Read from README.md and docs/, where README depth moves.
 */
export function readmeStacks(): StackCase[] {
    const { mergeStackConfig } = require("../offline/pulumi-project") as typeof import("../offline/pulumi-project");
    const project = offlineStack().readProject(ROOT);
    const commands: { name: string; stack: string; values: Record<string, unknown> }[] = [];
    const snippets: { name: string; values: Record<string, unknown> }[] = [];
    for (const file of readmeAndDocs()) {
        const text = readFileSync(file, "utf8");
        let section = "";
        const blocks = text.matchAll(/^(##? .*)$|^```(sh|yaml)\n([\s\S]*?)^```$/gm);
        for (const [, heading, lang, body] of blocks) {
            if (heading) {
                section = heading
                    .replace(/^##? /, "")
                    .toLowerCase()
                    .replace(/[^a-z0-9]+/g, "-");
                continue;
            }
            const name = `${path.basename(file, ".md").toLowerCase()}-${section}`;
            if (lang === "sh") {
                const set = [...body.matchAll(/^pulumi config set (\S+) (\S+)/gm)];
                if (set.length === 0) continue;
                const stack = /^pulumi stack init (\S+)/m.exec(body)?.[1] ?? "dev";
                commands.push({ name, stack, values: Object.fromEntries(set.map(([, k, v]) => [k, v])) });
            } else {
                const values = fromYaml(body);
                if (values && typeof values === "object" && Object.keys(values).every(k => /^[\w-]+:\w+$/.test(k))) {
                    snippets.push({ name, values: values as Record<string, unknown> });
                }
            }
        }
    }
    expect(commands, "README's `pulumi config set` commands").to.not.be.empty;
    expect(snippets, "README's stack config snippets").to.not.be.empty;
    const [base] = commands;
    return [
        ...commands.map(c => ({ name: c.name, stack: c.stack, config: mergeStackConfig(c.stack, project, c.values) })),
        ...snippets.map(s => ({
            name: s.name,
            stack: base.stack,
            config: mergeStackConfig(base.stack, project, { ...base.values, ...s.values }),
        })),
    ];
}

/** The file of stack `name` in the project at `project` (a projectCopy: never the repository's own). */
export const stackFile = (project: string, name: string) => path.join(project, `Pulumi.${name}.yaml`);

/**
 * Plans stack `name` into `tmp`/`name`, its file setting clusterName dev-ai, aws:region us-west-2
 * unless `config` sets it, and then `config` (lines under `config:`), in projectCopy(tmp).
 */
export async function planOwnStack(tmp: string, name: string, config: string[]) {
    const project = projectCopy(tmp);
    const region = config.some(l => l.startsWith("aws:region:")) ? [] : ["aws:region: us-west-2"];
    writeFileSync(
        stackFile(project, name),
        ["config:", "  gpu-karpenter:clusterName: dev-ai", ...[...region, ...config].map(l => `  ${l}`)].join("\n"),
    );
    const out = path.join(tmp, name);
    return { out, result: await planCliIn(project, ["--stack", name, "--out", out]) };
}

/** `npm run check-manifests -- ARGS`, without npm in between. */
export const checkManifests = (...args: string[]): Promise<CliResult> =>
    runCommand(process.execPath, ["offline/launch.js", "policies/check-manifests", ...args]);

/**
 * What differs between two runs' registrations, by URN: what only one of them registered
 * (`only <label>: <urn>`), and each field of a resource both registered that differs; empty when none.
 */
export function registrationDifferences(
    ours: RecordedResource[],
    theirs: RecordedResource[],
    [ourLabel, theirLabel]: [string, string],
): string[] {
    const mine = new Map(ours.map(r => [r.urn, r]));
    const other = new Map(theirs.map(r => [r.urn, r]));
    const found: string[] = [];
    for (const urn of other.keys()) if (!mine.has(urn)) found.push(`only ${theirLabel}: ${urn}`);
    for (const [urn, r] of mine) {
        const p = other.get(urn);
        if (!p) {
            found.push(`only ${ourLabel}: ${urn}`);
            continue;
        }
        for (const field of new Set([...Object.keys(p), ...Object.keys(r)]) as Set<keyof RecordedResource>) {
            if (!isDeepStrictEqual(r[field], p[field])) found.push(`${urn}: ${field} differs`);
        }
    }
    return found;
}
