// `npm run check-manifests -- [--policy-pack-config config.json] FILE...`: runs the pack's policies
// over Kubernetes YAML files (multi-document) as the engine would see those objects: the resource
// policies object by object, the stack policies over all the files together (they are taken as one
// stack's worth), and checks every Karpenter NodePool and EC2NodeClass against the vendored CRDs.
// Exit 0: no mandatory violation or schema error; 1: one; 2: unreadable input.
import { readFileSync } from "fs";
import { parseAllDocuments } from "yaml";
import { helpAsked } from "../offline/command-line";
import {
    formatSchemaError,
    KARPENTER_RELEASE,
    type SchemaError,
    validateKarpenterObject,
} from "../offline/karpenter-schema";
import { PolicyPackConfigFileError, readPolicyPackConfigFile } from "./policy-config";
import {
    EngineResource,
    INTERRUPTION_POLICY,
    PolicyPackConfig,
    enforcementOf,
    evaluateResourcePolicies,
    evaluateStackPolicies,
    formatSummary,
    formatViolation,
    resourceFromManifest,
} from "./rules";
import { isObject } from "./values";

const USAGE = "usage: npm run check-manifests -- [--policy-pack-config FILE.json] MANIFEST.yaml...";

const HELP = `${USAGE}

Runs the gpu-karpenter policy pack over Kubernetes manifests, as \`pulumi preview --policy-pack\`
would see those objects: each resource policy on each object, and the stack policies over all the
files together (give them one stack's worth: gpu-stack-hourly-cost sums every GPU pool in them). The
interruption stack policy is not run: it checks an SQS queue and EventBridge rules, which manifests
do not hold (the offline plan and pulumi preview check it). Every Karpenter v1 NodePool and EC2NodeClass
is also checked against the vendored ${KARPENTER_RELEASE} CRDs (unknown fields, types, required fields, CEL rules).

  --policy-pack-config FILE  the policy pack's config, as \`pulumi preview --policy-pack-config\` takes it
  --help, -h                 print this and exit

Exit status: 0 when no mandatory policy fails and every Karpenter object is valid; 1 on a mandatory
violation or a schema error; 2 on unreadable input (a missing file, a YAML syntax error, a document
that is not a Kubernetes object, or a policy pack config the engine would refuse or partly ignore).
`;

/**
 * The Karpenter objects checked against the vendored CRDs: those of the served v1 APIs. Older ones
 * are the karpenter-v1-api policy's to report.
 */
const VALIDATED = new Set(["karpenter.sh/v1 NodePool", "karpenter.k8s.aws/v1 EC2NodeClass"]);

const isValidated = (object: Record<string, unknown>) =>
    VALIDATED.has(`${String(object.apiVersion)} ${String(object.kind)}`);

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

function check(args: string[]): number {
    if (helpAsked(args)) {
        process.stdout.write(HELP);
        return 0;
    }
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
    // An object the API server would reject is reported by its schema errors alone: the policies would
    // judge what it says, not what was meant (a misspelt `requirments:` is no missing requirement).
    const schemaErrors = new Map<EngineResource, SchemaError[]>();
    for (const r of resources) {
        const errors = isValidated(r.props as Record<string, unknown>) ? validateKarpenterObject(r.props) : [];
        if (errors.length > 0) schemaErrors.set(r, errors);
    }
    if (schemaErrors.size > 0) {
        console.log(`${KARPENTER_RELEASE} schema errors (the policies skip these objects until they are fixed):`);
        for (const e of [...schemaErrors.values()].flat()) console.log(`  ${formatSchemaError(e)}`);
    }
    const valid = resources.filter(r => !schemaErrors.has(r));
    // The interruption policy checks an SQS queue and EventBridge rules, which manifests do not hold.
    const violations = [
        ...evaluateResourcePolicies(valid, config),
        ...evaluateStackPolicies(valid, { ...config, [INTERRUPTION_POLICY]: "disabled" }),
    ];
    for (const v of violations) {
        console.log(formatViolation(v));
    }
    if (
        enforcementOf(INTERRUPTION_POLICY, config) &&
        valid.some(r => (r.props as Record<string, unknown>).kind === "NodePool")
    ) {
        console.log(
            `not run: ${INTERRUPTION_POLICY} (it checks the stack's SQS queue and EventBridge rules, which ` +
                "manifests do not hold; npm run plan and pulumi preview --policy-pack run it)",
        );
    }
    const summary = formatSummary(violations, valid.length);
    const invalid = schemaErrors.size;
    console.log(invalid > 0 ? `${summary}; ${invalid} invalid Karpenter object${invalid === 1 ? "" : "s"}` : summary);
    return invalid > 0 || violations.some(v => v.enforcement === "mandatory") ? 1 : 0;
}

/** The command: its exit code; unreadable input is named on stderr (exit 2). Run by offline/launch.js. */
export function main(args: string[]): number {
    try {
        return check(args);
    } catch (e) {
        if (!(e instanceof InputError)) throw e;
        console.error(`check-manifests: ${e.message}`);
        return 2;
    }
}
