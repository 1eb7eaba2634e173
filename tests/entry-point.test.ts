// Which file `pulumi up` runs here, by the rules of the engine (Pulumi.yaml `main`, getPwdMain), the
// nodejs language host (--pwd and the entry point) and @pulumi/pulumi's cmd/run/run.js (package.json
// exports, then main, then the directory): offline/entry-point.ts, which cites each line. The launch
// test (tests/engine-harness.test.ts) checks these answers against what the real run.js ran.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { EntryPointError, pwdMain, resolveProgram } from "../offline/entry-point";
import { readProject } from "../offline/stack";
import { readJson } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

describe("the program `pulumi up` runs", () => {
    it("is index.ts: Pulumi.yaml's main, handed to run.js as the entry point in the project root", () => {
        expect(resolveProgram(ROOT, readProject(ROOT).main ?? undefined)).to.deep.equal({
            pwd: ROOT,
            entryPoint: "index.ts",
            program: path.join(ROOT, "index.ts"),
            file: path.join(ROOT, "index.ts"),
            rule: "Pulumi.yaml main",
        });
    });

    it("while the package's own entry points stay the component library (exports) and the component provider (main)", () => {
        const pkg = readJson(path.join(ROOT, "package.json"));
        expect(pkg.exports["."].default).to.equal("./bin/components/index.js");
        // run-plugin requires the plugin folder, so main, not exports (docs/languages.md).
        expect(pkg.main).to.equal("bin/provider/index.js");
    });

    describe("by run.js's rules, in a project like this one (files only, nothing run)", () => {
        let dir: string;
        const write = (file: string, text = "") => {
            mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            writeFileSync(path.join(dir, file), text);
        };
        const pkg = (fields: Record<string, unknown>) =>
            write("package.json", JSON.stringify({ name: "p", ...fields }));
        const resolved = (main?: string) => {
            const r = resolveProgram(dir, main);
            return {
                ...r,
                pwd: path.relative(dir, r.pwd),
                program: path.relative(dir, r.program),
                file: path.relative(dir, r.file),
            };
        };

        beforeEach(() => {
            dir = mkdtempSync(path.join(tmpdir(), "entry-point-"));
            write("index.ts");
            write("bin/components/index.js");
        });
        afterEach(() => rmSync(dir, { recursive: true, force: true }));

        it("without main, package.json's exports['.'] wins: this package would run its library", () => {
            write("package.json", JSON.stringify(readJson(path.join(ROOT, "package.json"))));
            expect(resolved()).to.deep.include({
                entryPoint: ".",
                file: "bin/components/index.js",
                rule: 'package.json exports["."]',
            });
        });

        it("a main that names the directory is the same as none", () => {
            write("package.json", JSON.stringify(readJson(path.join(ROOT, "package.json"))));
            expect(resolved(".")).to.deep.include({ entryPoint: ".", file: "bin/components/index.js" });
        });

        it("a main directory below the project still takes the package.json above it", () => {
            pkg({ exports: { ".": { default: "./bin/components/index.js" } } });
            write("src/index.ts");
            expect(resolved("src")).to.deep.include({ pwd: "src", entryPoint: ".", file: "bin/components/index.js" });
        });

        it("exports as a string, or exports['.'] as a string", () => {
            pkg({ exports: "./bin/components/index.js" });
            expect(resolved()).to.deep.include({ file: "bin/components/index.js", rule: "package.json exports" });
            pkg({ exports: { ".": "./bin/components/index.js" } });
            expect(resolved()).to.deep.include({ file: "bin/components/index.js", rule: 'package.json exports["."]' });
        });

        it("with no exports, package.json's main", () => {
            pkg({ main: "bin/components/index.js" });
            expect(resolved()).to.deep.include({ file: "bin/components/index.js", rule: "package.json main" });
        });

        it("an export or main that does not exist falls back to the directory, where index.js comes before index.ts", () => {
            pkg({ exports: { ".": { default: "./missing.js" } } });
            expect(resolved()).to.deep.include({ program: "", file: "index.ts", rule: "the program directory" });
            write("index.js");
            expect(resolved()).to.deep.include({ file: "index.js" });
        });

        it("main: index.ts runs index.ts whatever package.json says", () => {
            write("package.json", JSON.stringify(readJson(path.join(ROOT, "package.json"))));
            write("index.js");
            expect(resolved("index.ts")).to.deep.include({ pwd: "", entryPoint: "index.ts", file: "index.ts" });
        });

        it("a main that does not exist stops the CLI before anything runs", () => {
            expect(() => pwdMain(dir, "src/main.ts")).to.throw(EntryPointError, /^project 'main' could not be read: /);
        });
    });
});
