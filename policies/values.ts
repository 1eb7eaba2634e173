// Reading resource properties as the policy engine hands them over: plain JSON in which a value
// that is not known until the update (a computed name, an ARN) is one of the engine's sentinels.

// The engine's wire sentinels for unknown values (see @pulumi/policy's proxy.ts). Today the engine
// only sends the string one; the others are still recognised by the policy SDK, so here too.
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** Stands for a value that is not known yet, as during a preview (the engine's own sentinel). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/**
 * A plain copy of `props` with UNKNOWN wherever a value cannot be read. Under the engine, props is
 * a proxy that throws on reading an unknown value, and an escaping throw turns the whole policy
 * into a "can't run during preview" notice; with the copy a policy still checks the known part.
 */
export function knownProps(props: unknown): unknown {
    if (props === null || typeof props !== "object") {
        return props;
    }
    const copy: Record<string, unknown> | unknown[] = Array.isArray(props) ? [] : {};
    for (const key of Object.keys(props)) {
        let value: unknown;
        try {
            value = (props as Record<string, unknown>)[key];
        } catch {
            // The only thing that throws on reading plain data is the engine's unknown-value proxy.
            value = UNKNOWN;
        }
        (copy as Record<string, unknown>)[key] = knownProps(value);
    }
    return copy;
}

export function isObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The value at `path`: UNKNOWN as soon as a step is unknown, undefined when a step is missing. */
export function valueAt(root: unknown, ...path: (string | number)[]): unknown {
    let value = root;
    for (const key of path) {
        if (isUnknown(value)) {
            return value;
        }
        if (value === null || typeof value !== "object") {
            return undefined;
        }
        value = (value as Record<string | number, unknown>)[key];
    }
    return value;
}

/** A list property: [] when absent, UNKNOWN when unknown or not a list (nothing sure can be said). */
export function listAt(root: unknown, ...path: (string | number)[]): unknown[] | typeof UNKNOWN {
    const value = valueAt(root, ...path);
    if (value === undefined || value === null) {
        return [];
    }
    return Array.isArray(value) ? value : UNKNOWN;
}

/** A string known now, or undefined. */
export function knownString(value: unknown): string | undefined {
    return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

/** How messages name a resource: metadata.name for Kubernetes objects, else the Pulumi resource name. */
export function displayName(r: { name: string; props: unknown }): string {
    return knownString(valueAt(r.props, "metadata", "name")) ?? r.name;
}

const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;
const QUANTITY_SUFFIX: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** A Kubernetes quantity (8, "8", "500m", "2k", "1Ki", "1e3") as a number; undefined when it is not one. */
export function quantityValue(value: unknown): number | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) ? value : undefined;
    }
    const m = typeof value === "string" ? QUANTITY.exec(value) : null;
    if (!m) {
        return undefined;
    }
    const [, number, suffix, exponent] = m;
    return Number(number) * (suffix ? QUANTITY_SUFFIX[suffix] : 10 ** Number(exponent ?? 0));
}
