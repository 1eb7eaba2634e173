// `npm run plan -- [--stack NAME] [--cluster FILE] [--out DIR] [--policy-pack-config FILE] [--rerun
// [--expect-no-changes]]`: what a stack would create, with no cloud account. Runs index.ts under the
// SDK's mocks against a described fake cluster, writes every resource, Kubernetes manifest, Helm
// release and IAM document and what each GPU pool can cost, validates the Karpenter objects against
// the v1 CRDs and runs the policy pack over the whole stack. With --rerun, runs the stack again
// against the cloud as that update would leave it and prints what a second update would do
// (docs/rerun.md).
// First, before anything loads @pulumi/pulumi.
import "./defer-sdk-internals";
import { helpAsked } from "./command-line";
import { EXIT_INPUT, EXIT_OK, type PlanOptions, UsageError, parsePlanArgs, planHelp } from "./plan-usage";

export async function main(argv: string[]): Promise<number> {
    if (helpAsked(argv)) {
        process.stdout.write(planHelp());
        return EXIT_OK;
    }
    let options: PlanOptions;
    try {
        options = parsePlanArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`error: ${e.message}\n`);
        return EXIT_INPUT;
    }
    // The SDKs load here, after the arguments: help and usage errors cost no more than Node's start.
    const { plan } = require("./plan-stack") as typeof import("./plan-stack");
    const result = await plan(options);
    const out = result.exitCode === EXIT_INPUT ? process.stderr : process.stdout;
    out.write(result.lines.join("\n") + "\n");
    return result.exitCode;
}
