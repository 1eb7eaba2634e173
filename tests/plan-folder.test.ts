// The plan's output folder: it never deletes or overwrites what it did not write.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PLAN_MARKER, PlanFolderError, writePlanFolder } from "../offline/plan-folder";
import { errorMessage, readJson } from "./helpers";

/** Every file under `dir` with its text, by path with `/`. */
function contents(dir: string): Record<string, string> {
    return Object.fromEntries(
        readdirSync(dir, { recursive: true, withFileTypes: true })
            .filter(e => e.isFile())
            .map(e => {
                const full = path.join(e.parentPath, e.name);
                return [path.relative(dir, full).split(path.sep).join("/"), readFileSync(full, "utf8")];
            }),
    );
}

const refusal = (write: () => void) => errorMessage(PlanFolderError, write);

describe("the plan's output folder", () => {
    let tmp: string;
    beforeEach(() => {
        tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-plan-folder-"));
    });
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));

    const plan1 = new Map([
        ["cost.json", "{}\n"],
        ["manifests/nodepool-old.yaml", "kind: NodePool\n"],
        ["iam/old-role/trust-policy.json", "{}\n"],
    ]);
    const plan2 = new Map([
        ["cost.json", '{"a":1}\n'],
        ["manifests/nodepool-new.yaml", "kind: NodePool\n"],
    ]);

    it("writes a new folder with a marker listing every file it wrote", () => {
        const out = path.join(tmp, "new", "plan");
        writePlanFolder(out, "new/plan", plan1, { stack: "dev" });
        const marker = readJson(path.join(out, PLAN_MARKER));
        expect(marker.stack).to.equal("dev");
        expect(Object.keys(marker.files)).to.deep.equal([...plan1.keys()]);
        const { [PLAN_MARKER]: _, ...written } = contents(out);
        expect(written).to.deep.equal(Object.fromEntries(plan1));
    });

    it("refuses a folder of the user's files, and leaves every one as it was", () => {
        const out = path.join(tmp, "mine");
        mkdirSync(path.join(out, "manifests"), { recursive: true });
        writeFileSync(path.join(out, "notes.txt"), "my notes\n");
        writeFileSync(path.join(out, "cost.json"), "my own cost sheet\n");
        writeFileSync(path.join(out, "manifests", "nodepool-old.yaml"), "my pool\n");
        const before = contents(out);
        expect(refusal(() => writePlanFolder(out, "mine", plan1, {}))).to.equal(
            "--out mine: the folder holds files and is not an earlier plan's (it has no plan.json from one), so " +
                "the plan leaves it alone; name an empty or new folder. A plan deletes only what an earlier plan " +
                "wrote (a plan from before plans were marked with plan.json: delete that folder yourself).",
        );
        expect(contents(out)).to.deep.equal(before);
    });

    it("refuses a file given as the folder", () => {
        const file = path.join(tmp, "file");
        writeFileSync(file, "text\n");
        expect(refusal(() => writePlanFolder(file, "file", plan1, {}))).to.contain("--out file: is not a folder");
        expect(readFileSync(file, "utf8")).to.equal("text\n");
    });

    it("replaces an earlier plan's files, and keeps what the user put beside them", () => {
        const out = path.join(tmp, "plan");
        writePlanFolder(out, "plan", plan1, {});
        writeFileSync(path.join(out, "notes.txt"), "my notes\n");
        writeFileSync(path.join(out, "manifests", "mine.yaml"), "kind: ConfigMap\n");
        writePlanFolder(out, "plan", plan2, {});
        const { [PLAN_MARKER]: marker, ...after } = contents(out);
        expect(after).to.deep.equal({
            ...Object.fromEntries(plan2),
            "notes.txt": "my notes\n",
            "manifests/mine.yaml": "kind: ConfigMap\n",
        });
        expect(Object.keys(JSON.parse(marker).files)).to.deep.equal([...plan2.keys()]);
        // The earlier plan's folder for a role that is gone is gone with its files.
        expect(readdirSync(out).sort()).to.deep.equal(["cost.json", "manifests", "notes.txt", PLAN_MARKER]);
    });

    it("refuses to replace a file the earlier plan wrote and the user changed, changing nothing", () => {
        const out = path.join(tmp, "plan");
        writePlanFolder(out, "plan", plan1, {});
        writeFileSync(path.join(out, "manifests", "nodepool-old.yaml"), "kind: NodePool # tuned by hand\n");
        const before = contents(out);
        expect(refusal(() => writePlanFolder(out, "plan", plan2, {}))).to.equal(
            "--out plan: manifests/nodepool-old.yaml changed since the plan wrote it; the plan does not " +
                "overwrite a change it did not make. Move it out of the folder (or delete it), or name another folder.",
        );
        expect(contents(out)).to.deep.equal(before);
    });

    it("refuses to write over a user's file where the new plan writes one, changing nothing", () => {
        const out = path.join(tmp, "plan");
        writePlanFolder(out, "plan", plan1, {});
        writeFileSync(path.join(out, "manifests", "nodepool-new.yaml"), "my own pool\n");
        const before = contents(out);
        expect(refusal(() => writePlanFolder(out, "plan", plan2, {}))).to.equal(
            "--out plan: manifests/nodepool-new.yaml is not the earlier plan's, and the new plan would write " +
                "there; move it out of the folder, or name another folder.",
        );
        expect(contents(out)).to.deep.equal(before);
    });

    it("refuses a marker that names a file outside the folder, deleting nothing", () => {
        const out = path.join(tmp, "plan");
        mkdirSync(out);
        writeFileSync(path.join(tmp, "precious.txt"), "keep\n");
        writeFileSync(
            path.join(out, PLAN_MARKER),
            JSON.stringify({ writtenBy: "gpu-karpenter offline plan", files: { "../precious.txt": "0" } }),
        );
        expect(refusal(() => writePlanFolder(out, "plan", plan2, {}))).to.contain("is not an earlier plan's");
        expect(readFileSync(path.join(tmp, "precious.txt"), "utf8")).to.equal("keep\n");
    });
});
