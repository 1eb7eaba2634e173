// No import cycles between the project's TypeScript files: a cycle makes load order decide whether a
// value is there yet, and ties concerns together that the developers' guide keeps apart. Type-only
// imports count too: they tie the files as tightly for a reader.
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as ts from "typescript";

const PROJECT_DIR = path.resolve(__dirname, "..");
// tsconfig.json's include, less its exclude: the consumer project is another package's code.
const ROOTS = ["index.ts", "components", "provider", "program", "offline", "policies", "scripts", "tests"];
const SKIP = new Set(["node_modules", "bin", "consumer"]);

function tsFiles(dir: string, roots: string[]): string[] {
    const found: string[] = [];
    const walk = (p: string) => {
        if (statSync(p).isDirectory()) {
            for (const entry of readdirSync(p)) if (!SKIP.has(entry)) walk(path.join(p, entry));
        } else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) {
            found.push(p);
        }
    };
    for (const root of roots) if (existsSync(path.join(dir, root))) walk(path.join(dir, root));
    return found.sort();
}

/** The project files a file imports, re-exports or requires (relative specifiers that name a .ts file). */
function localImports(file: string): string[] {
    // preProcessFile reads import, `import type`, `export ... from`, import() and require() alike.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    return importedFiles
        .map(f => f.fileName)
        .filter(spec => spec.startsWith("."))
        .map(spec => path.resolve(path.dirname(file), spec))
        .map(base => [`${base}.ts`, path.join(base, "index.ts"), base].find(f => f.endsWith(".ts") && existsSync(f)))
        .filter((f): f is string => f !== undefined);
}

/** Each cycle as its files (relative to `dir`): the strongly connected components of the import graph (Tarjan). */
function importCycles(dir: string, roots: string[]): string[][] {
    const graph = new Map(tsFiles(dir, roots).map(f => [f, localImports(f)]));
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
        index.set(v, index.size);
        low.set(v, index.get(v)!);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            if (component.length > 1 || graph.get(v)?.includes(v)) {
                cycles.push(component.map(f => path.relative(dir, f)).sort());
            }
        }
    };
    for (const file of graph.keys()) if (!index.has(file)) visit(file);
    return cycles;
}

describe("import cycles", () => {
    it("there are none among the project's .ts files (components, provider, policies, offline, program, scripts, tests)", () => {
        const files = tsFiles(PROJECT_DIR, ROOTS);
        expect(files.map(f => path.relative(PROJECT_DIR, f))).to.include.members([
            "components/args.ts",
            "components/controller.ts",
            "components/gpu-pools.ts",
            "policies/cost.ts",
            "policies/rules.ts",
        ]);
        expect(importCycles(PROJECT_DIR, ROOTS)).to.deep.equal([]);
    });

    it("are found, type-only imports and re-exports included: the check can fail", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "import-cycles-"));
        try {
            writeFileSync(path.join(dir, "a.ts"), `import type { B } from "./b";\nexport const A = 1;\n`);
            writeFileSync(path.join(dir, "b.ts"), `export { A } from "./a";\nexport type B = string;\n`);
            writeFileSync(path.join(dir, "c.ts"), `import { A } from "./a";\nexport const C = A;\n`);
            writeFileSync(path.join(dir, "d.ts"), `const d = require("./d");\nexport = d;\n`);
            expect(importCycles(dir, ["a.ts", "b.ts", "c.ts", "d.ts"])).to.deep.equal([["a.ts", "b.ts"], ["d.ts"]]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
