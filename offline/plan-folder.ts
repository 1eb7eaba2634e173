// The plan's output folder. The plan writes into an empty (or new) folder, or one an earlier plan
// wrote; it marks its folders with plan.json, which lists every file it wrote with its SHA-256. It
// deletes only those files, and only while they are as it wrote them: a user's file beside them, or
// one of them changed by hand, stops the plan before it touches anything.
import { createHash } from "crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from "fs";
import * as path from "path";

/** The marker every plan folder has: what wrote it, and each file it wrote. */
export const PLAN_MARKER = "plan.json";
const WRITTEN_BY = "gpu-karpenter offline plan";

export class PlanFolderError extends Error {}

/** plan.json: `writtenBy` and `files` are what the next plan reads; the rest is for the reader. */
export interface PlanRecord {
    writtenBy: string;
    [about: string]: unknown;
    /** Each file the plan wrote, by its path in the folder (with `/`), and its SHA-256. */
    files: Record<string, string>;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function kind(file: string): "file" | "folder" | "other" | undefined {
    try {
        const stat = lstatSync(file);
        return stat.isDirectory() ? "folder" : stat.isFile() ? "file" : "other";
    } catch {
        return undefined;
    }
}

/** What an earlier plan wrote into `dir`, from its marker; undefined when `dir` holds no plan of ours. */
function earlierPlan(dir: string): Record<string, string> | undefined {
    let record: unknown;
    try {
        record = JSON.parse(readFileSync(path.join(dir, PLAN_MARKER), "utf8"));
    } catch {
        return undefined;
    }
    const r = record as Partial<PlanRecord> | null;
    if (r?.writtenBy !== WRITTEN_BY || typeof r.files !== "object" || r.files === null) return undefined;
    const files = Object.entries(r.files);
    // A marker naming a path outside the folder is not one this plan wrote.
    if (files.some(([f, h]) => typeof h !== "string" || !isInside(f))) return undefined;
    return Object.fromEntries(files);
}

function isInside(relative: string): boolean {
    return relative !== "" && !path.isAbsolute(relative) && !relative.split("/").includes("..");
}

/**
 * Throws when `dir` cannot take a plan: it is a file, or a folder that holds something and is not
 * an earlier plan's. Checked before the program runs; `writePlanFolder` checks the rest.
 */
export function checkPlanFolder(dir: string, shown: string): void {
    const what = kind(dir);
    if (what === undefined) return;
    if (what !== "folder") throw new PlanFolderError(`--out ${shown}: is not a folder; name a folder for the plan`);
    if (readdirSync(dir).length > 0 && !earlierPlan(dir)) {
        throw new PlanFolderError(
            `--out ${shown}: the folder holds files and is not an earlier plan's (it has no ${PLAN_MARKER} ` +
                `from one), so the plan leaves it alone; name an empty or new folder. A plan deletes only ` +
                `what an earlier plan wrote (a plan from before plans were marked with ${PLAN_MARKER}: delete ` +
                `that folder yourself).`,
        );
    }
}

/**
 * Writes `files` (path in the folder, with `/` -> text) and the marker into `dir`, after deleting
 * what the earlier plan there wrote. Refuses, changing nothing, when that would delete or overwrite
 * a file the plan did not write or one changed since it wrote it.
 */
export function writePlanFolder(
    dir: string,
    shown: string,
    files: Map<string, string>,
    about: Record<string, unknown>,
): void {
    checkPlanFolder(dir, shown);
    const earlier = earlierPlan(dir) ?? {};
    const ours = new Set([...Object.keys(earlier), PLAN_MARKER]);

    const changed = Object.entries(earlier)
        .filter(([f, hash]) => kind(path.join(dir, f)) === "file" && sha256(readText(path.join(dir, f))) !== hash)
        .map(([f]) => f);
    if (changed.length > 0) {
        throw new PlanFolderError(
            `--out ${shown}: ${changed.join(", ")} changed since the plan wrote ${changed.length > 1 ? "them" : "it"}; ` +
                `the plan does not overwrite a change it did not make. Move ${changed.length > 1 ? "them" : "it"} ` +
                `out of the folder (or delete ${changed.length > 1 ? "them" : "it"}), or name another folder.`,
        );
    }
    // In the way: a path the new plan writes, or a folder it needs, that holds something not ours.
    const inTheWay = new Set<string>();
    for (const file of [...files.keys(), PLAN_MARKER]) {
        const parts = file.split("/");
        for (let i = 1; i <= parts.length; i++) {
            const at = parts.slice(0, i).join("/");
            const what = kind(path.join(dir, at));
            const isFolder = i < parts.length;
            if (what === undefined) break;
            const earlierFile = what === "file" && ours.has(at);
            if (isFolder ? what !== "folder" && !earlierFile : !earlierFile) inTheWay.add(at);
        }
    }
    if (inTheWay.size > 0) {
        throw new PlanFolderError(
            `--out ${shown}: ${[...inTheWay].join(", ")} ${inTheWay.size > 1 ? "are" : "is"} not the earlier ` +
                `plan's, and the new plan would write there; move ${inTheWay.size > 1 ? "them" : "it"} out ` +
                `of the folder, or name another folder.`,
        );
    }

    for (const file of ours) {
        if (kind(path.join(dir, file)) === "file") unlinkSync(path.join(dir, file));
    }
    // The folders those files were in, deepest first, where nothing else is left in them.
    const folders = [...new Set([...ours].flatMap(f => parentsOf(f)))].sort((a, b) => b.length - a.length);
    for (const folder of folders) {
        const full = path.join(dir, folder);
        if (kind(full) === "folder" && readdirSync(full).length === 0) rmdirSync(full);
    }

    const record: PlanRecord = {
        writtenBy: WRITTEN_BY,
        ...about,
        files: Object.fromEntries([...files].map(([f, text]) => [f, sha256(text)])),
    };
    mkdirSync(dir, { recursive: true });
    // The marker first: a plan cut short leaves a folder the next plan still knows as its own.
    writeFileSync(path.join(dir, PLAN_MARKER), JSON.stringify(record, null, 2) + "\n");
    for (const [file, text] of files) {
        const full = path.join(dir, file);
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, text);
    }
}

function readText(file: string): string {
    return readFileSync(file, "utf8");
}

/** `a/b/c.yaml` -> `a/b`, `a` */
function parentsOf(file: string): string[] {
    const parts = file.split("/");
    return parts.slice(1).map((_, i) => parts.slice(0, parts.length - 1 - i).join("/"));
}
