// Which file `pulumi up` runs, decided as the CLI, the nodejs language host and the SDK decide it.
// Three steps, each followed from its source:
//   1. The engine turns Pulumi.yaml's `main` into the program's directory (`pwd`) and entry point:
//      pulumi/pulumi pkg/engine/project.go getPwdMain (no main: the project root and ".").
//   2. pulumi-language-nodejs hands both to @pulumi/pulumi/cmd/run unchanged (`--pwd <dir>`, then the
//      entry point as the program argument): sdk/nodejs/cmd/pulumi-language-nodejs/main.go
//      constructArguments, lines 1103 and 1112 at pulumi/pulumi 1b59498.
//   3. run.js (node_modules/@pulumi/pulumi/cmd/run/run.js, SDK 3.270.0) chdirs to pwd (line 231); an
//      entry point other than "." is the program (lines 243-247); for "." it takes package.json's
//      `exports` (a string, or `exports["."]` as a string or its default/require/import), else its
//      `main`, when that file exists (lines 249-275, resolveEntrypoint line 207), else the directory;
//      then it `require`s the program (lines 486-491), which Node resolves as a file or a directory.
// The launch harness (offline/launch-program.ts) uses step 1 and lets the real run.js do step 3;
// tests/entry-point.test.ts checks this whole chain against the project, so a package.json or
// Pulumi.yaml change that would make the CLI run something other than index.ts fails a test.
import { existsSync, statSync } from "fs";
import * as path from "path";

// run.js's own package.json readers (internal to the SDK, so absent from its typings).
const { readPackageManifest, searchupPackageManifest } = require("@pulumi/pulumi/runtime/manifest") as {
    readPackageManifest: (dir: string) => { data: Record<string, any>; path: string };
    searchupPackageManifest: (startDir: string) => string | undefined;
};

export interface PwdMain {
    /** The program's directory: the language host's `--pwd`. */
    pwd: string;
    /** The program argument run.js gets: "." (none set), a file name, or a path. */
    entryPoint: string;
}

export class EntryPointError extends Error {}

/** getPwdMain (pkg/engine/project.go): Pulumi.yaml's `main`, relative to the project root. */
export function pwdMain(root: string, main: string | undefined): PwdMain {
    if (!main) return { pwd: root, entryPoint: "." };
    const full = path.isAbsolute(main) ? main : path.join(path.resolve(root), main);
    if (!existsSync(full)) {
        throw new EntryPointError(`project 'main' could not be read: stat ${full}: no such file or directory`);
    }
    return statSync(full).isDirectory()
        ? { pwd: full, entryPoint: "." }
        : { pwd: path.dirname(full), entryPoint: path.basename(full) };
}

/** Which of run.js's rules chose the program. */
export type EntryRule =
    | "Pulumi.yaml main"
    | "package.json exports"
    | 'package.json exports["."]'
    | "package.json main"
    | "the program directory";

export interface ResolvedProgram extends PwdMain {
    /** What run.js hands to `require`. */
    program: string;
    /** The file Node loads for it. */
    file: string;
    rule: EntryRule;
}

// The extensions `require` tries, in order: Node's own, then the one ts-node registers when
// Pulumi.yaml turns TypeScript on (run.js line 361; `require.extensions` keeps insertion order).
const REQUIRE_EXTENSIONS = [".js", ".json", ".node", ".ts"];

/** Node's LOAD_AS_FILE: the path itself, then with each extension. */
function loadAsFile(p: string): string | undefined {
    if (existsSync(p) && statSync(p).isFile()) return p;
    return REQUIRE_EXTENSIONS.map(ext => p + ext).find(f => existsSync(f) && statSync(f).isFile());
}

/** Node's LOAD_AS_DIRECTORY (https://nodejs.org/api/modules.html#all-together): package.json main, then index. */
function loadAsDirectory(dir: string): string | undefined {
    let main: unknown;
    try {
        main = readPackageManifest(dir).data.main;
    } catch {
        main = undefined;
    }
    if (typeof main === "string") {
        const m = path.resolve(dir, main);
        const found = loadAsFile(m) ?? loadIndex(m);
        if (found) return found;
    }
    return loadIndex(dir);
}

function loadIndex(dir: string): string | undefined {
    return loadAsFile(path.join(dir, "index"));
}

/**
 * The program `pulumi up` runs for the project at `root` whose Pulumi.yaml sets `main` (or not),
 * TypeScript on: each rule in the order the engine, the language host and run.js apply them.
 */
export function resolveProgram(root: string, main: string | undefined): ResolvedProgram {
    const { pwd, entryPoint } = pwdMain(root, main);
    // run.js lines 243-247: the entry point, made absolute against pwd (its cwd by then).
    let program = path.isAbsolute(entryPoint) ? entryPoint : path.join(pwd, entryPoint);
    let rule: EntryRule = entryPoint !== "." ? "Pulumi.yaml main" : "the program directory";
    if (entryPoint === ".") {
        // npmPackageRootFromProgramPath: the nearest package.json at or above the program's directory.
        const programDir = existsSync(program) && statSync(program).isDirectory() ? program : path.dirname(program);
        const manifest = searchupPackageManifest(programDir);
        const packageRoot = manifest ? path.dirname(manifest) : programDir;
        // packageObjectFromProjectRoot: best effort, nothing when there is none.
        let pkg: Record<string, any>;
        try {
            pkg = readPackageManifest(packageRoot).data;
        } catch {
            pkg = {};
        }
        // resolveEntrypoint: the path if it exists, else run.js warns and keeps the directory.
        const take = (entry: unknown, by: EntryRule) => {
            if (typeof entry !== "string") return;
            const p = path.join(packageRoot, entry);
            if (existsSync(p)) {
                program = p;
                rule = by;
            }
        };
        if (typeof pkg.exports === "string") take(pkg.exports, "package.json exports");
        else if (typeof pkg.exports === "object" && pkg.exports !== null) {
            const mainExport = pkg.exports["."];
            if (typeof mainExport === "string") take(mainExport, 'package.json exports["."]');
            else if (typeof mainExport === "object" && mainExport !== null) {
                take(mainExport.default || mainExport.require || mainExport.import, 'package.json exports["."]');
            }
        } else if (pkg.main) take(pkg.main, "package.json main");
    }
    // run.js lines 486-491: `require(program)`, a directory with a trailing "/".
    const isDirectory = existsSync(program) && statSync(program).isDirectory();
    const file = isDirectory ? loadAsDirectory(program) : loadAsFile(program);
    if (!file) throw new EntryPointError(`run.js would fail to load ${program}: Cannot find module '${program}'`);
    return { pwd, entryPoint, program, file, rule };
}
