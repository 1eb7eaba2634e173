#!/usr/bin/env node
// `npm run build` (and so `prepare`: npm ci, npm pack, git installs): what the package ships, into
// bin/, compiled by `tsc -p tsconfig.build.json` into an emptied bin/. A build records in
// bin/.build.json (not shipped: package.json "files" names folders under bin/ only) a SHA-256 of
// what it was built from: each file the compiler read outside node_modules (tsc --listFiles), the
// listing of each folder they are in (a file added there can change what an import resolves to),
// both tsconfigs, this script, and node_modules/.package-lock.json, npm's record of the installed
// packages (the compiler and every type definition); and one of each file it wrote. When all of it
// still matches, bin/ is what building again would write, and the build stops there: `npm ci` then
// `npm pack` (the consumer test) compile once. Any other bin/ (an input changed, a file added,
// edited or removed under bin/, no record) is emptied and built again.
"use strict";
const { execFileSync } = require("child_process");
const { createHash } = require("crypto");
const { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "bin");
const RECORD = path.join(OUT, ".build.json");
const FIXED_INPUTS = ["tsconfig.json", "tsconfig.build.json", "scripts/build.js", "node_modules/.package-lock.json"];

const relative = file => path.relative(ROOT, file).split(path.sep).join("/");
const sha256 = file =>
    createHash("sha256")
        .update(readFileSync(path.join(ROOT, file)))
        .digest("hex");
const digests = files => Object.fromEntries(files.map(f => [f, existsSync(path.join(ROOT, f)) ? sha256(f) : null]));
const listing = dir => (existsSync(path.join(ROOT, dir)) ? readdirSync(path.join(ROOT, dir)).sort() : null);

function outputs() {
    return digests(
        readdirSync(OUT, { recursive: true, withFileTypes: true })
            .filter(e => e.isFile())
            .map(e => relative(path.join(e.parentPath, e.name)))
            .filter(f => f !== relative(RECORD))
            .sort(),
    );
}

/** What bin/ was built from, as it is now: the same shape as the record's `inputs`. */
function inputsNow(read) {
    const folders = [...new Set(read.map(f => path.posix.dirname(f)))].sort();
    return {
        fixed: digests(FIXED_INPUTS),
        read: digests(read),
        folders: Object.fromEntries(folders.map(d => [d, listing(d)])),
    };
}

function current() {
    if (!existsSync(RECORD) || !existsSync(path.join(ROOT, "node_modules/.package-lock.json"))) return false;
    try {
        const record = JSON.parse(readFileSync(RECORD, "utf8"));
        const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
        return same(record.inputs, inputsNow(Object.keys(record.inputs.read))) && same(record.outputs, outputs());
    } catch {
        return false;
    }
}

if (current()) {
    process.stdout.write("bin/ is current: built from these sources, compiler and dependencies\n");
} else {
    rmSync(OUT, { recursive: true, force: true });
    let listed;
    try {
        listed = execFileSync(
            process.execPath,
            [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json", "--listFiles"],
            { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
        );
    } catch (e) {
        process.stdout.write(e.stdout || ""); // tsc's diagnostics
        process.exit(typeof e.status === "number" ? e.status : 1);
    }
    const read = listed
        .split("\n")
        .filter(line => path.isAbsolute(line))
        .map(relative)
        .filter(f => !f.startsWith("..") && !f.split("/").includes("node_modules"))
        .sort();
    writeFileSync(RECORD, `${JSON.stringify({ inputs: inputsNow(read), outputs: outputs() }, null, 2)}\n`);
}
