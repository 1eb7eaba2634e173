#!/usr/bin/env node
// `npm test`: the type check and lint (scripts/typecheck-lint.js), prettier --check and every mocha
// test file but the packed-package ones, all at once; the tests start once `npm run build` has
// found bin/ current (or rebuilt it). mocha runs the files in three worker processes (--parallel;
// the workers of the longest files mostly wait on the processes those start), the longest first;
// its report streams as each file ends, the other checks' output follows it, then one line per
// check and `checks: N passed, N failed`. Exits 1 if anything failed.
// `npm run test:packages` (`--packages`): the build, then the files that `npm pack` this project
// and the policy pack and `npm install` the tarballs into projects of their own (PACKAGE_TESTS).
// docs/testing.md says what each part costs, how it was measured, and how to run one file.
"use strict";
const { spawn } = require("child_process");
const { readdirSync } = require("fs");
const { tmpdir } = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const TESTS = path.join(ROOT, "tests");
// The files that take longest start first, longest first, so that none of them is left running alone at
// the end (CPU seconds each, measured as docs/testing.md says); the rest follow in name order. A
// file missing from the list only starts later.
const FIRST = [
    "engine-harness.test.ts",
    "plan.test.ts",
    "policies-check-manifests.test.ts",
    "rerun.test.ts",
    "provider-schema.test.ts",
    "provider.test.ts",
    "plan-cost.test.ts",
];
// The packed packages as another project gets them: about 40 s of a 2-core machine's two cores
// between them (npm installing the SDKs, the consumer's compiler over all of @pulumi/aws), so they
// are `npm run test:packages`, which CI runs after `npm test`.
const PACKAGE_TESTS = ["consumer.test.ts", "policies-pack.test.ts"];
const JOBS = "3";

const USAGE = "usage: npm test | npm run test:packages (to run one file: npx mocha tests/<file>.test.ts)";
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${USAGE}

npm test: the type check and ESLint, prettier --check and every mocha test file but the
packed-package ones, at once; ends with one line per check and \`checks: N passed, N failed\`.
npm run test:packages: ${PACKAGE_TESTS.join(" and ")}, which npm pack this project and the
policy pack and npm install the tarballs into projects of their own. CI runs both.
Exit status: 0 when every check passes, 1 when one fails, 2 on a bad argument (docs/testing.md).
`);
    process.exit(0);
}
if (args.length > 1 || (args.length === 1 && args[0] !== "--packages")) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
}
const packagesOnly = args[0] === "--packages";

const testFiles = () => {
    const files = readdirSync(TESTS, { recursive: true })
        .map(String)
        .filter(f => f.endsWith(".test.ts") && !f.split(path.sep).includes("node_modules"))
        .sort();
    if (packagesOnly) return files.filter(f => PACKAGE_TESTS.includes(f)).map(f => path.join("tests", f));
    const rest = files.filter(f => !PACKAGE_TESTS.includes(f));
    const first = FIRST.filter(f => rest.includes(f));
    return [...first, ...rest.filter(f => !first.includes(f))].map(f => path.join("tests", f));
};

const color = process.stdout.isTTY ? { FORCE_COLOR: "1" } : {};
// Node's on-disk cache of compiled JavaScript, for every node process the checks start (about a
// hundred, most loading the same SDKs), in the folder npm and tsc already use when they turn it on.
// A cache set in the environment is kept.
const compileCache = { NODE_COMPILE_CACHE: path.join(tmpdir(), "node-compile-cache") };

/** Runs `args` with this Node; `stream` passes its output through as it comes, and keeps a copy. */
function run(name, args, { stream = false } = {}) {
    return new Promise(resolve => {
        const child = spawn(process.execPath, args, {
            cwd: ROOT,
            env: { ...compileCache, ...process.env, ...color },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        const keep = target => chunk => {
            output += chunk;
            if (stream) target.write(chunk);
        };
        child.stdout.on("data", keep(process.stdout));
        child.stderr.on("data", keep(process.stderr));
        child.on("error", error => resolve({ name, code: 1, output: `${output}${error.message}\n` }));
        child.on("close", (code, signal) => resolve({ name, code: code ?? 1, signal, output }));
    });
}

// eslint-disable-next-line no-control-regex
const plain = text => text.replace(/\x1b\[[0-9;]*m/g, "");

/** mocha's own summary, its last "N passing", "N failing" and "N pending" lines. */
function mochaSummary(output) {
    const text = plain(output);
    return ["passing", "failing", "pending"]
        .map(word => [...text.matchAll(new RegExp(`^ {2}(\\d+ ${word})\\b`, "gm"))].pop())
        .filter(Boolean)
        .map(m => m[1])
        .join(", ");
}

async function main() {
    const started = Date.now();
    const resolveBin = request => require.resolve(request, { paths: [ROOT] });
    const statics = Promise.all(
        packagesOnly
            ? []
            : [
                  run("tsc + eslint", [path.join("scripts", "typecheck-lint.js")]),
                  run("prettier", [resolveBin("prettier/bin/prettier.cjs"), "--check", "."]),
              ],
    );
    // bin/ up to date before any test file starts: the consumer test's `npm pack` then finds it
    // current, and the tests that read bin/ (engine-harness) never see it rebuilt.
    const build = await run("build", [path.join("scripts", "build.js")]);
    const mocha = await run(
        "mocha",
        [
            resolveBin("mocha/bin/mocha.js"),
            "--parallel",
            "--jobs",
            JOBS,
            ...(process.stdout.isTTY ? ["--color"] : []),
            ...testFiles(),
        ],
        { stream: true },
    );
    const others = [build, ...(await statics)];
    for (const check of others) {
        process.stdout.write(`\n── ${check.name} ──\n${check.output}`);
    }
    const results = [mocha, ...others];
    const failed = results.filter(r => r.code !== 0);
    process.stdout.write("\n");
    for (const r of results) {
        const detail = r === mocha ? mochaSummary(r.output) : "";
        const verdict = r.code === 0 ? "ok" : `FAILED (${r.signal ? r.signal : `exit ${r.code}`})`;
        process.stdout.write(`  ${r.name.padEnd(13)} ${verdict}${detail ? `: ${detail}` : ""}\n`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    // The last line alone, in the plain `word: N passed, N failed` form CI readers recognise.
    process.stdout.write(
        `${packagesOnly ? "npm run test:packages" : "npm test"} took ${seconds} s${failed.length ? `; failed: ${failed.map(r => r.name).join(", ")}` : ""}\n` +
            `checks: ${results.length - failed.length} passed, ${failed.length} failed\n`,
    );
    return failed.length ? 1 : 0;
}

main().then(
    code => (process.exitCode = code),
    error => {
        process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
        process.exitCode = 2;
    },
);
