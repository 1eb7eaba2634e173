// `npm run bench:pack`: how long the policy pack takes to start under the engine, from the spawn
// of `node run-policy-pack <engine address> <pack dir>` to the port on its first stdout line (what
// the engine waits for before each preview's first policy call). The pack is packed and installed
// outside the repository, as another project gets it (offline/policy-pack.ts). A warm-up start,
// then BENCH_RUNS (default 10) starts, one after another; prints each and the median.
// `npm run bench:pack -- --pack-dir DIR` times the pack already installed in DIR instead (another
// build of it, or an older checkout's policies/ for a comparison).
import { mkdtempSync, rmSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import * as path from "path";
import { helpAsked } from "./command-line";

const USAGE = "usage: npm run bench:pack [-- --pack-dir DIR]";

export async function main(args: string[]): Promise<number> {
    if (helpAsked(args)) {
        console.log(`${USAGE}

Times how long the policy pack takes to start under the engine (spawn to its port), packed and
installed outside the repository as another project gets it: a warm-up, then BENCH_RUNS starts
(default 10); prints each and the median.

  --pack-dir DIR  time the pack already installed in DIR instead
  --help, -h      print this and exit`);
        return 0;
    }
    const runs = Number(process.env.BENCH_RUNS ?? 10);
    const given = args[0] === "--pack-dir" && args[1] ? path.resolve(args[1]) : undefined;
    if (args.length > 0 && !given) {
        console.error(USAGE);
        return 2;
    }
    const work = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-bench-pack-"));
    // Loaded once the arguments are good: --help answers without the SDK's gRPC stack.
    const { DEV_PREVIEW, installPolicyPack, packPolicyPack, startPolicyPack } =
        require("./policy-pack") as typeof import("./policy-pack");
    // A live address for the engine argument; the pack only dials it to log, which a clean start does not.
    const engine = createServer(socket => socket.destroy());
    await new Promise<void>(resolve => engine.listen(0, "127.0.0.1", resolve));
    try {
        const packDir = given ?? installPolicyPack(packPolicyPack(work), work);
        const engineAddress = `127.0.0.1:${(engine.address() as { port: number }).port}`;
        const start = async () => {
            const t0 = process.hrtime.bigint();
            const pack = await startPolicyPack(packDir, engineAddress, DEV_PREVIEW);
            const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
            await pack.stop();
            return seconds;
        };
        await start();
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
            times.push(await start());
        }
        const sorted = [...times].sort((a, b) => a - b);
        const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
        console.log(`policy pack start, spawn to port line: ${times.map(t => t.toFixed(2)).join(" ")} s`);
        console.log(
            `median ${median.toFixed(2)} s, min ${sorted[0].toFixed(2)} s, max ${sorted[sorted.length - 1].toFixed(2)} s, ${runs} runs after a warm-up, node ${process.version}, from ${packDir}`,
        );
        return 0;
    } finally {
        engine.close();
        rmSync(work, { recursive: true, force: true });
    }
}
