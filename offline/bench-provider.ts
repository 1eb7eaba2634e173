// `npm run bench:provider`: how long the component provider takes, from the spawn of
// `node run-plugin <plugin dir> <engine address>` (as the Node.js language host runs it,
// offline/provider-plugin.ts) to GetSchema's answer: what a Python, Go, .NET or YAML program waits
// for before its first GpuKarpenter. Prints wall-clock seconds, which depend on how busy the
// machine is, and the plugin's CPU seconds (user + system, from /proc) at the answer, which depend
// much less. A warm-up start, then BENCH_RUNS (default 10) starts, one after another.
// The plugin is laid out from the sources (esbuild); `-- --plugin-dir DIR` times another folder,
// such as this one after `npm run build` (tsc's output, as a git install builds it).
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { helpAsked } from "./command-line";

const USAGE = "usage: npm run bench:provider [-- --plugin-dir DIR]";

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

export async function main(args: string[]): Promise<number> {
    if (helpAsked(args)) {
        console.log(`${USAGE}

Times the component provider from the spawn of run-plugin (as the Node.js language host starts it)
to GetSchema's answer: wall-clock and the plugin's CPU seconds, a warm-up then BENCH_RUNS starts
(default 10). The plugin is laid out from the sources.

  --plugin-dir DIR  time the plugin in DIR instead (e.g. this folder after npm run build)
  --help, -h        print this and exit`);
        return 0;
    }
    const runs = Number(process.env.BENCH_RUNS ?? 10);
    const given = args[0] === "--plugin-dir" && args[1] ? path.resolve(args[1]) : undefined;
    if (args.length > 0 && !given) {
        console.error(USAGE);
        return 2;
    }
    const work = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-bench-provider-"));
    // Loaded once the arguments are good: --help answers without the SDK's gRPC stack.
    const { getSchema, layOutPlugin, providerClient, silentEngine, startPlugin } =
        require("./provider-plugin") as typeof import("./provider-plugin");
    const engine = await silentEngine();
    try {
        const pluginDir = given ?? layOutPlugin(path.join(work, "plugin"));
        const start = async () => {
            const t0 = process.hrtime.bigint();
            const plugin = await startPlugin(pluginDir, engine.address, work);
            const client = providerClient(plugin.port);
            try {
                const schema = await getSchema(client);
                const wall = Number(process.hrtime.bigint() - t0) / 1e9;
                const cpu = plugin.cpuSeconds();
                if (!schema.includes('"gpu-karpenter:index:GpuKarpenter"'))
                    throw new Error("GetSchema: not our schema");
                return { wall, cpu };
            } finally {
                client.close();
                await plugin.stop();
            }
        };
        await start();
        const times: { wall: number; cpu: number }[] = [];
        for (let i = 0; i < runs; i++) times.push(await start());
        const walls = times.map(t => t.wall);
        const cpus = times.map(t => t.cpu);
        console.log(`spawn to GetSchema's answer, wall: ${walls.map(t => t.toFixed(2)).join(" ")} s`);
        console.log(`plugin CPU (user+sys) by then:  ${cpus.map(t => t.toFixed(2)).join(" ")} s`);
        console.log(
            `median wall ${median(walls).toFixed(2)} s (max ${Math.max(...walls).toFixed(2)}), ` +
                `median CPU ${median(cpus).toFixed(2)} s (max ${Math.max(...cpus).toFixed(2)}), ` +
                `${runs} runs after a warm-up, node ${process.version}, from ${pluginDir}`,
        );
        return 0;
    } finally {
        engine.close();
        rmSync(work, { recursive: true, force: true });
    }
}
