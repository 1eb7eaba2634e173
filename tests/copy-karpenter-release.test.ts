// The documented way to refresh the vendored Karpenter data (docs/refreshing-karpenter-data.md):
// copy a release's files out of a clone, then run both refresh scripts on the copy. The clone here is
// a git repository made for the test, holding the fixtures at the paths the files have upstream.
import { expect } from "chai";
import { execFileSync } from "child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { main as copyRelease, releaseFiles } from "../scripts/copy-karpenter-release";
import { main as refreshSchemas, type SchemaSource } from "../scripts/refresh-crd-schemas";
import { main as refreshTable, type InstanceTypeTable } from "../scripts/refresh-instance-types";
import { RefreshError } from "../scripts/upstream";

const FIXTURES = path.join(__dirname, "fixtures");
const quiet = () => undefined;

describe("copying a Karpenter release for the refresh scripts", () => {
    let tmp: string;
    let clone: string;
    let commit: string;
    before(() => {
        tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-copy-release-"));
        clone = path.join(tmp, "karpenter-provider-aws");
        const fixture: Record<string, string> = {
            "crds/karpenter.sh_nodepools.yaml": path.join(FIXTURES, "karpenter-crds"),
            "crds/karpenter.k8s.aws_ec2nodeclasses.yaml": path.join(FIXTURES, "karpenter-crds"),
        };
        for (const f of releaseFiles()) {
            const from = path.join(fixture[f.file] ?? path.join(FIXTURES, "karpenter-data", "v1.14.1"), f.file);
            mkdirSync(path.dirname(path.join(clone, f.path)), { recursive: true });
            cpSync(from, path.join(clone, f.path));
        }
        const git = (...args: string[]) =>
            execFileSync("git", ["-C", clone, ...args], {
                env: {
                    ...process.env,
                    GIT_AUTHOR_NAME: "t",
                    GIT_AUTHOR_EMAIL: "t@example.com",
                    GIT_COMMITTER_NAME: "t",
                    GIT_COMMITTER_EMAIL: "t@example.com",
                },
            })
                .toString()
                .trim();
        execFileSync("git", ["init", "--quiet", clone]);
        git("add", "-A");
        git("commit", "--quiet", "-m", "release");
        git("tag", "v9.9.9");
        commit = git("rev-parse", "HEAD");
        // After the tag: what a later commit on main changed must not be copied.
        writeFileSync(path.join(clone, releaseFiles()[0].path), "changed after the release\n");
        git("commit", "--quiet", "-am", "later");
    });
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it("copies the files the vendored data came from, as they are at the tag, with a README the refresh scripts read", () => {
        const out = path.join(tmp, "v9.9.9");
        const logged: string[] = [];
        expect(copyRelease([clone, "v9.9.9", out], l => logged.push(l))).to.equal(0);
        expect(readdirSync(out).sort()).to.deep.equal(["README.md", "crds", "data"]);
        const first = releaseFiles()[0];
        expect(readFileSync(path.join(out, first.file), "utf8")).to.equal(
            readFileSync(path.join(FIXTURES, "karpenter-crds", first.file), "utf8"),
        );
        expect(logged[0]).to.match(
            new RegExp(`^wrote .*v9\\.9\\.9/: crds/.* from .* v9\\.9\\.9 \\(${commit.slice(0, 12)}\\)$`),
        );

        const schemas = path.join(tmp, "schemas");
        expect(refreshSchemas([out, "--out", schemas], quiet)).to.equal(0);
        const source = JSON.parse(readFileSync(path.join(schemas, "SOURCE.json"), "utf8")) as SchemaSource;
        expect(source.source).to.deep.include({
            repository: "https://github.com/aws/karpenter-provider-aws",
            tag: "v9.9.9",
            commit,
        });
        expect(source.source.files.map(f => f.path)).to.deep.equal([
            "pkg/apis/crds/karpenter.sh_nodepools.yaml",
            "pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
        ]);

        const tableFile = path.join(tmp, "table.json");
        expect(
            refreshTable([path.join(out, "data"), "--out", tableFile, "--generated-at", "2026-12-01"], quiet),
        ).to.equal(0);
        const table = JSON.parse(readFileSync(tableFile, "utf8")) as InstanceTypeTable;
        expect(table.source).to.deep.include({ tag: "v9.9.9", commit });
        expect(table.instanceTypes.map(t => t.type)).to.include("p5.48xlarge");
    });

    it("stops, writing nothing, on a tag the clone does not have or a folder that is not empty", () => {
        expect(() => copyRelease([clone, "v1.15.2", path.join(tmp, "none")], quiet)).to.throw(
            RefreshError,
            `${clone}: has no tag v1.15.2; release tags look like v1.14.1 (git -C ${clone} fetch --tags to get new ones)`,
        );
        expect(readdirSync(tmp)).not.to.include("none");
        const mine = path.join(tmp, "mine");
        mkdirSync(mine);
        writeFileSync(path.join(mine, "notes.txt"), "keep\n");
        expect(() => copyRelease([clone, "v9.9.9", mine], quiet)).to.throw(RefreshError, "is not empty");
        expect(readdirSync(mine)).to.deep.equal(["notes.txt"]);
    });

    it("is what docs/refreshing-karpenter-data.md describes: each file it copies, by its path upstream", () => {
        const doc = readFileSync(path.join(__dirname, "..", "docs", "refreshing-karpenter-data.md"), "utf8");
        for (const f of releaseFiles()) expect(doc, f.path).to.contain(`\`${f.path}\``);
        expect(doc).to.contain(
            "npm run copy-karpenter-release -- ../karpenter-provider-aws v1.15.2 ../karpenter-v1.15.2",
        );
    });

    it("prints its usage on --help, listing each file and where it comes from, and exits 0", () => {
        const logged: string[] = [];
        expect(copyRelease(["--help"], l => logged.push(l))).to.equal(0);
        expect(logged.join("\n")).to.match(/^usage: npm run copy-karpenter-release -- /);
        expect(logged.join("\n")).to.contain(
            "data/instance-types.md                      <- website/content/en/docs/reference/instance-types.md",
        );
    });
});
