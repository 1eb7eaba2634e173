#!/usr/bin/env node
// `node tests/consumer-typecheck.js <project> <tsconfig>`: what `tsc -p <tsconfig> --noEmit` reports
// in that project, with the project's own TypeScript, except the semantic check of declaration
// files under node_modules other than gpu-karpenter's (the SDKs', @types/node, TypeScript's own lib
// files). The consumer test's first run is plain `tsc` and checks those in full under the template's
// tsconfig; this second run, under the older moduleResolution, is there for how our package and
// the project's own files resolve and type-check, so it does not check @pulumi/aws's 3,700
// declaration files a second time (about 10 CPU s of the 19 a full run takes).
// Diagnostics are printed as tsc prints them; exit 1 if any, as tsc does.
"use strict";
const path = require("path");

/** The files whose every diagnostic counts: the project's, and gpu-karpenter's declarations. */
function checkedInFull(fileName) {
    const parts = fileName.split(/[\\/]/);
    const at = parts.lastIndexOf("node_modules");
    return at < 0 || parts[at + 1] === "gpu-karpenter";
}

function typecheck(project, tsconfig) {
    const ts = require(require.resolve("typescript", { paths: [project] }));
    const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: d => report(ts, project, [d]) };
    const parsed = ts.getParsedCommandLineOfConfigFile(path.resolve(project, tsconfig), { noEmit: true }, host);
    const program = ts.createProgram({
        rootNames: parsed.fileNames,
        options: parsed.options,
        projectReferences: parsed.projectReferences,
        configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
    });
    // tsc's order (emitFilesAndReportErrors): config and options, then syntax; semantics only when
    // the syntax is sound.
    let diagnostics = [
        ...program.getConfigFileParsingDiagnostics(),
        ...program.getOptionsDiagnostics(),
        ...program.getSyntacticDiagnostics(),
    ];
    if (diagnostics.length === 0) {
        diagnostics = [
            ...program.getGlobalDiagnostics(),
            ...program
                .getSourceFiles()
                .filter(f => checkedInFull(f.fileName))
                .flatMap(f => program.getSemanticDiagnostics(f)),
        ];
    }
    if (diagnostics.length > 0) report(ts, project, diagnostics);
}

function report(ts, project, diagnostics) {
    const host = { getCanonicalFileName: f => f, getCurrentDirectory: () => project, getNewLine: () => "\n" };
    process.stdout.write(ts.formatDiagnostics(diagnostics, host));
    process.exit(1);
}

if (require.main === module) {
    const [project, tsconfig] = process.argv.slice(2);
    if (!project || !tsconfig) {
        process.stderr.write("usage: node tests/consumer-typecheck.js <project> <tsconfig>\n");
        process.exit(2);
    }
    typecheck(path.resolve(project), tsconfig);
}

module.exports = { checkedInFull };
