// What the offline entry points change in how @pulumi/pulumi loads (offline/defer-sdk-internals.ts,
// installed for these tests by .mocharc.json): the SDK works as published, minus the eager loads
// and the promise stack traces nothing here uses.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");

// The change applies to what the SDK loads itself: load the SDK first, so that this is the module
// it loaded in this process, whether or not a test file that ran before here loaded it already.
require("@pulumi/pulumi");
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
};

describe("offline SDK loading", () => {
    it("loads the SDK without the TypeScript compiler or npm's Arborist", () => {
        // In a process of its own: other tests load TypeScript for reasons of their own.
        const script = `
            require("./offline/defer-sdk-internals");
            require("@pulumi/pulumi");
            const eager = Object.keys(require.cache).filter(f => /[\\\\/]node_modules[\\\\/](typescript|@npmcli[\\\\/]arborist)[\\\\/]/.test(f));
            process.stdout.write(JSON.stringify(eager));`;
        const out = execFileSync(process.execPath, ["--require", "tsx/cjs", "-e", script], {
            cwd: PROJECT_DIR,
            encoding: "utf8",
        });
        expect(JSON.parse(out)).to.deep.equal([]);
    });

    it("gives the SDK's promises no stack trace, and leaves what they resolve or reject to", async () => {
        const limit = Error.stackTraceLimit;
        const resolved = Promise.resolve(42);
        expect(await debuggable.debuggablePromise(resolved, "test")).to.equal(42);
        expect((resolved as unknown as { _debugStackTrace: string })._debugStackTrace).to.equal("Error");
        const failure = new Error("boom");
        const rejected = debuggable.debuggablePromise(Promise.reject(failure), "test");
        await rejected.then(
            () => expect.fail("resolved"),
            (e: unknown) => expect(e).to.equal(failure),
        );
        expect(Error.stackTraceLimit).to.equal(limit);
    });
});
