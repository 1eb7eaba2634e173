// `npm run check-manifests -- [--policy-pack-config config.json] FILE...`: runs the pack's resource
// policies over Kubernetes YAML files (multi-document) as the engine would see those objects.
// Exit 0: no mandatory violation; 1: a mandatory violation; 2: unreadable input.
// The stack policy is left out: manifests hold no SQS queue or EventBridge rule to check against.
import { readFileSync } from "fs";
import { parseAllDocuments } from "yaml";
import { PolicyPackConfigFileError, readPolicyPackConfigFile } from "./policy-config";
import {
    EngineResource,
    PolicyPackConfig,
    evaluateResourcePolicies,
    formatSummary,
    formatViolation,
    resourceFromManifest,
} from "./rules";
import { isObject } from "./values";

const USAGE = "usage: check-manifests [--policy-pack-config FILE.json] MANIFEST.yaml...";

class InputError extends Error {}

function readText(file: string): string {
    try {
        return readFileSync(file, "utf8");
    } catch (e) {
        throw new InputError(`${file}: cannot read: ${(e as Error).message}`);
    }
}

/** Kubernetes objects in a multi-document YAML file; `kind: List` is unwrapped. */
function readManifests(file: string): EngineResource[] {
    const resources: EngineResource[] = [];
    for (const doc of parseAllDocuments(readText(file))) {
        if (doc.errors.length > 0) {
            throw new InputError(`${file}: invalid YAML: ${doc.errors[0].message.split("\n")[0]}`);
        }
        const value: unknown = doc.toJS();
        if (value === null || value === undefined) {
            continue;
        }
        const objects = isObject(value) && value.kind === "List" && Array.isArray(value.items) ? value.items : [value];
        for (const object of objects) {
            if (!isObject(object) || typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
                throw new InputError(`${file}: a document is not a Kubernetes object (it needs apiVersion and kind)`);
            }
            resources.push(resourceFromManifest(object));
        }
    }
    return resources;
}

/** The file checked as the engine checks it, with its defaults filled in. */
function readConfig(file: string): PolicyPackConfig {
    try {
        return readPolicyPackConfigFile(file);
    } catch (e) {
        throw e instanceof PolicyPackConfigFileError ? new InputError(e.message) : e;
    }
}

function main(args: string[]): number {
    let config: PolicyPackConfig = {};
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--policy-pack-config" && i + 1 < args.length) {
            config = readConfig(args[++i]);
        } else if (args[i].startsWith("-")) {
            throw new InputError(`unknown option ${args[i]}\n${USAGE}`);
        } else {
            files.push(args[i]);
        }
    }
    if (files.length === 0) {
        throw new InputError(USAGE);
    }
    const resources: EngineResource[] = [];
    const unreadable: string[] = [];
    for (const file of files) {
        try {
            resources.push(...readManifests(file));
        } catch (e) {
            if (!(e instanceof InputError)) {
                throw e;
            }
            unreadable.push(e.message);
        }
    }
    if (unreadable.length > 0) {
        throw new InputError(unreadable.join("\ncheck-manifests: "));
    }
    const violations = evaluateResourcePolicies(resources, config);
    for (const v of violations) {
        console.log(formatViolation(v));
    }
    console.log(formatSummary(violations, resources.length));
    return violations.some(v => v.enforcement === "mandatory") ? 1 : 0;
}

try {
    process.exitCode = main(process.argv.slice(2));
} catch (e) {
    if (!(e instanceof InputError)) {
        throw e;
    }
    console.error(`check-manifests: ${e.message}`);
    process.exitCode = 2;
}
