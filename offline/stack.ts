// A stack's config as `pulumi up` would hand it to the program: Pulumi.<stack>.yaml over the
// defaults declared in Pulumi.yaml, every value a string (JSON for lists and objects).
import { existsSync, readdirSync, readFileSync } from "fs";
import * as path from "path";
import { closest } from "../components/edit-distance";
import { fromYaml } from "../components/yaml";
import type { CloudResource } from "./cloud-mocks";
import { FakeCluster } from "./fake-cluster";
import { PulumiProject, PulumiProjectError, mergeStackConfig, validateProject } from "./pulumi-project";
import { PROJECT, ProgramRun, runProgram } from "./run-program";
import { PROJECT_DIR } from "./project-dir";

/** Where the program is: index.ts, or its compiled index.js beside this module's compiled copy. */
const PROGRAM_DIR = path.resolve(__dirname, "..");

export class StackFileError extends Error {}

function readYamlFile(file: string, what: string): unknown {
    try {
        return fromYaml(readFileSync(file, "utf8")) ?? {};
    } catch (e) {
        throw new StackFileError(`${what}: ${file}: ${(e as Error).message}`);
    }
}

/** Pulumi.yaml in `dir`, checked as the CLI checks it, and named as this program's config namespace. */
export function readProject(dir = PROJECT_DIR): PulumiProject {
    const projectFile = path.join(dir, "Pulumi.yaml");
    try {
        const project = validateProject(readYamlFile(projectFile, "project"), projectFile);
        if (project.name !== PROJECT) {
            throw new StackFileError(
                `${projectFile}: the project is named ${JSON.stringify(project.name)}; this program's config namespace is ${PROJECT}`,
            );
        }
        return project;
    } catch (e) {
        if (e instanceof PulumiProjectError) throw new StackFileError(e.message);
        throw e;
    }
}

/**
 * The config `pulumi up` would hand the program for `stack`: Pulumi.yaml checked against the CLI's
 * project schema, then Pulumi.<stack>.yaml merged with its declarations as the CLI merges them
 * (required keys, defaults, declared types), failing with the CLI's own messages.
 */
export function stackConfig(stack: string, dir = PROJECT_DIR): Record<string, string> {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) {
        const stacks = stacksIn(dir);
        const hint = closest(stack, stacks);
        throw new StackFileError(
            `stack ${stack}: ${path.relative(process.cwd(), file) || file} does not exist` +
                (stacks.length > 0
                    ? `${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}; the stacks here: ${stacks.join(", ")}`
                    : `; there is no stack file (Pulumi.NAME.yaml) in ${dir}`),
        );
    }
    try {
        const project = readProject(dir);
        const stackFile = readYamlFile(file, `stack ${stack}`) as { config?: Record<string, unknown> };
        return mergeStackConfig(stack, project, stackFile.config ?? {});
    } catch (e) {
        if (e instanceof PulumiProjectError) throw new StackFileError(e.message);
        throw e;
    }
}

/** The stacks of the project in `dir`: the NAME of each Pulumi.NAME.yaml, sorted. */
export function stacksIn(dir = PROJECT_DIR): string[] {
    return readdirSync(dir)
        .map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

/**
 * Runs the real program, index.ts, freshly loaded, with the given config (against what `cloud` adds
 * to `fake`), in `region` where the stack's region is not its aws:region.
 */
export function runStack(
    stack: string,
    config: Record<string, string>,
    fake: FakeCluster,
    cloud?: readonly CloudResource[],
    region?: string,
): Promise<ProgramRun> {
    return runProgram({
        stack,
        config,
        fake,
        cloud,
        region,
        program: () => {
            const entry = require.resolve(path.join(PROGRAM_DIR, "index"));
            delete require.cache[entry];
            return require(entry);
        },
    });
}
