// `npm run refresh-crd-schemas -- <upstream folder> [--out DIR]`
//
// Turns Karpenter's CRDs (crds/*.yaml, copied verbatim into <upstream folder>, whose README names
// the source repository, tag, commit, original paths and SHA-256 of each file) into the schemas
// offline/karpenter-schema.ts validates against: offline/schemas/<crd>.v1.json, the v1 version's
// openAPIV3Schema as JSON with nothing changed, and SOURCE.json, where they came from. The project
// reads only those files, never the upstream folder, at run time and in tests.
import { existsSync, mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import {
    RefreshError,
    parseCommandLine,
    readProvenance,
    readText,
    readVerified,
    runAsCommand,
    sourceRecord,
    sha256,
} from "./upstream";
import { fromYaml } from "../components/yaml";
import { helpAsked } from "../offline/command-line";
import { isObject } from "../policies/values";

export { RefreshError };

export const SCHEMA_DIR = path.resolve(__dirname, "..", "offline", "schemas");
export const SOURCE_FILE = "SOURCE.json";

/** The CRDs the validator checks, by their file names (controller-gen's `<group>_<plural>`). */
export const CRDS = ["karpenter.sh_nodepools", "karpenter.k8s.aws_ec2nodeclasses"];
const VERSION = "v1";

export interface SchemaSource {
    description: string;
    source: {
        repository: string;
        license: string;
        tag: string;
        commit: string;
        files: { file: string; path: string; sha256: string }[];
    };
    /** Each generated file, the upstream file it came from and its own SHA-256. */
    schemas: { file: string; from: string; version: string; sha256: string }[];
}

export interface Refresh {
    /** File name in the output folder → its text. */
    outputs: Map<string, string>;
    source: SchemaSource;
}

/** The openAPIV3Schema of the CRD's `v1` version. */
export function v1Schema(yamlText: string, file: string): unknown {
    let crd: unknown;
    try {
        // The core schema: a date-like scalar stays the string the API server would see
        // (sigs.k8s.io/yaml keeps it a string too), not a Date.
        crd = fromYaml(yamlText);
    } catch (e) {
        throw new RefreshError(
            `${file}: is not YAML (or holds more than one document): ${(e as Error).message.split("\n")[0]}`,
        );
    }
    const spec = isObject(crd) ? crd.spec : undefined;
    if (!isObject(crd) || crd.kind !== "CustomResourceDefinition" || !isObject(spec) || !Array.isArray(spec.versions)) {
        throw new RefreshError(`${file}: is not a CustomResourceDefinition with spec.versions`);
    }
    const versions = spec.versions as unknown[];
    const names = versions.map(v => (isObject(v) ? String(v.name) : "?"));
    const version = versions.find(v => isObject(v) && v.name === VERSION) as Record<string, unknown> | undefined;
    if (!version) {
        throw new RefreshError(
            `${file}: has no ${VERSION} version (it has ${names.join(", ") || "none"}); ` +
                "offline/karpenter-schema.ts checks v1 objects only",
        );
    }
    const schema = isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
    if (!isObject(schema)) throw new RefreshError(`${file}: version ${VERSION} has no schema.openAPIV3Schema`);
    return schema;
}

/** Reads and checks every CRD before anything is written, so a failed refresh leaves the old schemas whole. */
export function buildSchemas(upstreamDir: string): Refresh {
    const readmeFile = path.join(upstreamDir, "README.md");
    if (!existsSync(readmeFile))
        throw new RefreshError(`${upstreamDir}: no README.md in it to say where the files came from`);
    const crdFiles = CRDS.map(name => `crds/${name}.yaml`);
    const provenance = readProvenance(readText(readmeFile), readmeFile, crdFiles);

    const outputs = new Map<string, string>();
    const files: SchemaSource["source"]["files"] = [];
    const schemas: SchemaSource["schemas"] = [];
    for (const [i, name] of CRDS.entries()) {
        const crdFile = crdFiles[i];
        // SOURCE.json names the tag's commit; a CRD copied from another ref would make it wrong.
        const ref = provenance.refs[crdFile];
        if (ref !== undefined && !ref.includes(`\`${provenance.tag}\``)) {
            throw new RefreshError(
                `${readmeFile}: ${crdFile} comes from ${ref}, not the release tag \`${provenance.tag}\``,
            );
        }
        const file = path.join(upstreamDir, crdFile);
        const schema = v1Schema(readVerified(file, provenance.checksums[crdFile]), file);
        const out = `${name}.${VERSION}.json`;
        const text = JSON.stringify(schema, null, 2) + "\n";
        outputs.set(out, text);
        files.push({ file: crdFile, path: provenance.paths[crdFile], sha256: provenance.checksums[crdFile] });
        schemas.push({ file: out, from: crdFile, version: VERSION, sha256: sha256(text) });
    }
    const source: SchemaSource = {
        description:
            `The openAPIV3Schema of each Karpenter CRD's ${VERSION} version, converted from YAML to JSON ` +
            "with nothing else changed. Generated by `npm run refresh-crd-schemas`; do not edit.",
        source: sourceRecord(provenance, files),
        schemas,
    };
    outputs.set(SOURCE_FILE, JSON.stringify(source, null, 2) + "\n");
    return { outputs, source };
}

const USAGE =
    "usage: npm run refresh-crd-schemas -- <upstream folder, e.g. shared/upstream/karpenter/v1.14.1> [--out DIR]";

const HELP = `${USAGE}

Rebuilds offline/schemas/ (the Karpenter CRD schemas the plan and check-manifests validate against)
from a release's CRDs: ${CRDS.map(name => `crds/${name}.yaml`).join(" and ")}, copied verbatim into
<upstream folder> with a README.md naming the repository, tag, commit, each file's original path and
its SHA-256. \`npm run copy-karpenter-release -- <clone> <tag> <folder>\` makes that folder from a clone
of https://github.com/aws/karpenter-provider-aws; docs/refreshing-karpenter-data.md has the steps.

  --out DIR   write there instead of offline/schemas/
  --help, -h  print this and exit

Exit status: 0 when written; 2 when a file is missing, changed since it was copied, from another ref
than the tag, or not a CRD with a v1 version (nothing is written then).`;

export function main(argv: string[], log: (line: string) => void = console.log): number {
    if (helpAsked(argv)) {
        log(HELP);
        return 0;
    }
    const { folder: upstreamDir, options } = parseCommandLine(argv, USAGE, ["--out"]);
    const outDir = options["--out"] ? path.resolve(options["--out"]) : SCHEMA_DIR;
    const { outputs, source } = buildSchemas(path.resolve(upstreamDir));
    mkdirSync(outDir, { recursive: true });
    for (const [file, text] of outputs) writeFileSync(path.join(outDir, file), text);
    log(
        `wrote ${path.relative(process.cwd(), outDir) || outDir}/: ${[...outputs.keys()].join(", ")} from ` +
            `${source.source.repository} ${source.source.tag} (${source.source.commit.slice(0, 12)})`,
    );
    return 0;
}

if (require.main === module) runAsCommand("refresh-crd-schemas", main);
