// YAML as the project reads and writes it: stack files, the aws-auth mapRoles, the offline plan's
// manifests and Helm values.
import { CORE_SCHEMA, dump, load } from "js-yaml";

/** Plain data, as a YAML 1.2 reader such as Pulumi's sees it: a date stays a string. */
export function fromYaml(text: string): unknown {
    return load(text, { schema: CORE_SCHEMA });
}

/**
 * Block-style YAML of plain data. Strings a YAML 1.1 reader would take for something else ("yes",
 * "on", "1:20") are quoted: kubectl and aws-iam-authenticator read YAML 1.1. No anchors for
 * repeated objects and no folding of long strings, so every value reads as it is.
 */
export function toYaml(value: unknown): string {
    return dump(value, { noRefs: true, lineWidth: -1, quotingType: '"' });
}
