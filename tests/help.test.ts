// `--help` on every command of package.json's scripts prints its usage and exits 0, doing nothing
// else. check-manifests' and copy-karpenter-release's are with their other tests.
import { expect } from "chai";
import * as path from "path";
import { main as refreshSchemas } from "../scripts/refresh-crd-schemas";
import { main as refreshTable } from "../scripts/refresh-instance-types";
import { planCli, readJson, runCommand } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

describe("--help", () => {
    it("is answered by every command in package.json's scripts that takes arguments", () => {
        const scripts = Object.keys(readJson(path.join(ROOT, "package.json")).scripts);
        const covered = [
            "plan",
            "check-manifests",
            "refresh-instance-types",
            "refresh-crd-schemas",
            "copy-karpenter-release",
            "bench",
            "bench:pack",
            "bench:launch",
            "bench:provider",
            "bench:test",
            "schema",
            "test",
            "test:packages",
        ];
        // The rest are npm's own chores, which take no arguments of ours.
        const chores = ["build", "typecheck", "prepare", "lint", "format"];
        expect([...scripts].sort()).to.deep.equal([...covered, ...chores].sort());
    });

    it("plan: prints its usage, flags and exit statuses, and exits 0 without planning", async () => {
        const result = await planCli("--help", "--stack", "nosuchstack");
        expect(result).to.include({ code: 0, stderr: "" });
        expect(result.stdout).to.match(
            /^usage: npm run plan -- \[--stack NAME\] \[--cluster FILE\] \[--out DIR\] \[--policy-pack-config FILE\] \[--rerun \[--expect-no-changes\]\]\n/,
        );
        expect(result.stdout).to.contain("--out DIR");
        expect(result.stdout).to.contain("Exit status: 0 when every mandatory policy passes");
    });

    it("the refresh scripts: print their usage and where their input comes from, and exit 0 writing nothing", () => {
        for (const [main, usage] of [
            [refreshSchemas, "usage: npm run refresh-crd-schemas -- "],
            [refreshTable, "usage: npm run refresh-instance-types -- "],
        ] as const) {
            const logged: string[] = [];
            expect(main(["--help"], l => logged.push(l))).to.equal(0);
            expect(logged.join("\n").startsWith(usage), usage).to.equal(true);
            expect(logged.join("\n")).to.contain("npm run copy-karpenter-release");
            expect(logged.join("\n")).to.contain("docs/refreshing-karpenter-data.md");
        }
    });

    it("bench, bench:pack, bench:launch and bench:test: print their usage and exit 0 without timing anything", async () => {
        const [bench, pack, launch, testBench] = await Promise.all([
            runCommand("bash", ["offline/bench.sh", "--help"]),
            runCommand(process.execPath, ["offline/launch.js", "offline/bench-pack", "-h"]),
            runCommand(process.execPath, ["offline/launch.js", "offline/bench-launch", "--help"]),
            runCommand("bash", ["offline/bench-test.sh", "--help"]),
        ]);
        expect(testBench).to.include({ code: 0, stderr: "" });
        expect(testBench.stdout).to.match(/^usage: npm run bench:test \[-- --packages\]\n/);
        expect(launch).to.include({ code: 0, stderr: "" });
        expect(launch.stdout).to.match(/^usage: npm run bench:launch \[-- --stack NAME\]\n/);
        expect(bench).to.include({ code: 0, stderr: "" });
        expect(bench.stdout).to.match(/^usage: npm run bench \[-- --help\]\n/);
        expect(pack).to.include({ code: 0, stderr: "" });
        expect(pack.stdout).to.match(/^usage: npm run bench:pack \[-- --pack-dir DIR\]\n/);
    });

    it("bench:provider and schema: print their usage and exit 0 without starting a plugin or writing the schema", async () => {
        const [provider, schema] = await Promise.all([
            runCommand(process.execPath, ["offline/launch.js", "offline/bench-provider", "--help"]),
            runCommand(process.execPath, [
                path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
                "scripts/generate-schema.ts",
                "-h",
            ]),
        ]);
        expect(provider).to.include({ code: 0, stderr: "" });
        expect(provider.stdout).to.match(/^usage: npm run bench:provider \[-- --plugin-dir DIR\]\n/);
        expect(schema).to.include({ code: 0, stderr: "" });
        expect(schema.stdout).to.match(/^usage: npm run schema\n/);
    });

    it("test and test:packages: print their usage and what each runs, and exit 0 running nothing; refuse anything else", async () => {
        const [help, packagesHelp, bad] = await Promise.all([
            runCommand(process.execPath, ["scripts/test.js", "--help"]),
            runCommand(process.execPath, ["scripts/test.js", "--packages", "-h"]),
            runCommand(process.execPath, ["scripts/test.js", "--fast"]),
        ]);
        for (const result of [help, packagesHelp]) {
            expect(result).to.include({ code: 0, stderr: "" });
            expect(result.stdout).to.match(/^usage: npm test \| npm run test:packages /);
            expect(result.stdout).to.contain("consumer.test.ts and policies-pack.test.ts");
            expect(result.stdout).not.to.match(/took \d+ s/);
        }
        expect(bad).to.include({ code: 2, stdout: "" });
        expect(bad.stderr).to.match(/^usage: npm test \| npm run test:packages /);
    });
});
