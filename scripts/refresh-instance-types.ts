// `npm run refresh-instance-types -- <data folder> [--out FILE] [--generated-at YYYY-MM-DD]`
//
// Turns Karpenter's own generated files (the AWS provider's instance-types.md and its initial
// on-demand price tables, copied verbatim into <data folder>, whose README, in the folder or the one
// above it, names the source repository, tag, commit, original paths and SHA-256 of each file) into
// components/data/gpu-instance-types.json: the NVIDIA GPU instance types, one line each, with the
// provenance. The project reads only that table, never the data folder, at run time and in tests.
import { existsSync, writeFileSync } from "fs";
import * as path from "path";
import type { GpuInstanceType } from "../components/cost";
// Only the dependency-free gpu.ts: cost.ts loads the table this script writes.
import {
    ARCH_LABEL,
    KARPENTER_INSTANCE_LABEL_PREFIX,
    NVIDIA_GPU_RESOURCE,
    familyLabels,
    instanceFamilyOf,
} from "../components/gpu";
import { helpAsked } from "../offline/command-line";
import {
    RefreshError,
    parseCommandLine,
    readProvenance,
    readText,
    readVerified,
    runAsCommand,
    sourceRecord,
} from "./upstream";

export { RefreshError };

export const TABLE_FILE = path.resolve(__dirname, "..", "components", "data", "gpu-instance-types.json");

/** The three files, by their names in the data folder. */
const INSTANCE_TYPES_FILE = "instance-types.md";
const PRICE_FILES = ["zz_generated.pricing_aws.go", "zz_generated.pricing_aws_us_gov.go"];

export interface SourceFile {
    file: string;
    path: string;
    sha256: string;
    /** The price files' own "generated at" stamp and regions. */
    generatedAt?: string;
    regions?: string[];
}

export interface InstanceTypeTable {
    description: string;
    source: { repository: string; license: string; tag: string; commit: string; files: SourceFile[] };
    generatedAt: string;
    regions: string[];
    instanceTypes: GpuInstanceType[];
}

/**
 * instance-types.md: per type a `### \`<type>\`` heading, then a Labels table and a Resources
 * table of `|key|value|` rows (hack/docs/instancetypes_gen in karpenter-provider-aws writes it).
 */
export function parseInstanceTypes(
    markdown: string,
): Map<string, { labels: Record<string, string>; resources: Record<string, string> }> {
    const types = new Map<string, { labels: Record<string, string>; resources: Record<string, string> }>();
    let current: { labels: Record<string, string>; resources: Record<string, string> } | undefined;
    let section: "labels" | "resources" | undefined;
    for (const line of markdown.split("\n")) {
        const heading = /^### `([^`]+)`\s*$/.exec(line);
        if (heading) {
            current = { labels: {}, resources: {} };
            types.set(heading[1], current);
            section = undefined;
        } else if (/^## /.test(line)) {
            current = undefined;
        } else if (/^#### Labels/.test(line)) {
            section = "labels";
        } else if (/^#### Resources/.test(line)) {
            section = "resources";
        } else if (current && section) {
            const row = /^\s*\|([^|]+)\|([^|]*)\|\s*$/.exec(line);
            if (row && row[1].trim() !== "Label" && row[1].trim() !== "Resource" && !/^-+$/.test(row[1].trim())) {
                current[section][row[1].trim()] = row[2].trim();
            }
        }
    }
    return types;
}

/** zz_generated.pricing_*.go: `"<region>": { ... "<type>": <price>, ... }` blocks and a "generated at" comment. */
export function parsePrices(
    go: string,
    file: string,
): { generatedAt: string; prices: Map<string, Map<string, number>> } {
    const stamp = /^\/\/ generated at (\S+)/m.exec(go);
    if (!stamp) throw new RefreshError(`${file}: has no "// generated at" line`);
    const prices = new Map<string, Map<string, number>>();
    for (const block of go.matchAll(/^\t"([a-z0-9-]+)": \{\n([\s\S]*?)^\t\},?$/gm)) {
        const region = new Map<string, number>();
        for (const entry of block[2].matchAll(/"([a-z0-9-]+\.[a-z0-9-]+)":\s*([0-9.]+)/g)) {
            region.set(entry[1], Number(entry[2]));
        }
        prices.set(block[1], region);
    }
    if (prices.size === 0) throw new RefreshError(`${file}: has no region price blocks`);
    return { generatedAt: stamp[1], prices };
}

const LABEL = (name: string) => `${KARPENTER_INSTANCE_LABEL_PREFIX}${name}`;

function whole(value: string | undefined, what: string, type: string): number {
    if (value === undefined || !/^[0-9]+$/.test(value)) {
        throw new RefreshError(
            `${INSTANCE_TYPES_FILE}: ${type} has ${what} ${JSON.stringify(value)}, not a whole number`,
        );
    }
    return Number(value);
}

/** Builds the table from a data folder laid out as shared/upstream/karpenter/<version>/data/. */
export function buildTable(dataDir: string, generatedAt: string): InstanceTypeTable {
    const readmeFile = [path.join(dataDir, "README.md"), path.join(dataDir, "..", "README.md")].find(f =>
        existsSync(f),
    );
    if (!readmeFile)
        throw new RefreshError(`${dataDir}: no README.md in it or above it to say where the files came from`);
    // The README names the files as they sit in the version folder, under data/.
    const provenance = readProvenance(
        readText(readmeFile),
        readmeFile,
        [INSTANCE_TYPES_FILE, ...PRICE_FILES].map(f => `data/${f}`),
    );
    const source = (file: string): SourceFile => ({
        file,
        path: provenance.paths[`data/${file}`],
        sha256: provenance.checksums[`data/${file}`],
    });

    const texts: Record<string, string> = {};
    for (const file of [INSTANCE_TYPES_FILE, ...PRICE_FILES]) {
        texts[file] = readVerified(path.join(dataDir, file), source(file).sha256);
    }

    const regionPrices = new Map<string, Map<string, number>>();
    const files: SourceFile[] = [source(INSTANCE_TYPES_FILE)];
    for (const file of PRICE_FILES) {
        const { generatedAt: pricesAt, prices } = parsePrices(texts[file], file);
        for (const [region, table] of prices) regionPrices.set(region, table);
        files.push({ ...source(file), generatedAt: pricesAt, regions: [...prices.keys()] });
    }
    const regions = [...regionPrices.keys()];

    const rows: GpuInstanceType[] = [];
    for (const [type, { labels, resources }] of parseInstanceTypes(texts[INSTANCE_TYPES_FILE])) {
        if (labels[LABEL("gpu-manufacturer")] !== "nvidia") continue;
        const family = labels[LABEL("family")];
        const gpus = whole(labels[LABEL("gpu-count")], "instance-gpu-count", type);
        // cost.ts derives these labels from the type name (familyLabels), as Karpenter does; stop if the data disagrees.
        const derived = { ...familyLabels(instanceFamilyOf(type)), size: type.slice(type.indexOf(".") + 1) };
        const stated = {
            family,
            category: labels[LABEL("category")],
            generation: labels[LABEL("generation")],
            size: labels[LABEL("size")],
        };
        if (JSON.stringify(derived) !== JSON.stringify(stated)) {
            throw new RefreshError(
                `${INSTANCE_TYPES_FILE}: ${type}'s labels ${JSON.stringify(stated)} are not what its name gives, ${JSON.stringify(derived)}`,
            );
        }
        const resourceGpus =
            resources[NVIDIA_GPU_RESOURCE] === undefined
                ? 0
                : whole(resources[NVIDIA_GPU_RESOURCE], NVIDIA_GPU_RESOURCE, type);
        if (resourceGpus !== gpus) {
            throw new RefreshError(
                `${INSTANCE_TYPES_FILE}: ${type} has instance-gpu-count ${gpus} but ${NVIDIA_GPU_RESOURCE} ${resourceGpus}`,
            );
        }
        const hourlyPrice: Record<string, number> = {};
        for (const region of regions) {
            const price = regionPrices.get(region)!.get(type);
            if (price !== undefined) hourlyPrice[region] = price;
        }
        rows.push({
            type,
            family,
            gpus,
            gpuName: labels[LABEL("gpu-name")] ?? "",
            gpuMemoryMiB: whole(labels[LABEL("gpu-memory")], "instance-gpu-memory", type),
            vcpus: whole(labels[LABEL("cpu")], "instance-cpu", type),
            memoryMiB: whole(labels[LABEL("memory")], "instance-memory", type),
            arch: labels[ARCH_LABEL] ?? "",
            hourlyPrice,
        });
    }
    if (rows.length === 0) throw new RefreshError(`${INSTANCE_TYPES_FILE}: lists no NVIDIA GPU instance type`);
    const order = (a: GpuInstanceType, b: GpuInstanceType) =>
        a.family.localeCompare(b.family) ||
        a.gpus - b.gpus ||
        a.vcpus - b.vcpus ||
        a.memoryMiB - b.memoryMiB ||
        a.type.localeCompare(b.type);
    rows.sort(order);

    return {
        description:
            "NVIDIA GPU instance types as Karpenter's AWS provider describes them, with its initial on-demand " +
            "Linux prices (USD per hour). Generated by `npm run refresh-instance-types`; do not edit.",
        source: sourceRecord(provenance, files),
        generatedAt,
        regions,
        instanceTypes: rows,
    };
}

/** Pretty JSON with one instance type per line, so a refresh diffs type by type. */
export function formatTable(table: InstanceTypeTable): string {
    const { instanceTypes, ...head } = table;
    const opening = JSON.stringify(head, null, 2).replace(/\n}$/, "");
    return `${opening},\n  "instanceTypes": [\n${instanceTypes.map(r => `    ${JSON.stringify(r)}`).join(",\n")}\n  ]\n}\n`;
}

const USAGE = "usage: npm run refresh-instance-types -- <data folder> [--out FILE] [--generated-at YYYY-MM-DD]";

const HELP = `${USAGE}

Rebuilds components/data/gpu-instance-types.json (the NVIDIA instance types and on-demand prices
the cost ceilings, the budgets and the instance-type checks use) from a Karpenter release's data:
${[INSTANCE_TYPES_FILE, ...PRICE_FILES].join(", ")}, copied verbatim into <data folder>
with a README.md (in it or the folder above) naming the repository, tag, commit, each file's original
path and its SHA-256. \`npm run copy-karpenter-release -- <clone> <tag> <folder>\` makes that folder
(its data/ is the data folder) from a clone of https://github.com/aws/karpenter-provider-aws;
docs/refreshing-karpenter-data.md has the steps.

  --out FILE                 write there instead of components/data/gpu-instance-types.json
  --generated-at YYYY-MM-DD  the date to record (default: today)
  --help, -h                 print this and exit

Exit status: 0 when written; 2 when a file is missing, changed since it was copied or unreadable
(nothing is written then).`;

export function main(argv: string[], log: (line: string) => void = console.log): number {
    if (helpAsked(argv)) {
        log(HELP);
        return 0;
    }
    const { folder: dataDir, options } = parseCommandLine(argv, USAGE, ["--out", "--generated-at"]);
    const out = options["--out"] ? path.resolve(options["--out"]) : TABLE_FILE;
    const generatedAt = options["--generated-at"] ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(generatedAt)) {
        throw new RefreshError(`--generated-at ${JSON.stringify(generatedAt)} is not a date like 2026-12-01\n${USAGE}`);
    }
    const table = buildTable(path.resolve(dataDir), generatedAt);
    writeFileSync(out, formatTable(table));
    const families = new Set(table.instanceTypes.map(r => r.family));
    const unpriced = table.instanceTypes.filter(r => Object.keys(r.hourlyPrice).length === 0).map(r => r.type);
    log(
        `wrote ${path.relative(process.cwd(), out) || out}: ${table.instanceTypes.length} NVIDIA instance types in ${families.size} families ` +
            `from ${table.source.repository} ${table.source.tag} (${table.source.commit.slice(0, 12)}), prices for ${table.regions.join(", ")}` +
            (unpriced.length ? `; no price for ${unpriced.join(", ")}` : ""),
    );
    return 0;
}

if (require.main === module) runAsCommand("refresh-instance-types", main);
