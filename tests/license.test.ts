// LICENSE and NOTICE stay true to what the repository copies (Apache-2.0 §4(d)): a refresh to another
// Karpenter release fails here until NOTICE names it.
import { expect } from "chai";
import { createHash } from "crypto";
import { readFileSync } from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

describe("LICENSE and NOTICE", () => {
    it("LICENSE is the Apache License 2.0, byte for byte as apache.org publishes it (LICENSE-2.0.txt)", () => {
        expect(createHash("sha256").update(read("LICENSE")).digest("hex")).to.equal(
            "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        );
        expect(JSON.parse(read("package.json")).license).to.equal("Apache-2.0");
    });

    it("NOTICE names the Karpenter release each vendored file came from, and carries Karpenter's NOTICE", () => {
        const notice = read("NOTICE");
        const schemas = JSON.parse(read("offline/schemas/SOURCE.json")).source;
        const table = JSON.parse(read("components/data/gpu-instance-types.json")).source;
        for (const source of [schemas, table]) {
            expect(notice).to.contain(`${source.repository}, tag ${source.tag}\n(commit ${source.commit})`);
            for (const f of source.files) expect(notice, f.path).to.contain(f.path);
        }
        expect(notice).to.contain("Karpenter\nCopyright Amazon.com, Inc. or its affiliates. All Rights Reserved.\n");
        expect(notice).to.contain("Submitted on behalf of a third-party: @sergkondr\n");
    });

    it("both ship: the package's and the policy pack's files list them", () => {
        expect(JSON.parse(read("package.json")).files).to.include.members(["LICENSE", "NOTICE"]);
        expect(JSON.parse(read("policies/package.json")).files).to.include.members(["LICENSE", "NOTICE"]);
    });
});
