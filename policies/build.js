#!/usr/bin/env node
// Builds the pack the engine runs: esbuild bundles index.ts and everything it imports (the shared
// rules in ../components included, JSON data files inlined by esbuild's json loader) into
// bin/index.js, so the folder `npm pack` ships is self-contained and starts from plain JavaScript,
// with no type-checking at each preview. Only the pack's dependencies stay outside the bundle:
// they are installed next to it, and the SDKs must be the very copies run-policy-pack loads.
//
// npm runs this as `prepare`: on `npm ci` / `npm install` here, and before `npm pack` (which
// `pulumi policy publish` runs). It also runs when a published pack is installed (the CLI unpacks
// the tarball and runs `npm install` in it), where there are no sources: the bundle came in the
// tarball, so there is nothing to do.
"use strict";
const fs = require("fs");
const path = require("path");

const PACK_DIR = __dirname;
const ENTRY = path.join(PACK_DIR, "index.ts");
const OUTFILE = path.join(PACK_DIR, "bin", "index.js");

/** Bundles `entry` into `outfile`; returns esbuild's metafile (what went in, what the bundle still imports). */
function buildPack({ entry = ENTRY, outfile = OUTFILE } = {}) {
    const { dependencies = {} } = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8"));
    const result = require("esbuild").buildSync({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        external: Object.keys(dependencies),
        // The shared sources in ../components import yaml and smol-toml: found in the repository's
        // node_modules when it is installed, else in the pack's own (its devDependencies).
        nodePaths: [path.join(PACK_DIR, "node_modules")],
        // Stack traces point into the TypeScript sources; the map is only read when one is printed.
        sourcemap: true,
        metafile: true,
        logLevel: "warning",
    });
    return result.metafile;
}

module.exports = { buildPack, ENTRY, OUTFILE };

if (require.main === module) {
    if (fs.existsSync(ENTRY)) {
        buildPack();
    }
}
