// `npm run bench:launch [-- --stack NAME]`: the CPU one launch of the stack program costs, as the
// launch test (tests/engine-harness.test.ts) launches it: node running @pulumi/pulumi/cmd/run with
// ts-node type-checking the program, against the fake engine. Timed by GNU time (user + sys of the
// node process, and its peak memory), once with ts-node's cache cold (a fresh temp directory, where
// ts-node keeps it) and BENCH_RUNS (default 3) times warm. CPU, not wall time: the machine is shared.
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { loadFakeCluster } from "./fake-cluster";
import { launchProgram } from "./launch-program";
import { PROJECT_DIR } from "./stack";

const TIME = "/usr/bin/time";

export async function main(args: string[]): Promise<number> {
    const stack = args[0] === "--stack" && args[1] ? args[1] : "dev";
    if (args.length > 0 && args[0] !== "--stack") {
        console.error("usage: npm run bench:launch [-- --stack NAME]");
        return 2;
    }
    const runs = Number(process.env.BENCH_RUNS ?? 3);
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
