// The consumer's own unit test of its program, as the README shows it: gpu-karpenter/testing's
// runProgram runs the program under Pulumi's mocks, answered by the fake cloud, and waits for all of
// it. Prints what it saw as JSON, for tests/consumer.test.ts to check.
import * as pulumi from "@pulumi/pulumi";
import { GpuKarpenter } from "gpu-karpenter";
import { fakeCluster, runProgram } from "gpu-karpenter/testing";

// A bad argument fails as the consumer's own SDK's RunError (one SDK copy), naming the key.
function badArgument(): { isRunError: boolean; message: string } | undefined {
    try {
        new GpuKarpenter("bad", { clusterName: "my-cluster", gpuPools: [{ name: "gpu", consolidateAfter: "soon" }] });
    } catch (e) {
        return { isRunError: e instanceof pulumi.RunError, message: (e as Error).message };
    }
    return undefined;
}

async function main() {
    const rejected = badArgument();
    const run = await runProgram({
        project: "consumer",
        stack: "test",
        fake: fakeCluster({ cluster: { name: "my-cluster" } }),
        // As `pulumi up`: the program's own cluster, role and subnets have their outputs.
        preview: false,
        program: () => require("./index"),
    });
    const registered = run.resources.map(r => ({ type: r.type, name: r.name, id: r.id, inputs: r.inputs }));
    process.stdout.write(JSON.stringify({ registered, outputs: run.outputs, rejected }) + "\n");
}

main().catch(e => {
    process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
    process.exitCode = 1;
});
