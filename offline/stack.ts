// A stack's config as `pulumi up` would hand it to the program: Pulumi.<stack>.yaml over the
// defaults declared in Pulumi.yaml, every value a string (JSON for anything but a string).
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { fromYaml } from "../components/yaml";
import { FakeCluster } from "./fake-cluster";
import { PROJECT, ProgramRun, runProgram } from "./run-program";

/** Where Pulumi.yaml and the stack files are (the sources, when this runs compiled from .build/). */
export const PROJECT_DIR = findProjectDir(__dirname);
/** Where the program is: index.ts, or its compiled index.js beside this module's compiled copy. */
const PROGRAM_DIR = path.resolve(__dirname, "..");

function findProjectDir(from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}`);
    }
}

export class StackFileError extends Error {}

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

export function stackConfig(stack: string, dir = PROJECT_DIR): Record<string, string> {
    const project: any = fromYaml(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) ?? {};
    const config: Record<string, string> = {};
    for (const [key, declaration] of Object.entries<any>(project.config ?? {})) {
        if (declaration && typeof declaration === "object" && "default" in declaration) {
            config[key.includes(":") ? key : `${PROJECT}:${key}`] = asConfigString(declaration.default);
        }
    }
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) {
        throw new StackFileError(`stack ${stack}: ${path.relative(process.cwd(), file) || file} does not exist`);
    }
    let stackFile: any;
    try {
        stackFile = fromYaml(readFileSync(file, "utf8")) ?? {};
    } catch (e) {
        throw new StackFileError(`stack ${stack}: ${file}: ${(e as Error).message}`);
    }
    for (const [key, value] of Object.entries(stackFile.config ?? {})) {
        config[key.includes(":") ? key : `${PROJECT}:${key}`] = asConfigString(value);
    }
    return config;
}

/** Runs the real program, index.ts, freshly loaded, with the given config. */
export function runStack(stack: string, config: Record<string, string>, fake: FakeCluster): Promise<ProgramRun> {
    return runProgram({
        stack,
        config,
        fake,
        program: () => {
            const entry = require.resolve(path.join(PROGRAM_DIR, "index"));
            delete require.cache[entry];
            return require(entry);
        },
    });
}
