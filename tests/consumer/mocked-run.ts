// The consumer's own unit test of its program: Pulumi's mocks answered by gpu-karpenter/testing.
// Prints what it saw as JSON, for tests/consumer.test.ts to check.
import * as pulumi from "@pulumi/pulumi";
import { GpuKarpenter } from "gpu-karpenter";
import { cloudMocks, fakeCluster } from "gpu-karpenter/testing";

const cloud = cloudMocks(fakeCluster({ cluster: { name: "my-cluster" } }));
const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
pulumi.runtime.setMocks({
    newResource: args => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return cloud.newResource(args);
    },
    call: args => cloud.call(args),
}, "consumer", "test");

function value<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise(resolve => output.apply(resolve));
}

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
    const program = await import("./index.js");
    const outputs = { nodeRoleArn: await value(program.nodeRoleArn), nodePoolNames: await value(program.nodePoolNames) };
    // Registrations still in flight keep Node running; once they are done, report.
    process.once("beforeExit", () => {
        process.stdout.write(JSON.stringify({ registered, outputs, rejected }) + "\n");
    });
}

main().catch(e => {
    process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
    process.exitCode = 1;
});
