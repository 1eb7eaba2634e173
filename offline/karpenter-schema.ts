// Says whether a Karpenter v1 NodePool or EC2NodeClass would be accepted on CREATE by a Kubernetes
// API server with the vendored Karpenter CRDs installed: ObjectMeta rules, the structural OpenAPI
// schema and every x-kubernetes-validations (CEL) rule. Offline: the schemas are vendored in
// ./schemas (see its README). ajv and the CEL library are loaded, and the schemas compiled, on the
// first call only: importing this module costs no more than parsing the vendored JSON.

import type { default as Ajv, ErrorObject, Format, ValidateFunction } from "ajv";
import type { Environment, ParseResult } from "@marcbachmann/cel-js";
import nodePoolSchema from "./schemas/karpenter.sh_nodepools.v1.json";
import ec2NodeClassSchema from "./schemas/karpenter.k8s.aws_ec2nodeclasses.v1.json";
import schemaSource from "./schemas/SOURCE.json";
import { closest } from "../components/edit-distance";
import { isObject } from "../policies/values";

/** The release the vendored schemas come from, as messages name it: "Karpenter 1.14.1". */
export const KARPENTER_RELEASE = `Karpenter ${schemaSource.source.tag.replace(/^v/, "")}`;

export interface SchemaError {
    /** `Kind/name`, e.g. "NodePool/gpu". */
    object: string;
    /** Dotted path with list indexes and map keys, e.g. "spec.template.spec.requirements[1].values". */
    field: string;
    reason: string;
}

/** The parts of a Kubernetes structural schema this module reads. */
interface CrdSchema {
    type?: string | string[];
    properties?: Record<string, CrdSchema>;
    additionalProperties?: CrdSchema | boolean;
    items?: CrdSchema;
    anyOf?: CrdSchema[];
    uniqueItems?: boolean;
    nullable?: boolean;
    "x-kubernetes-int-or-string"?: boolean;
    "x-kubernetes-preserve-unknown-fields"?: boolean;
    "x-kubernetes-list-type"?: string;
    "x-kubernetes-validations"?: CelRule[];
    [keyword: string]: unknown;
}

interface CelRule {
    rule: string;
    message?: string;
    messageExpression?: string;
}

interface KarpenterKind {
    apiVersion: string;
    kind: string;
    schema: CrdSchema;
    /** Node label Karpenter copies the object's name into, which caps the name at 63 characters. */
    nameLabel?: string;
    validate?: ValidateFunction;
}

const KINDS: KarpenterKind[] = [
    {
        apiVersion: "karpenter.sh/v1",
        kind: "NodePool",
        schema: nodePoolSchema,
        nameLabel: "karpenter.sh/nodepool",
    },
    {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        schema: ec2NodeClassSchema,
    },
];
const KARPENTER_GROUPS = new Set(KINDS.map(k => k.apiVersion.split("/")[0]));

// What the API server does with a field its structural schema lacks: it prunes it, and answers a
// client that asks for no field validation (or "Warn", its default) with at most a warning;
// kubectl apply asks for "Strict" and is refused (KEP-2885, server-side field validation).
const UNKNOWN_FIELD = `unknown field: not in the ${KARPENTER_RELEASE} CRD; the API server drops it, at most with a warning (kubectl apply, which asks for strict validation, refuses it)`;

// Errors after which the API server does not run CEL rules (apiextensions-apiserver hasBlockingErr):
// the value does not have the shape the rules were written for.
const BLOCKING_KEYWORDS = new Set(["type", "required", "enum", "maxLength", "maxItems", "maxProperties"]);

// The API server does not range-check int32/int64, but Karpenter's Go types are int32/int64:
// a value that does not fit is stored and then cannot be read by the controller.
const FORMATS: Record<string, Format> = {
    int32: { type: "number", validate: (n: number) => n >= -(2 ** 31) && n < 2 ** 31 },
    int64: { type: "number", validate: (n: number) => n >= -(2 ** 63) && n < 2 ** 63 },
    "date-time": /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
};

// ObjectMeta fields; anything else under metadata is dropped by the API server.
const OBJECT_META_FIELDS = new Set([
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
]);
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

// Transition rules compare with the stored object; on CREATE there is none and the API server skips them.
const TRANSITION_RULE = /\boldSelf\b/;

/**
 * The reasons the Kubernetes API server with the vendored Karpenter CRDs would reject (or prune)
 * `obj` on CREATE; [] when it would accept it as given. Defaults in the CRD are applied
 * first, as the API server does, to a copy: `obj` is not modified.
 */
export function validateKarpenterObject(obj: unknown): SchemaError[] {
    const object = objectLabel(obj);
    const errors: SchemaError[] = [];
    const report = (field: string, reason: string) => errors.push({ object, field, reason });
    if (!isObject(obj)) {
        report("", `must be a Kubernetes object, got ${show(obj)}`);
        return errors;
    }
    const kind = servedKind(obj.apiVersion, obj.kind, report);
    if (!kind) {
        return errors;
    }
    // What the API server receives: JSON, so undefined fields are absent and Dates are strings.
    let data: Record<string, unknown>;
    try {
        data = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
    } catch (e) {
        report("", `cannot be serialized to JSON: ${firstLine(e)}`);
        return errors;
    }
    if ("status" in data) {
        report("status", "is written by Karpenter: the API server ignores it on create (status subresource)");
        delete data.status;
    }
    dropNulls(kind.schema, data);
    checkMetadata(data.metadata, kind, report);

    const validate = compiledSchema(kind);
    const blocked: string[] = [];
    if (!validate(data)) {
        for (const e of validate.errors ?? []) {
            const { field, reason } = describeSchemaError(e, kind.schema, data);
            report(field, reason);
            if (BLOCKING_KEYWORDS.has(e.keyword)) {
                blocked.push(fieldPath(kind.schema, pointerSegments(e.instancePath)));
            }
        }
    }
    const ctx: RuleContext = { blocked, skipped: [], report };
    checkRules(kind.schema, data, "", ctx);
    if (ctx.skipped.length > 0) {
        report(
            "",
            `the x-kubernetes-validations rules of ${ctx.skipped.map(f => f || "the object").join(", ")} ` +
                "were not checked because of the schema errors above",
        );
    }
    return errors;
}

/** `<Kind>/<name> <field>: <reason>` */
export function formatSchemaError(e: SchemaError): string {
    return `${e.object}${e.field ? ` ${e.field}` : ""}: ${e.reason}`;
}

/** Throws one Error listing every SchemaError of `objs` as `<object> <field>: <reason>`. */
export function assertValidKarpenterObjects(objs: unknown[]): void {
    const errors = objs.flatMap(o => validateKarpenterObject(o));
    if (errors.length > 0) {
        const lines = errors.map(e => `  ${formatSchemaError(e)}`);
        throw new Error(`the ${KARPENTER_RELEASE} CRDs would reject these objects:\n${lines.join("\n")}`);
    }
}

function servedKind(
    apiVersion: unknown,
    kind: unknown,
    report: (field: string, reason: string) => void,
): KarpenterKind | undefined {
    const served = KINDS.find(k => k.apiVersion === apiVersion && k.kind === kind);
    if (served) {
        return served;
    }
    const expected = KINDS.map(k => `${k.apiVersion} ${k.kind}`).join(" or ");
    const [group, version] = typeof apiVersion === "string" ? apiVersion.split("/") : [];
    if (!KARPENTER_GROUPS.has(group)) {
        report("apiVersion", `must be ${expected}, got ${show(apiVersion)} ${show(kind)}`);
    } else if (version !== "v1") {
        const sameKind = KINDS.find(k => k.kind === kind);
        report(
            "apiVersion",
            `${String(apiVersion)} is not served by ${KARPENTER_RELEASE}, which serves NodePool and EC2NodeClass as v1 only ` +
                `(v1beta1 was removed in Karpenter 1.1); use ${sameKind ? sameKind.apiVersion : expected}`,
        );
    } else {
        report("kind", `must be ${expected}, got ${show(kind)}`);
    }
    return undefined;
}

// Custom resources get ObjectMeta validation from the API server, not from the CRD schema.
function checkMetadata(meta: unknown, kind: KarpenterKind, report: (field: string, reason: string) => void): void {
    if (!isObject(meta)) {
        report("metadata", meta === undefined ? "required" : `must be an object, got ${show(meta)}`);
        return;
    }
    for (const key of Object.keys(meta)) {
        if (!OBJECT_META_FIELDS.has(key)) {
            report(`metadata.${key}`, UNKNOWN_FIELD);
        }
    }
    const name = meta.name;
    if (typeof name !== "string") {
        report("metadata.name", name === undefined ? "required" : `must be a string, got ${show(name)}`);
    } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
        report(
            "metadata.name",
            "must be a lowercase RFC 1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', " +
                `starting and ending with a letter or digit, got ${show(name)}`,
        );
    } else if (kind.nameLabel && name.length > 63) {
        report(
            "metadata.name",
            `must be at most 63 characters because Karpenter puts it in the ${kind.nameLabel} node label, ` +
                `got ${name.length}`,
        );
    }
    checkStringMap(meta.labels, "metadata.labels", report, (key, value) => {
        if (value.length > 63 || !LABEL_NAME.test(value)) {
            report(
                `metadata.labels[${key}]`,
                "a label value must be at most 63 letters, digits, '-', '_' or '.', " +
                    `starting and ending with a letter or digit, got ${show(value)}`,
            );
        }
    });
    let annotationBytes = 0;
    checkStringMap(meta.annotations, "metadata.annotations", report, (key, value) => {
        annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    });
    if (annotationBytes > ANNOTATIONS_MAX_BYTES) {
        report("metadata.annotations", `must total at most ${ANNOTATIONS_MAX_BYTES} bytes, got ${annotationBytes}`);
    }
}

function checkStringMap(
    map: unknown,
    field: string,
    report: (field: string, reason: string) => void,
    checkValue: (key: string, value: string) => void,
): void {
    if (map === undefined) {
        return;
    }
    if (!isObject(map)) {
        report(field, `must be a map of strings, got ${show(map)}`);
        return;
    }
    for (const [key, value] of Object.entries(map)) {
        const keyProblem = qualifiedNameProblem(key);
        if (keyProblem) {
            report(`${field}[${key}]`, keyProblem);
        }
        if (typeof value !== "string") {
            report(`${field}[${key}]`, `must be a string, got ${show(value)}`);
        } else {
            checkValue(key, value);
        }
    }
}

/** Kubernetes' IsQualifiedName, used for label and annotation keys. */
function qualifiedNameProblem(key: string): string | undefined {
    const slash = key.lastIndexOf("/");
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
        return `key prefix must be a lowercase RFC 1123 subdomain, got ${show(prefix)}`;
    }
    if (name === "" || name.length > 63 || !LABEL_NAME.test(name)) {
        return (
            "key name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter " +
            `or digit, got ${show(name)}`
        );
    }
    return undefined;
}

let ajv: Ajv | undefined;

function compiledSchema(kind: KarpenterKind): ValidateFunction {
    if (!kind.validate) {
        if (!ajv) {
            // Lazy: ajv and its compile step cost tens of milliseconds a program that never validates should not pay.
            const AjvClass = (require("ajv") as typeof import("ajv")).default;
            ajv = new AjvClass({
                strict: false, // x-kubernetes-* keywords, and maxLength/pattern on lists, which Kubernetes ignores too
                allErrors: true,
                useDefaults: true, // the API server defaults before it validates (e.g. a budget's `nodes`)
                validateSchema: false, // the vendored schemas are fixed; skips compiling the meta-schema
                meta: false,
                code: { optimize: false }, // compiles about a quarter faster; validating stays far below 1 ms
                formats: FORMATS,
            });
        }
        kind.validate = ajv.compile(toAjvSchema(kind.schema));
    }
    return kind.validate;
}

/**
 * The API server treats null in a field that is not nullable as absent (and then defaults it):
 * apiextensions-apiserver PruneNonNullableNullsWithoutDefaults. Map values and list items keep it.
 */
function dropNulls(node: CrdSchema, value: unknown): void {
    if (Array.isArray(value) && node.items) {
        for (const item of value) {
            dropNulls(node.items, item);
        }
    } else if (isObject(value)) {
        for (const key of Object.keys(value)) {
            const v = value[key];
            const property = node.properties?.[key];
            if (property && v === null && !property.nullable) {
                delete value[key];
            } else {
                const child = property ?? (isSchema(node.additionalProperties) ? node.additionalProperties : undefined);
                if (child) {
                    dropNulls(child, v);
                }
            }
        }
    }
}

/** Turns the Kubernetes-only parts of a structural schema into JSON Schema that ajv enforces. */
function toAjvSchema(node: CrdSchema): CrdSchema {
    const out: CrdSchema = { ...node };
    if (node.properties) {
        out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, toAjvSchema(v)]));
        if (node.additionalProperties === undefined && !node["x-kubernetes-preserve-unknown-fields"]) {
            // The API server prunes unknown fields (UNKNOWN_FIELD); report them instead.
            out.additionalProperties = false;
        }
    }
    if (isSchema(node.additionalProperties)) {
        out.additionalProperties = toAjvSchema(node.additionalProperties);
    }
    if (node.items) {
        out.items = toAjvSchema(node.items);
    }
    if (node["x-kubernetes-int-or-string"]) {
        out.type = ["integer", "string"];
        delete out.anyOf;
    }
    if (node["x-kubernetes-list-type"] === "set") {
        out.uniqueItems = true;
    }
    return out;
}

function describeSchemaError(e: ErrorObject, schema: CrdSchema, data: unknown): { field: string; reason: string } {
    const segments = pointerSegments(e.instancePath);
    const value = valueAt(data, segments);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
        case "required":
            return { field: fieldPath(schema, [...segments, String(p.missingProperty)]), reason: "required" };
        case "additionalProperties": {
            const field = String(p.additionalProperty);
            const hint = closest(field, Object.keys(schemaAt(schema, segments)?.properties ?? {}));
            return {
                field: fieldPath(schema, [...segments, field]),
                reason: hint ? `${UNKNOWN_FIELD} (did you mean ${hint}?)` : UNKNOWN_FIELD,
            };
        }
        case "uniqueItems": {
            // Like the API server, point at the later copy.
            const [first, later] = [Number(p.i), Number(p.j)].sort((x, y) => x - y);
            return {
                field: fieldPath(schema, [...segments, String(later)]),
                reason: `duplicate of item ${first} (${show((value as unknown[])[first])}): the list is a set`,
            };
        }
        default:
            return { field: fieldPath(schema, segments), reason: valueReason(e, value) };
    }
}

function valueReason(e: ErrorObject, value: unknown): string {
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
        case "type":
            return `must be ${typeName(p.type)}, got ${show(value)}`;
        case "enum":
            return `must be one of ${(p.allowedValues as unknown[]).map(show).join(", ")}, got ${show(value)}`;
        case "pattern":
            return `must match ${String(p.pattern)}, got ${show(value)}`;
        case "minimum":
        case "maximum":
            return `must be ${String(p.comparison)} ${String(p.limit)}, got ${show(value)}`;
        case "format":
            return `must be a valid ${String(p.format)}, got ${show(value)}`;
        case "minLength":
            return `must be at least ${count(p.limit, "character")}, got ${[...String(value)].length}`;
        case "maxLength":
            return `must be at most ${count(p.limit, "character")}, got ${[...String(value)].length}`;
        case "minItems":
            return `must have at least ${count(p.limit, "item")}, got ${(value as unknown[]).length}`;
        case "maxItems":
            return `must have at most ${count(p.limit, "item")}, got ${(value as unknown[]).length}`;
        case "maxProperties": {
            const entries = Object.keys(value as object).length;
            return `must have at most ${count(p.limit, "entry", "entries")}, got ${entries}`;
        }
        default:
            return e.message ?? e.keyword;
    }
}

/** JSON pointer segments as a Kubernetes field path: `spec.limits[nvidia.com/gpu]`, `requirements[1].values`. */
function fieldPath(schema: CrdSchema, segments: string[]): string {
    return walk(schema, segments).path;
}

/** The schema of the field at `segments`. */
function schemaAt(schema: CrdSchema, segments: string[]): CrdSchema | undefined {
    return walk(schema, segments).node;
}

function walk(schema: CrdSchema, segments: string[]): { path: string; node: CrdSchema | undefined } {
    let node: CrdSchema | undefined = schema;
    let path = "";
    for (const s of segments) {
        if (node?.items) {
            path += `[${s}]`;
            node = node.items;
        } else if (node && !node.properties?.[s] && isSchema(node.additionalProperties)) {
            path += `[${s}]`;
            node = node.additionalProperties;
        } else {
            path += path ? `.${s}` : s;
            node = node?.properties?.[s];
        }
    }
    return { path, node };
}

interface RuleContext {
    /** Fields with blocking schema errors. */
    blocked: string[];
    /** Fields whose rules were skipped because of those errors. */
    skipped: string[];
    report: (field: string, reason: string) => void;
}

/**
 * Runs the x-kubernetes-validations rules of every value present in `value`, deepest first, and
 * returns the value as CEL sees it (schema integers become CEL ints).
 */
function checkRules(node: CrdSchema, value: unknown, field: string, ctx: RuleContext): unknown {
    let self = value;
    if (Array.isArray(value) && node.items) {
        const items = node.items;
        self = value.map((v, i) => checkRules(items, v, `${field}[${i}]`, ctx));
    } else if (isObject(value)) {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
            const property = node.properties?.[key];
            const child = property ?? (isSchema(node.additionalProperties) ? node.additionalProperties : undefined);
            if (child) {
                const childField = property ? (field ? `${field}.${key}` : key) : `${field}[${key}]`;
                out[key] = checkRules(child, value[key], childField, ctx);
            }
        }
        self = out;
    } else if (Number.isInteger(value) && (node.type === "integer" || node["x-kubernetes-int-or-string"])) {
        self = BigInt(value as number);
    }
    const rules = createRules(node);
    if (rules.length) {
        // The API server skips every rule after a blocking error; skipping only the rules whose
        // value holds one is as safe (a rule sees only its own value) and reports more at once.
        if (ctx.blocked.some(b => isWithin(b, field))) {
            ctx.skipped.push(field);
        } else {
            for (const failure of ruleFailures(node, rules, value, self)) {
                ctx.report(field, failure);
            }
        }
    }
    return self;
}

const createRulesOf = new WeakMap<CrdSchema, CelRule[]>();

/** The rules of `node` that run on CREATE, worked out once per schema node. */
function createRules(node: CrdSchema): CelRule[] {
    let rules = createRulesOf.get(node);
    if (!rules) {
        rules = (node["x-kubernetes-validations"] ?? []).filter(r => !TRANSITION_RULE.test(r.rule));
        createRulesOf.set(node, rules);
    }
    return rules;
}

// Per schema node, the failures of its rules by the JSON of the value they ran on.
const failuresOf = new WeakMap<CrdSchema, Map<string, string[]>>();

/**
 * What `node`'s rules say of `self` (`value` as CEL sees it). Rules depend on nothing but the value,
 * so each distinct value is evaluated once: pools repeat most of theirs (requirements, taints,
 * volumes), and a stack of 50 pools would otherwise run some 3,000 rules.
 */
function ruleFailures(node: CrdSchema, rules: CelRule[], value: unknown, self: unknown): string[] {
    let byValue = failuresOf.get(node);
    if (!byValue) {
        byValue = new Map();
        failuresOf.set(node, byValue);
    }
    const key = JSON.stringify(value);
    let failures = byValue.get(key);
    if (!failures) {
        failures = rules.map(rule => ruleFailure(rule, self)).filter((f): f is string => f !== undefined);
        byValue.set(key, failures);
    }
    return failures;
}

function ruleFailure(rule: CelRule, self: unknown): string | undefined {
    let result: unknown;
    try {
        result = celProgram(rule.rule)({ self });
    } catch (e) {
        return `${ruleMessage(rule, self)} (the rule could not be evaluated: ${firstLine(e)})`;
    }
    if (result === true) {
        return undefined;
    }
    return result === false ? ruleMessage(rule, self) : `rule ${rule.rule} returned ${show(result)}, not a bool`;
}

/** The API server's choice: messageExpression if it yields a non-empty string, then message, then the rule. */
function ruleMessage(rule: CelRule, self: unknown): string {
    if (rule.messageExpression) {
        try {
            const message: unknown = celProgram(rule.messageExpression)({ self });
            if (typeof message === "string" && message.trim() !== "") {
                return message;
            }
        } catch {
            // fall back like the API server does
        }
    }
    return rule.message ?? `failed rule: ${rule.rule}`;
}

let celEnvironment: Environment | undefined;
const celPrograms = new Map<string, ParseResult>();
const findPatterns = new Map<string, RegExp>();

function celProgram(expression: string): ParseResult {
    let program = celPrograms.get(expression);
    if (!program) {
        if (!celEnvironment) {
            const { Environment } = require("@marcbachmann/cel-js") as typeof import("@marcbachmann/cel-js");
            celEnvironment = new Environment()
                .registerVariable("self", "dyn")
                // Kubernetes' regex library: the first match of the pattern, or "" when there is none.
                .registerFunction("string.find(string): string", (s: string, pattern: string) => {
                    let re = findPatterns.get(pattern);
                    if (!re) {
                        re = new RegExp(pattern);
                        findPatterns.set(pattern, re);
                    }
                    return re.exec(s)?.[0] ?? "";
                });
        }
        program = celEnvironment.parse(expression);
        celPrograms.set(expression, program);
    }
    return program;
}

function valueAt(data: unknown, segments: string[]): unknown {
    let value = data;
    for (const s of segments) {
        value = Array.isArray(value) ? value[Number(s)] : isObject(value) ? value[s] : undefined;
    }
    return value;
}

function objectLabel(obj: unknown): string {
    const kind = isObject(obj) && typeof obj.kind === "string" ? obj.kind : "object";
    const meta = isObject(obj) ? obj.metadata : undefined;
    const name = isObject(meta) && typeof meta.name === "string" ? meta.name : "<no name>";
    return `${kind}/${name}`;
}

function typeName(type: unknown): string {
    const article = (t: string) => (t === "integer" || t === "object" || t === "array" ? `an ${t}` : `a ${t}`);
    return String(type).split(",").map(article).join(" or ");
}

function count(n: unknown, singular: string, plural = `${singular}s`): string {
    return `${String(n)} ${n === 1 ? singular : plural}`;
}

function show(value: unknown): string {
    const text = value === undefined ? "undefined" : typeof value === "bigint" ? String(value) : JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function firstLine(e: unknown): string {
    return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

function pointerSegments(pointer: string): string[] {
    return pointer === ""
        ? []
        : pointer
              .slice(1)
              .split("/")
              .map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Whether field path `inner` is `outer` or below it. */
function isWithin(inner: string, outer: string): boolean {
    return outer === "" || inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}

function isSchema(value: unknown): value is CrdSchema {
    return isObject(value);
}
