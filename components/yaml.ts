// YAML as the project reads and writes it: stack files, the aws-auth mapRoles, the offline plan's
// manifests and Helm values.
import { parse, stringify } from "yaml";

/** Plain data, as a YAML 1.2 reader such as Pulumi's (go-yaml v3) sees it: a date stays a string. */
export function fromYaml(text: string): unknown {
    return parse(text, { version: "1.2", schema: "core" });
}

/**
 * Block-style YAML of plain data, for YAML 1.1 readers: kubectl, Helm and aws-iam-authenticator read
 * it with go-yaml v2, so strings such as "yes", "on", "1:20", "2026-11-23" or "1_000" are quoted.
 * No anchors for repeated objects and no folding of long strings, so every value reads as it is.
 */
export function toYaml(value: unknown): string {
    return stringify(value, { version: "1.1", aliasDuplicateObjects: false, lineWidth: 0 });
}
