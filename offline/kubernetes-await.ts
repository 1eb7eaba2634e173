// How the Kubernetes provider awaits a `pulumi.com/waitFor: jsonpath=...` annotation after it creates
// an object, so tests can tell what `pulumi up` reports for the states a controller would write.
// Ported from pulumi-kubernetes: `Parse` and `Matches` (provider/pkg/jsonpath/jsonpath.go),
// `JSONPath.Satisfied` (provider/pkg/await/condition/jsonpath.go), `Awaiter.Await`
// (provider/pkg/await/internal/awaiter.go) and the error `Create` wraps it in
// (provider/pkg/provider/provider.go). The path itself is evaluated by json-p3, an RFC 9535
// implementation as the provider's github.com/theory/jsonpath is. They differ where a relative query
// (`@[...]`) holds a filter that uses `$`: json-p3 takes `$` there as the current node, theory/jsonpath
// as the document; paths written for the provider should use `$` only at the top or in `$...` queries.
import { jsonpath } from "json-p3";

export interface ParsedJsonPath {
    /** The path as the user wrote it, braces included: what the provider prints. */
    path: string;
    /** The value the first selected node must equal, or "" when the path only has to exist. */
    value: string;
    /** The RFC 9535 query the provider evaluates. */
    query: string;
}

/** Parse of provider/pkg/jsonpath/jsonpath.go, with its error messages. */
export function parseJsonPath(raw: string): ParsedJsonPath {
    if (raw === "") throw new Error("expected a non-empty JSONPath expression");
    if (!raw.startsWith("jsonpath=")) throw new Error("JSONPath expression must begin with a 'jsonpath=' prefix");
    const body = raw.slice("jsonpath=".length);
    // Split only on "=" and preserve "==".
    const placeholder = "\uFFFD";
    const parts = body.replaceAll("==", placeholder).split("=");
    if (parts.length > 2) throw new Error(`format should be {.path}=value or {.path}, got ${JSON.stringify(body)}`);
    const path = parts[0].replaceAll(placeholder, "==");
    let value = "";
    if (parts.length === 2) {
        value = parts[1].replaceAll(placeholder, "==");
        if (value === "") throw new Error(`${path}= requires a value`);
    }
    if (path.startsWith("'") && path.endsWith("'")) throw new Error(`${path} should omit shell quotes`);
    const inBrackets = /\{\s*(.*?)\s*\}/.exec(path);
    if (!inBrackets) throw new Error(`${path} should be wrapped in brackets { ... }`);
    const expression = inBrackets[1].startsWith("$") ? inBrackets[1] : "$" + inBrackets[1];
    try {
        jsonpath.compile(expression);
    } catch (err) {
        throw new Error(`parsing ${JSON.stringify(path)}: ${(err as Error).message}`, { cause: err });
    }
    return { path, value, query: expression };
}

/** Go's `fmt.Sprint` of a decoded JSON value: `[a b]`, `map[k:v]` with sorted keys, `<nil>`. */
function goSprint(value: unknown): string {
    if (value === null || value === undefined) return "<nil>";
    if (Array.isArray(value)) return `[${value.map(goSprint).join(" ")}]`;
    if (typeof value === "object") {
        const entries = Object.keys(value)
            .sort()
            .map(k => `${k}:${goSprint((value as Record<string, unknown>)[k])}`);
        return `map[${entries.join(" ")}]`;
    }
    if (typeof value === "string") return value;
    return JSON.stringify(value); // integers and booleans print alike in Go and JSON
}

interface MatchResult {
    matched: boolean;
    found?: string;
    message?: string;
}

/** Matches of provider/pkg/jsonpath/jsonpath.go: a thrown Error is the error it returns. */
function matches(parsed: ParsedJsonPath, object: object): MatchResult {
    const results = jsonpath.query(parsed.query, object as never).values();
    if (results.length === 0) return { matched: false, message: `${parsed.path} selected nothing` };
    const value = results[0];
    if (value !== null && typeof value === "object") {
        if (parsed.value === "") return { matched: true };
        throw new Error(`${JSON.stringify(parsed.path)} has a non-primitive value (${goSprint(value)})`);
    }
    const found = goSprint(value);
    return { matched: parsed.value === "" || parsed.value === found, found };
}

/** JSONPath.Satisfied: an object whose status is behind its spec never satisfies. */
function satisfied(parsed: ParsedJsonPath, object: Record<string, any>): boolean {
    const generation = object.metadata?.generation;
    const observedGeneration = object.status?.observedGeneration;
    if (typeof generation === "number" && typeof observedGeneration === "number" && observedGeneration < generation) {
        return false;
    }
    return matches(parsed, object).matched;
}

export type AwaitOutcome = { ready: true; live: object } | { ready: false; error: string };

/**
 * Awaiter.Await for a created object that the controller then writes through `observed`, in order,
 * until the timeout: ready on the first state that satisfies the path; otherwise the last state's
 * match error or "timed out waiting for the condition", in the message `pulumi up` prints.
 */
export function awaitCreate(urn: string, annotation: string, observed: Record<string, any>[]): AwaitOutcome {
    const parsed = parseJsonPath(annotation);
    for (const state of observed) {
        try {
            if (satisfied(parsed, state)) return { ready: true, live: state };
        } catch {
            // The watch loop ignores match errors; only the last state's error is reported.
        }
    }
    // The provider evaluates the last state once more for its error; with no new event it is not
    // satisfied now either.
    let reason = "timed out waiting for the condition";
    const last = observed.at(-1);
    if (last) {
        try {
            satisfied(parsed, last);
        } catch (err) {
            reason = (err as Error).message;
        }
    }
    return {
        ready: false,
        error:
            `resource ${JSON.stringify(urn)} was successfully created, but the Kubernetes API server ` +
            `reported that it failed to fully initialize or become live: ${reason}`,
    };
}
