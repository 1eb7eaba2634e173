#!/usr/bin/env node
// Runs one of the project's TypeScript command-line entry points (a module exporting `main(args)`,
// which returns the exit code or a promise of it: offline/plan, policies/check-manifests) from
// JavaScript compiled into .build/. Type-checking happens in `npm test`, not here; compiling is
// esbuild's transpile-only pass, redone only when a source is newer than the last build, so a run
// costs what loading the SDKs costs.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, ".build");
const STAMP = path.join(OUT, ".stamp");
const SOURCE_DIRS = ["components", "offline", "policies", "program"];

function sources() {
    const found = [path.join(ROOT, "index.ts")];
    const walk = dir => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            if (entry.name === "node_modules") continue;
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (
                /\.(ts|json)$/.test(entry.name) &&
                !/\.d\.ts$/.test(entry.name) &&
                !/^(package|package-lock|tsconfig)\.json$/.test(entry.name)
            )
                found.push(full);
        }
    };
    SOURCE_DIRS.forEach(dir => walk(path.join(ROOT, dir)));
    return found;
}

function stale(files) {
    let built;
    try {
        built = fs.statSync(STAMP).mtimeMs;
    } catch {
        return true;
    }
    return fs.readFileSync(STAMP, "utf8") !== files.join("\n") || files.some(f => fs.statSync(f).mtimeMs > built);
}

function build(files) {
    fs.rmSync(OUT, { recursive: true, force: true });
    require("esbuild").buildSync({
        entryPoints: files,
        outdir: OUT,
        outbase: ROOT,
        format: "cjs",
        platform: "node",
        target: "node20",
        loader: { ".json": "copy" },
        logLevel: "warning",
    });
    fs.writeFileSync(STAMP, files.join("\n"));
}

/** Compiles .build/ unless it is current. */
function ensureBuilt() {
    const files = sources();
    if (stale(files)) build(files);
}

function main() {
    const [entry, ...args] = process.argv.slice(2);
    if (!entry) {
        process.stderr.write("usage: node offline/launch.js <entry, e.g. offline/plan> [args...]\n");
        process.exit(2);
    }
    ensureBuilt();
    process.argv = [process.argv[0], path.join(OUT, `${entry}.js`), ...args];
    const command = require(path.join(OUT, `${entry}.js`));
    Promise.resolve()
        .then(() => command.main(args))
        .then(
            code => {
                process.exitCode = code;
            },
            error => {
                process.stderr.write(`error: ${error && error.message ? error.message : String(error)}\n`);
                process.exitCode = 2;
            },
        );
}

// Loaded as a module by the test runner, which builds once before its parallel workers start, so
// that no two plans rebuild .build/ at the same time.
if (require.main === module) main();
else module.exports = { ensureBuilt };
