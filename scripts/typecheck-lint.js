#!/usr/bin/env node
// `tsc --noEmit -p .` and `eslint .` over one TypeScript program instead of two (part of `npm test`).
// The type-aware lint rules need the whole project's program, which ESLint would otherwise build
// and type-check a second time after tsc: that second program was a third of their cost.
//
// The tsc half is what tsc's command line does (typescript's executeCommandLine → performCompilation:
// the same host, program and emitFilesAndReportErrorsAndGetExitStatus), with one difference: JSDoc
// is parsed in full, as typescript-eslint parses it for its own program (jsDocParsingMode "all"), so
// rules that read JSDoc see what they would under `eslint .`. tsc parses less of it only because in
// .ts files JSDoc cannot produce a type error (JSDocParsingMode.ParseForTypeErrors), so its
// diagnostics are the same. The ESLint half is `eslint .` with that program handed to the parser
// (parserOptions.programs, which makes it ignore parserOptions.project), same config, same formatter.
//
// Prints tsc's diagnostics, then ESLint's report; exits 1 if either fails. Each check's result goes
// to stdout as a last line `typecheck-lint: tsc <ok|N errors>, eslint <ok|N errors, N warnings>`.
"use strict";
const { existsSync } = require("fs");
const path = require("path");
const ts = require("typescript");
const { ESLint } = require("eslint");

const ROOT = path.resolve(__dirname, "..");

/** `tsc --noEmit -p ROOT`; returns the program (undefined if the config could not be read) and tsc's exit status. */
function typecheck() {
    const sys = ts.sys;
    const report = ts.createDiagnosticReporter(sys, false);
    let unrecoverable = false;
    const config = ts.getParsedCommandLineOfConfigFile(
        path.join(ROOT, "tsconfig.json"),
        { noEmit: true },
        {
            ...sys,
            onUnRecoverableConfigFileDiagnostic: d => {
                unrecoverable = true;
                report(d);
            },
        },
    );
    if (!config || unrecoverable) return { program: undefined, status: 1, errors: 1 };
    const host = ts.createCompilerHost(config.options);
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseAll;
    const program = ts.createProgram({
        rootNames: config.fileNames,
        options: config.options,
        projectReferences: config.projectReferences,
        host,
        configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
    });
    // Internal but exported; typescript is pinned in package.json. This is tsc's own reporting.
    if (typeof ts.emitFilesAndReportErrorsAndGetExitStatus !== "function")
        throw new Error(
            `typescript ${ts.version} has no emitFilesAndReportErrorsAndGetExitStatus: update scripts/typecheck-lint.js`,
        );
    let errors = 0;
    const status = ts.emitFilesAndReportErrorsAndGetExitStatus(
        program,
        d => {
            if (d.category === ts.DiagnosticCategory.Error) errors++;
            report(d);
        },
        s => sys.write(s + sys.newLine),
    );
    return { program, status, errors };
}

/** `eslint .` in ROOT, its typed rules on `program` when there is one. */
async function lint(program) {
    // ESLint's command line applies bulk suppressions from this file; its API does not.
    if (existsSync(path.join(ROOT, "eslint-suppressions.json")))
        throw new Error(
            `eslint-suppressions.json: scripts/typecheck-lint.js does not apply ESLint's bulk suppressions`,
        );
    const eslint = new ESLint({
        cwd: ROOT,
        overrideConfig: program
            ? { files: ["**/*.ts"], languageOptions: { parserOptions: { programs: [program] } } }
            : undefined,
    });
    const results = await eslint.lintFiles(["."]);
    const formatter = await eslint.loadFormatter("stylish");
    const text = await formatter.format(results, {});
    if (text) process.stdout.write(`${text}\n`); // as ESLint's command line prints it (console.log)
    const count = key => results.reduce((n, r) => n + r[key], 0);
    return { errors: count("errorCount"), warnings: count("warningCount"), fatal: count("fatalErrorCount") };
}

async function main() {
    const tsc = typecheck();
    const eslint = await lint(tsc.program);
    const failed = tsc.status !== 0 || eslint.errors > 0 || eslint.fatal > 0;
    const count = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;
    const tscText = tsc.status === 0 ? "ok" : count(tsc.errors, "error");
    const eslintText =
        eslint.errors + eslint.warnings === 0
            ? "ok"
            : `${count(eslint.errors, "error")}, ${count(eslint.warnings, "warning")}`;
    process.stdout.write(`typecheck-lint: tsc ${tscText}, eslint ${eslintText}\n`);
    return failed ? 1 : 0;
}

main().then(
    code => (process.exitCode = code),
    error => {
        process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
        process.exitCode = 2;
    },
);
