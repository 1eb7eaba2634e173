// How the offline plan runs a program: as `pulumi preview` would, with the fake cluster's answers,
// and never with a value the offline cloud left unknown.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { Tag } from "@pulumi/aws/ec2";
import { Queue } from "@pulumi/aws/sqs";
import { ProgramFailure, engineUrn } from "../offline/run-program";
import { runError, runOffline } from "./helpers";

describe("running a program offline", () => {
    it("runs it as a preview, with the outputs the cloud adds concrete", async () => {
        let dryRun: boolean | undefined;
        const run = await runOffline("t", () => {
            dryRun = pulumi.runtime.isDryRun();
            const queue = new Queue("q", { name: "jobs" });
            return { queueArn: queue.arn };
        });
        expect(dryRun).to.equal(true);
        expect(run.outputs).to.deep.equal({ queueArn: "arn:aws:sqs:us-west-2:111122223333:jobs" });
    });

    it("fails, naming the resource and field, when an input holds an output the offline cloud does not answer", async () => {
        const e = await runError(
            runOffline("t", () => {
                // The mocks answer nothing for a tag, so its `value` output is unknown in a preview.
                const first = new Tag("first", { resourceId: "subnet-1", key: "team", value: "ml" });
                new Tag("second", { resourceId: "subnet-2", key: "team", value: first.value });
            }),
        );
        expect(e).to.be.instanceOf(ProgramFailure);
        expect(e.message).to.equal(
            "aws:ec2/tag:Tag second: input value is only known after deployment, and the " +
                "offline cloud (cloudMocks in offline/cloud-mocks.ts) does not answer it",
        );
    });

    it("fails the same way for a stack output", async () => {
        const e = await runError(
            runOffline("t", () => ({
                tagValue: new Tag("only", { resourceId: "subnet-1", key: "team", value: "ml" }).value,
            })),
        );
        expect(e.message).to.match(/^stack output tagValue is only known after deployment/);
    });

    it("names resources as the engine does: the parent's whole qualified type, never the root stack's", () => {
        const stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
        const component = engineUrn("dev", "p", stack, "a:index:A", "a");
        expect(component).to.equal("urn:pulumi:dev::p::a:index:A::a");
        const child = engineUrn("dev", "p", component, "b:index:B", "b");
        expect(child).to.equal("urn:pulumi:dev::p::a:index:A$b:index:B::b");
        // MockMonitor would drop a:index:A here.
        expect(engineUrn("dev", "p", child, "c:index:C", "c")).to.equal(
            "urn:pulumi:dev::p::a:index:A$b:index:B$c:index:C::c",
        );
        expect(engineUrn("dev", "p", undefined, "c:index:C", "c")).to.equal("urn:pulumi:dev::p::c:index:C::c");
    });
});
