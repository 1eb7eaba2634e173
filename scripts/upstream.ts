// What the refresh scripts share: reading files copied verbatim from an upstream repository into a
// folder laid out as shared/upstream/<project>/<version>/, whose README names the source repository,
// the release tag and commit, and each file's original path and SHA-256.
import { createHash } from "crypto";
import { readFileSync } from "fs";

/** A refresh that cannot go on; the message names the file and what is wrong with it. */
export class RefreshError extends Error {}

export const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

export function readText(file: string): string {
    return readBytes(file).toString("utf8");
}

function readBytes(file: string): Buffer {
    try {
        return readFileSync(file);
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new RefreshError(
            err.code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read: ${err.message}`,
        );
    }
}

/** `file`'s text, once its bytes are known to be the ones the README recorded. */
export function readVerified(file: string, expectedSha256: string): string {
    const bytes = readBytes(file);
    const actual = sha256(bytes);
    if (actual !== expectedSha256) {
        throw new RefreshError(
            `${file}: SHA-256 ${actual} is not the ${expectedSha256} ` +
                `its README records; the file changed after it was copied, copy it again`,
        );
    }
    return bytes.toString("utf8");
}

export interface Provenance {
    repository: string;
    license: string;
    tag: string;
    commit: string;
    /** By the file's name in the README's tables, e.g. "data/instance-types.md": its original path. */
    paths: Record<string, string>;
    checksums: Record<string, string>;
    /** The Ref cell, where a table has one (a file may come from a release branch, not the tag). */
    refs: Record<string, string>;
}

/** The cells of a Markdown table row, or undefined when `line` is not one. */
function cells(line: string): string[] | undefined {
    const row = /^\s*\|(.*)\|\s*$/.exec(line);
    return row ? row[1].split("|").map(c => c.trim()) : undefined;
}

const firstCode = (cell: string | undefined) => (cell === undefined ? undefined : /`([^`]+)`/.exec(cell)?.[1]);

/**
 * What the README says of where `files` came from (the format of shared/upstream's READMEs): each
 * must have a row in a table with "File here" and "Original path" columns, and a SHA-256 line.
 */
export function readProvenance(readme: string, readmeFile: string, files: string[]): Provenance {
    const need = (what: string, m: RegExpExecArray | null) => {
        if (!m) throw new RefreshError(`${readmeFile}: does not state ${what}`);
        return m;
    };
    const repo = need(
        'the source repository ("Source repository: <url> (<license>)")',
        /Source repository:\s*(\S+)\s*\(([^)]+)\)/.exec(readme),
    );
    const release = need(
        'the release tag and commit ("Release tag: `<tag>` → commit `<40 hex digits>`")',
        /Release tag:\s*`([^`]+)`\s*\S*\s*commit\s*`([0-9a-f]{40})`/.exec(readme),
    );

    // Tables differ in their columns (some have a Ref column), so columns are found by their heading.
    const paths: Record<string, string> = {};
    const refs: Record<string, string> = {};
    let columns: { file: number; path: number; ref: number } | undefined;
    for (const line of readme.split("\n")) {
        const row = cells(line);
        if (!row) {
            columns = undefined;
        } else if (row.includes("File here") && row.includes("Original path")) {
            columns = { file: row.indexOf("File here"), path: row.indexOf("Original path"), ref: row.indexOf("Ref") };
        } else if (columns) {
            const file = firstCode(row[columns.file]);
            const original = firstCode(row[columns.path]);
            if (file && original) {
                paths[file] = original;
                if (columns.ref >= 0 && row[columns.ref]) refs[file] = row[columns.ref];
            }
        }
    }
    const checksums: Record<string, string> = {};
    for (const m of readme.matchAll(/^([0-9a-f]{64})\s+(\S+)\s*$/gm)) checksums[m[2]] = m[1];

    for (const file of files) {
        if (!paths[file]) throw new RefreshError(`${readmeFile}: gives no original path for ${file}`);
        if (!checksums[file]) throw new RefreshError(`${readmeFile}: gives no SHA-256 for ${file}`);
    }
    return { repository: repo[1], license: repo[2], tag: release[1], commit: release[2], paths, checksums, refs };
}

/**
 * A refresh script's command line: one folder and `--flag value` options among `flags`; anything
 * else is an error that ends with `usage`.
 */
export function parseCommandLine(
    argv: string[],
    usage: string,
    flags: string[],
): { folder: string; options: Record<string, string> } {
    let folder: string | undefined;
    const options: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (flags.includes(flag) && value !== undefined) {
            options[flag] = value;
            i++;
        } else if (flag.startsWith("-") || folder !== undefined) {
            throw new RefreshError(`unexpected argument ${JSON.stringify(flag)}\n${usage}`);
        } else {
            folder = flag;
        }
    }
    if (!folder) throw new RefreshError(usage);
    return { folder, options };
}

/** Runs a refresh script's `main` as a command: a RefreshError is printed, without a stack, and exits 2. */
export function runAsCommand(name: string, main: (argv: string[]) => number): void {
    try {
        process.exitCode = main(process.argv.slice(2));
    } catch (e) {
        if (!(e instanceof RefreshError)) throw e;
        console.error(`${name}: ${e.message}`);
        process.exitCode = 2;
    }
}

/** Where generated files came from, as both refresh scripts record it. */
export function sourceRecord<F>(provenance: Provenance, files: F[]) {
    const { repository, license, tag, commit } = provenance;
    return { repository, license, tag, commit, files };
}
