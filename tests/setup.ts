// Loaded by mocha before any test file (.mocharc.json "require"), in the main process and in each
// parallel worker; mocha runs mochaGlobalSetup once, in the main process, before any worker starts.

/** Compiles the plan's .build/ once if a source changed, so plans started by parallel workers never rebuild it at the same time. */
export function mochaGlobalSetup(): void {
    (require("../offline/launch.js") as { ensureBuilt(): void }).ensureBuilt();
}
