// How versions are tagged (docs/releasing.md), and the README's install example following it.
import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

describe("releases", () => {
    it("the README's git install names the release tag of package.json's version, as docs/releasing.md says tags are made", () => {
        const { version } = JSON.parse(read("package.json"));
        expect(read("README.md")).to.contain(`gpu-karpenter.git#v${version}"`);
        expect(read("docs/releasing.md")).to.contain("the git tag `v<version>`");
    });
});
