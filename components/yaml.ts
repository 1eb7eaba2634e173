// YAML as the project reads and writes it: stack files, the aws-auth mapRoles, the offline plan's
// manifests and Helm values.
import { CORE_SCHEMA, DEFAULT_SCHEMA, Type, dump, load } from "js-yaml";

/** Plain data, as a YAML 1.2 reader such as Pulumi's sees it: a date stays a string. */
export function fromYaml(text: string): unknown {
    return load(text, { schema: CORE_SCHEMA });
}

// A YAML 1.1 reader (kubectl's go-yaml v2) drops underscores before it tries a scalar as a number,
// so `1_000` and `1_` are numbers there; js-yaml's own schema reads them as strings and would not
// quote them. Dump-only: no value is ever represented as this type, it only makes such strings
// ambiguous, so they are quoted.
const YAML11_NUMBER = /^[-+]?(0b[01]+|0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+|(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)$/;
const underscoredYaml11Number = new Type("tag:yaml.org,2002:yaml11-underscored-number", {
    kind: "scalar",
    resolve: (text: string) => text.includes("_") && YAML11_NUMBER.test(text.replace(/_/g, "")),
});
const YAML11_SAFE_SCHEMA = DEFAULT_SCHEMA.extend({ implicit: [underscoredYaml11Number] });

/**
 * Block-style YAML of plain data. Strings a YAML 1.1 reader would take for something else ("yes",
 * "on", "1:20", "2026-11-23", "1_000") are quoted: kubectl and aws-iam-authenticator read YAML 1.1.
 * No anchors for repeated objects and no folding of long strings, so every value reads as it is.
 */
export function toYaml(value: unknown): string {
    return dump(value, { schema: YAML11_SAFE_SCHEMA, noRefs: true, lineWidth: -1, quotingType: '"' });
}
