// The stack program launched as `pulumi preview` launches it: node running @pulumi/pulumi/cmd/run
// with pulumi-language-nodejs's flags and environment, TypeScript type-checked by ts-node as
// Pulumi.yaml asks, talking gRPC to a fake engine whose cloud is the offline plan's
// (offline/launch-program.ts, offline/fake-engine.ts; docs/engine-harness.md). One launch per stack,
// in `before`: each is a node process that type-checks the program (several seconds of CPU with a
// cold ts-node cache, under three with a warm one).
import { expect } from "chai";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { resolveProgram } from "../offline/entry-point";
import { EXIT_LOGGED_ERROR, type LaunchResult, launchProgram } from "../offline/launch-program";
import type { ProgramRun, RecordedResource } from "../offline/run-program";
import { readProject, runStack, stackConfig } from "../offline/stack";
import { type StackCase, fakeCluster, readmeStacks, registrationDifferences, runError } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

/** A launched resource as the plan records it: the plan runs with no root stack, so no parent where the stack is. */
function asPlanned(r: RecordedResource, stackUrn: string | undefined): RecordedResource {
    return r.parent === stackUrn ? { ...r, parent: undefined } : r;
}

/** What differs between the launched program's registrations and the plan's, by URN; empty when none. */
function differences(launched: LaunchResult, plan: ProgramRun): string[] {
    const ours = launched.resources.map(r => asPlanned(r, launched.stackUrn));
    return registrationDifferences(ours, plan.resources, ["launched", "in the plan"]);
}

describe("the program launched as pulumi-language-nodejs launches it, against the fake engine", function () {
    // Each launch type-checks the program with ts-node: most of a minute on a busy 2-core machine with a cold cache.
    this.timeout(600_000);

    const cases: StackCase[] = [
        { name: "dev", stack: "dev", config: stackConfig("dev") },
        { name: "prod", stack: "prod", config: stackConfig("prod") },
        ...readmeStacks(),
    ];
    const launched = new Map<string, LaunchResult>();
    const planned = new Map<string, ProgramRun>();
    const badConfig = { ...stackConfig("dev"), "gpu-karpenter:identity": "iam" };
    let bad: LaunchResult;
    let badPlanError: Error;
    let noMainDir: string;
    let noMain: LaunchResult;

    before(async () => {
        // The ts-node cache (the CLI's default, in the temp directory) is filled by the first launch;
        // the rest, two at a time for the two cores, reuse it.
        const first = cases[0];
        launched.set(
            first.name,
            await launchProgram({ dir: ROOT, stack: first.stack, config: first.config, fake: fakeCluster() }),
        );

        noMainDir = mkdtempSync(path.join(tmpdir(), "no-main-"));
        for (const entry of ["package.json", "tsconfig.json", "index.ts", "Pulumi.dev.yaml", "components", "program"]) {
            cpSync(path.join(ROOT, entry), path.join(noMainDir, entry), { recursive: true });
        }
        // Pulumi.yaml as it was before `main`: the CLI falls back to package.json.
        writeFileSync(
            path.join(noMainDir, "Pulumi.yaml"),
            readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8").replace(/^main: .*\n/m, ""),
        );
        symlinkSync(path.join(ROOT, "node_modules"), path.join(noMainDir, "node_modules"));
        symlinkSync(path.join(ROOT, "bin"), path.join(noMainDir, "bin"));

        const jobs: (() => Promise<void>)[] = [
            ...cases.slice(1).map(c => async () => {
                launched.set(
                    c.name,
                    await launchProgram({ dir: ROOT, stack: c.stack, config: c.config, fake: fakeCluster() }),
                );
            }),
            async () => {
                bad = await launchProgram({ dir: ROOT, stack: "dev", config: badConfig, fake: fakeCluster() });
            },
            async () => {
                noMain = await launchProgram({ dir: noMainDir, stack: "dev", fake: fakeCluster() });
            },
        ];
        const next = async (): Promise<void> => {
            const job = jobs.shift();
            if (job) await job().then(next);
        };
        await Promise.all([next(), next()]);

        for (const c of cases) planned.set(c.name, await runStack(c.stack, c.config, fakeCluster()));
        badPlanError = await runError(runStack("dev", badConfig, fakeCluster()));
    });

    after(() => {
        if (noMainDir) rmSync(noMainDir, { recursive: true, force: true });
    });

    it("covers dev, prod and the README's example stacks: its deploy commands and its recommended pools", () => {
        const names = cases.map(c => c.name);
        expect(names.slice(0, 2)).to.deep.equal(["dev", "prod"]);
        expect(
            names.filter(n => /-deploy-a-stack$/.test(n)),
            names.join(", "),
        ).to.have.length(1);
        expect(
            names.filter(n => /-training-jobs$/.test(n)),
            names.join(", "),
        ).to.have.length(1);
    });

    for (const c of cases) {
        describe(`stack ${c.name}`, () => {
            it("runs index.ts to the end (exit 0, shutdown signalled), as run.js reports it", () => {
                const r = launched.get(c.name)!;
                expect(r.exitCode, r.stderr).to.equal(0);
                expect(r.runError).to.equal("");
                expect(r.program).to.equal(path.join(ROOT, "index.ts"));
                expect(r.program).to.equal(resolveProgram(ROOT, readProject(ROOT).main ?? undefined).file);
                expect(r.shutdownSignalled).to.equal(true);
                expect(r.logs.filter(l => l.severity === "error")).to.deep.equal([]);
            });

            it("registers exactly what the offline plan lists: URN, type, parent, inputs, dependencies, options", () => {
                const r = launched.get(c.name)!;
                const plan = planned.get(c.name)!;
                expect(r.resources.length).to.be.greaterThan(0);
                expect(differences(r, plan)).to.deep.equal([]);
                expect(r.resources.map(x => asPlanned(x, r.stackUrn))).to.have.deep.members(plan.resources);
            });

            it("under the root stack the engine names for it, with the plan's outputs and warnings", () => {
                const r = launched.get(c.name)!;
                const plan = planned.get(c.name)!;
                expect(r.stackUrn).to.equal(
                    `urn:pulumi:${c.stack}::gpu-karpenter::pulumi:pulumi:Stack::gpu-karpenter-${c.stack}`,
                );
                expect(r.resources.filter(x => !x.parent)).to.deep.equal([]);
                expect(r.outputs).to.deep.equal(plan.outputs);
                expect(r.logs.filter(l => l.severity === "warning").map(l => l.message)).to.deep.equal(plan.warnings);
            });
        });
    }

    it("hands the program the command line and environment the language host builds", () => {
        const r = launched.get("dev")!;
        const args = r.command.args;
        expect(args[0]).to.equal(require.resolve("@pulumi/pulumi/cmd/run"));
        expect(args.slice(-6)).to.deep.equal(["--pwd", ROOT, "--dry-run", "--parallel", args.at(-2), "index.ts"]);
        expect(JSON.parse(r.command.env.PULUMI_CONFIG)).to.deep.include({
            "aws:config:region": "us-west-2",
            "gpu-karpenter:config:clusterName": "dev-ai",
        });
        expect(r.command.env).to.deep.include({ PULUMI_CONFIG_SECRET_KEYS: "[]", PULUMI_NODEJS_TYPESCRIPT: "true" });
    });

    it("a bad config stops it before anything is registered, with the program's message and no stack trace", () => {
        expect(bad.exitCode).to.equal(EXIT_LOGGED_ERROR);
        // The language host answers Bail: the CLI shows the logged error and nothing more.
        expect(bad).to.deep.include({ runError: "", bail: true });
        expect(bad.resources).to.deep.equal([]);
        const errors = bad.logs.filter(l => l.severity === "error").map(l => l.message);
        expect(errors).to.deep.equal([badPlanError.message]);
        expect(errors[0]).to.equal(
            'invalid stack config:\n  gpu-karpenter:identity: "iam" is not allowed; use one of "irsa", "podIdentity"',
        );
        expect(bad.stderr + bad.stdout).to.not.match(/\bat .*\.(ts|js):\d+/);
    });

    it("fails the comparison for a Pulumi.yaml without main: the CLI runs the library, which registers nothing", () => {
        expect(existsSync(path.join(ROOT, "bin/components/index.js")), "bin/ is built by npm ci (prepare)").to.equal(
            true,
        );
        expect(noMain.exitCode, noMain.stderr).to.equal(0);
        expect(noMain.program).to.equal(path.join(noMainDir, "bin/components/index.js"));
        expect(noMain.program).to.equal(resolveProgram(noMainDir, undefined).program);
        expect(noMain.resources).to.deep.equal([]);
        const missing = differences(noMain, planned.get("dev")!);
        expect(missing).to.have.length(planned.get("dev")!.resources.length);
        expect(missing.every(d => d.startsWith("only in the plan: "))).to.equal(true);
    });
});
