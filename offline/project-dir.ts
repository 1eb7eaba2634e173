// Where the project is, for the offline tools, which run from their sources or compiled in .build/.
import { existsSync } from "fs";
import * as path from "path";

function findProjectDir(from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}`);
    }
}

/** Where Pulumi.yaml and the stack files are (the sources, when this runs compiled from .build/). */
export const PROJECT_DIR = findProjectDir(__dirname);
