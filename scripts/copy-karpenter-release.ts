// `npm run copy-karpenter-release -- <karpenter-provider-aws clone> <tag> <new folder>`
//
// Makes the folder the refresh scripts read, from a release of Karpenter's AWS provider: each file
// the vendored data came from (the original paths offline/schemas/SOURCE.json and
// components/data/gpu-instance-types.json record), copied verbatim with `git show <tag>:<path>`
// into crds/ and data/, and a README.md naming the repository, the tag, its commit, each file's
// original path and its SHA-256. Then:
//     npm run refresh-crd-schemas -- <folder>
//     npm run refresh-instance-types -- <folder>/data
import { execFileSync } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { helpAsked } from "../offline/command-line";
import { SCHEMA_DIR, SOURCE_FILE } from "./refresh-crd-schemas";
import { TABLE_FILE } from "./refresh-instance-types";
import { RefreshError, runAsCommand, sha256 } from "./upstream";

const USAGE =
    "usage: npm run copy-karpenter-release -- <karpenter-provider-aws clone> <tag, e.g. v1.15.2> <new folder>";

interface Recorded {
    source: { repository: string; license: string; files: { file: string; path: string }[] };
}

const readRecorded = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as Recorded).source;
/** Where the vendored schemas came from: the repository, its license, and each file. */
const schemaSource = () => readRecorded(path.join(SCHEMA_DIR, SOURCE_FILE));

/** Each file to copy, by its place in the folder (`crds/...`, `data/...`), with its path upstream. */
export function releaseFiles(): { file: string; path: string }[] {
    const schemas = schemaSource().files;
    // The table names its files as they sit in the data folder.
    const table = readRecorded(TABLE_FILE).files.map(f => ({ file: `data/${f.file}`, path: f.path }));
    return [...schemas.map(f => ({ file: f.file, path: f.path })), ...table];
}

function git(clone: string, args: string[]): Buffer {
    try {
        return execFileSync("git", ["-C", clone, ...args], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    } catch (e) {
        const stderr = String((e as { stderr?: Buffer }).stderr ?? "").trim();
        throw new RefreshError(`git -C ${clone} ${args.join(" ")}: ${stderr || (e as Error).message}`);
    }
}

function help(): string {
    const files = releaseFiles();
    const width = Math.max(...files.map(f => f.file.length));
    const { repository } = schemaSource();
    return `${USAGE}

Copies these files of a ${repository} release, verbatim, from the tag
(git show <tag>:<path>), into <new folder>, with a README.md recording the tag's commit and each
file's SHA-256, for npm run refresh-crd-schemas -- <new folder> and
npm run refresh-instance-types -- <new folder>/data to read:

${files.map(f => `  ${f.file.padEnd(width)}  <- ${f.path}`).join("\n")}

The clone needs the tag: git clone ${repository}, or git fetch --tags in one you have.
`;
}

export function main(argv: string[], log: (line: string) => void = console.log): number {
    if (helpAsked(argv)) {
        log(help().trimEnd());
        return 0;
    }
    if (argv.length !== 3 || argv.some(a => a.startsWith("-"))) throw new RefreshError(USAGE);
    const [clone, tag, out] = argv;
    if (existsSync(out) && readdirSync(out).length > 0) {
        throw new RefreshError(`${out}: is not empty; name a new or empty folder (nothing in it is replaced)`);
    }
    if (!existsSync(clone)) throw new RefreshError(`${clone}: no such folder; clone the repository first`);
    let commit: string;
    try {
        commit = git(clone, ["rev-parse", "--verify", "--quiet", `refs/tags/${tag}^{commit}`])
            .toString()
            .trim();
    } catch {
        throw new RefreshError(
            `${clone}: has no tag ${tag}; release tags look like v1.14.1 (git -C ${clone} fetch --tags to get new ones)`,
        );
    }
    const { repository, license } = schemaSource();
    // Every file is read before any is written: a path missing at the tag leaves no half-made folder.
    const copies = releaseFiles().map(f => ({ ...f, bytes: git(clone, ["show", `refs/tags/${tag}:${f.path}`]) }));
    for (const c of copies) {
        mkdirSync(path.dirname(path.join(out, c.file)), { recursive: true });
        writeFileSync(path.join(out, c.file), c.bytes);
    }
    writeFileSync(path.join(out, "README.md"), readme(repository, license, tag, commit, copies));
    log(
        `wrote ${out}/: ${copies.map(c => c.file).join(", ")}, README.md from ${repository} ${tag} (${commit.slice(0, 12)})`,
    );
    return 0;
}

/** The README in the format scripts/upstream.ts reads (readProvenance). */
function readme(
    repository: string,
    license: string,
    tag: string,
    commit: string,
    copies: { file: string; path: string; bytes: Buffer }[],
): string {
    return [
        `# Karpenter (AWS provider) ${tag}: the files gpu-karpenter's refresh scripts read`,
        "",
        `Source repository: ${repository} (${license})`,
        "",
        `- Release tag: \`${tag}\` → commit \`${commit}\``,
        "",
        `Copied verbatim with \`git show ${tag}:<path>\` by \`npm run copy-karpenter-release\`. Nothing was edited.`,
        "",
        "| File here | Ref | Original path |",
        "|---|---|---|",
        ...copies.map(c => `| \`${c.file}\` | tag \`${tag}\` | \`${c.path}\` |`),
        "",
        "```",
        ...copies.map(c => `${sha256(c.bytes)}  ${c.file}`),
        "```",
        "",
    ].join("\n");
}

if (require.main === module) runAsCommand("copy-karpenter-release", main);
