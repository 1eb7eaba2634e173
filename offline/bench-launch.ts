// `npm run bench:launch [-- --stack NAME]`: the CPU one launch of the stack program costs, as the
// launch test (tests/engine-harness.test.ts) launches it: node running @pulumi/pulumi/cmd/run with
// ts-node type-checking the program, against the fake engine. Timed by GNU time (user + sys of the
// node process, and its peak memory), once with ts-node's cache cold (a fresh temp directory, where
// ts-node keeps it) and BENCH_RUNS (default 3) times warm. CPU, not wall time: the machine is shared.
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { helpAsked } from "./command-line";
import { loadFakeCluster } from "./fake-cluster";
import { PROJECT_DIR } from "./project-dir";

const TIME = "/usr/bin/time";

const USAGE = "usage: npm run bench:launch [-- --stack NAME]";

export async function main(args: string[]): Promise<number> {
    if (helpAsked(args)) {
        console.log(`${USAGE}

The CPU (user + sys) and peak memory of one launch of the stack program as the Pulumi CLI's nodejs
language host launches it (ts-node type-checking it) against the fake engine: once with ts-node's
cache cold, then BENCH_RUNS times (default 3) warm. Timed by GNU time.

  --stack NAME  the stack to launch (default: dev)
  --help, -h    print this and exit`);
        return 0;
    }
    const stack = args[0] === "--stack" && args[1] ? args[1] : "dev";
    if (args.length > 0 && args[0] !== "--stack") {
        console.error(USAGE);
        return 2;
    }
    const runs = Number(process.env.BENCH_RUNS ?? 3);
    // Loaded once the arguments are good: --help answers without the SDK's gRPC stack.
    const { launchProgram } = require("./launch-program") as typeof import("./launch-program");
    const cache = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-bench-launch-"));
    const tmp = process.env.TMPDIR;
    // os.tmpdir() in the launched node, so ts-node starts with an empty cache.
    process.env.TMPDIR = cache;
    try {
        const once = async () => {
            const r = await launchProgram({
                dir: PROJECT_DIR,
                stack,
                fake: loadFakeCluster(),
                prefix: [TIME, "-f", "bench-launch %U %S %M"],
            });
            const m = /bench-launch ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
            if (r.exitCode !== 0 || !m) throw new Error(`launch failed (exit ${r.exitCode}):\n${r.stderr}`);
            const [user, sys] = [Number(m[1]), Number(m[2])];
            return { user, sys, mb: Math.round(Number(m[3]) / 1024), resources: r.resources.length };
        };
        const report = (label: string, t: Awaited<ReturnType<typeof once>>) =>
            console.log(
                `${label}: ${(t.user + t.sys).toFixed(2)} s CPU (user ${t.user} + sys ${t.sys}), peak ${t.mb} MB, ${t.resources} resources`,
            );
        report("cold ts-node cache", await once());
        for (let i = 1; i <= runs; i++) report(`warm ${i}`, await once());
        console.log(`stack ${stack}, node ${process.version}, GNU time of the launched node process`);
        return 0;
    } finally {
        if (tmp === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = tmp;
        rmSync(cache, { recursive: true, force: true });
    }
}
