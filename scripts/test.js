#!/usr/bin/env node
// `npm test`: the type check and lint (scripts/typecheck-lint.js), prettier --check and every mocha
// test file, all at once; the tests start once `npm run build` has found bin/ current (or rebuilt
// it). mocha runs the files in three worker processes (--parallel; the workers of the longest files
// mostly wait on the processes those start), the longest first; its report streams as each file
// ends, the other checks' output follows it, then one line per check and
// `checks: N passed, N failed`. Exits 1 if anything failed. docs/testing.md says what each part
// costs, how it was measured, and how to run one file.
"use strict";
const { spawn } = require("child_process");
const { readdirSync } = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const TESTS = path.join(ROOT, "tests");
// The files that take longest start first, longest first, so that none of them is left running alone at
// the end (CPU seconds each, measured as docs/testing.md says); the rest follow in name order. A
// file missing from the list only starts later.
const FIRST = [
    "consumer.test.ts",
    "engine-harness.test.ts",
    "policies-pack.test.ts",
    "plan.test.ts",
    "policies-check-manifests.test.ts",
    "rerun.test.ts",
    "provider-schema.test.ts",
    "provider.test.ts",
    "plan-cost.test.ts",
];
const JOBS = "3";

if (process.argv.length > 2) {
    process.stderr.write("npm test takes no arguments; to run one file: npx mocha tests/<file>.test.ts\n");
    process.exit(2);
}

const testFiles = () => {
    const files = readdirSync(TESTS, { recursive: true })
        .map(String)
        .filter(f => f.endsWith(".test.ts") && !f.split(path.sep).includes("node_modules"))
        .sort();
    const first = FIRST.filter(f => files.includes(f));
    return [...first, ...files.filter(f => !first.includes(f))].map(f => path.join("tests", f));
};

const color = process.stdout.isTTY ? { FORCE_COLOR: "1" } : {};

/** Runs `args` with this Node; `stream` passes its output through as it comes, and keeps a copy. */
function run(name, args, { stream = false } = {}) {
    return new Promise(resolve => {
        const child = spawn(process.execPath, args, {
            cwd: ROOT,
            env: { ...process.env, ...color },
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
    const statics = Promise.all([
        run("tsc + eslint", [path.join("scripts", "typecheck-lint.js")]),
        run("prettier", [resolveBin("prettier/bin/prettier.cjs"), "--check", "."]),
    ]);
    // bin/ up to date before any test file starts: the consumer test's `npm pack` then finds it
    // current instead of rebuilding it under the tests that read it (engine-harness).
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
        `npm test took ${seconds} s${failed.length ? `; failed: ${failed.map(r => r.name).join(", ")}` : ""}\n` +
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
