// What every part of the args' validation shares: the one error a user sees, the collector that
// names each bad setting, and how a plain value is told from one known only once resources exist.
import * as pulumi from "@pulumi/pulumi";
import { closest } from "./edit-distance";

/**
 * Bad input. A RunError, so `pulumi up` prints the message alone, without a stack trace.
 */
export class GpuKarpenterConfigError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "GpuKarpenterConfigError";
    }
}

/**
 * The error for bad settings: a header, then one `<key path>: <reason>` a line, the form the
 * component provider reads back into per-property errors (provider/inputs.ts propertiesError).
 */
export function settingsError(lines: readonly string[]): GpuKarpenterConfigError {
    return new GpuKarpenterConfigError(`invalid GpuKarpenter settings:\n  ${lines.join("\n  ")}`);
}

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A value given directly, as opposed to an Output or promise of one. */
export function isPlain<T>(value: pulumi.Input<T>): value is T {
    return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/** The value when it is given plainly; undefined when it is only known once resources exist. */
export function plainValue<T>(value: pulumi.Input<T> | undefined): T | undefined {
    return value !== undefined && isPlain(value) ? value : undefined;
}

export function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

// Shared by the plain checks and by inputs checked once their value is known, so both say the same.
export const nonEmptyStringProblem = (v: unknown) =>
    typeof v === "string" && v.length > 0 ? undefined : `${show(v)} is not allowed; use a non-empty string`;
export const stringProblem = (v: unknown) =>
    typeof v === "string" ? undefined : `${show(v)} is not allowed; use a string`;

/** The message for a required setting left unset: `<key>: is required: <what it is>`. */
const requiredMessage = (what: string) => `is required: ${what}`;

/** A setting that is not one, with the one it is nearest to, and every one there is. */
export function unknownSettingMessage(hint: string | undefined, allowed: readonly string[]): string {
    return `unknown setting${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${allowed.join(", ")}`;
}

/** Collects every problem, so one run shows them all. */
export class Problems {
    readonly list: string[] = [];
    /** Settings a misspelt one was taken for: reported as the misspelling, not as missing. */
    private readonly meant: Set<string>;
    /** `meant`: such settings that a caller already named (stack config's misspelt keys). */
    constructor(meant: Iterable<string> = []) {
        this.meant = new Set(meant);
    }
    add(key: string, message: string) {
        this.list.push(`${key}: ${message}`);
    }
    unknownKeys(where: string, value: object, allowed: readonly string[]) {
        for (const key of Object.keys(value)) {
            if (!allowed.includes(key)) {
                const hint = closest(key, allowed);
                if (hint) this.meant.add(where ? `${where}.${hint}` : hint);
                this.add(where ? `${where}.${key}` : key, unknownSettingMessage(hint, allowed));
            }
        }
    }
    /** `key` is unset and must not be; unless a misspelling of it was already named. */
    required(key: string, what: string) {
        if (!this.meant.has(key)) this.add(key, requiredMessage(what));
    }
    oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
        if (value === undefined) return fallback;
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
        const hint = typeof value === "string" ? closest(value, allowed) : undefined;
        this.add(
            key,
            `${show(value)} is not allowed${hint ? ` (did you mean "${hint}"?)` : ""}; ` +
                `use one of ${allowed.map(a => `"${a}"`).join(", ")}`,
        );
        return fallback;
    }
    /** An optional non-empty list of distinct values, each one of `allowed`; undefined when unset or bad. */
    distinctList<T extends string>(key: string, value: unknown, allowed: readonly T[]): T[] | undefined {
        if (value === undefined) return undefined;
        if (
            Array.isArray(value) &&
            value.length > 0 &&
            new Set(value).size === value.length &&
            value.every(v => (allowed as readonly unknown[]).includes(v))
        ) {
            return value as T[];
        }
        const listed = Array.isArray(value) ? value : [];
        const twice = [...new Set(listed.filter((v, i) => listed.indexOf(v) !== i))];
        const unknown = listed.filter(v => !(allowed as readonly unknown[]).includes(v));
        this.add(
            key,
            unknown.length === 0 && twice.length > 0
                ? `${show(value)} lists ${twice.map(show).join(" and ")} more than once; list each value once`
                : `${show(value)} is not allowed; use a list of distinct values from ${allowed.map(a => `"${a}"`).join(", ")}`,
        );
        return undefined;
    }
    bool(key: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) return fallback;
        if (typeof value === "boolean") return value;
        this.add(key, `${show(value)} is not a boolean; use true or false`);
        return fallback;
    }
    int(key: string, value: unknown, fallback: number, min: number, max: number, unit = ""): number {
        if (value === undefined) return fallback;
        if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
        this.add(key, `${show(value)} is not allowed; use a whole number${unit} from ${min} to ${max}`);
        return fallback;
    }
    str(key: string, value: unknown, fallback?: string): string | undefined {
        if (value === undefined) return fallback;
        const why = nonEmptyStringProblem(value);
        if (!why) return value as string;
        this.add(key, why);
        return fallback;
    }
    object(key: string, value: unknown): value is Record<string, unknown> {
        if (value !== null && typeof value === "object" && !Array.isArray(value)) return true;
        this.add(key, `${show(value)} is not allowed; use an object`);
        return false;
    }
    stringList(key: string, value: unknown): string[] | undefined {
        if (value === undefined) return undefined;
        if (Array.isArray(value) && value.length > 0 && value.every(v => typeof v === "string" && v.length > 0)) {
            return value as string[];
        }
        this.add(key, `${show(value)} is not allowed; use a non-empty list of strings`);
        return undefined;
    }
    /**
     * An input that may come from another resource: checked now when plain; otherwise checked when
     * its value is known, failing the deployment with the same message.
     */
    input<T>(key: string, value: pulumi.Input<T>, problem: (v: T) => string | undefined): pulumi.Input<T> {
        if (isPlain(value)) {
            const why = problem(value);
            if (why) this.add(key, why);
            return value;
        }
        return pulumi.output(value).apply(v => {
            const why = problem(v as T);
            if (why) throw settingsError([`${key}: ${why}`]);
            return v;
        }) as pulumi.Input<T>;
    }
    /** An optional string input that must match `pattern`; otherwise it "is not" `what`. */
    matching(key: string, value: unknown, pattern: RegExp, what: string): pulumi.Input<string> | undefined {
        if (value === undefined) return undefined;
        return this.input(key, value as pulumi.Input<string>, v =>
            typeof v === "string" && pattern.test(v) ? undefined : `${show(v)} is not ${what}`,
        );
    }
    stringMap(key: string, value: unknown): Record<string, string> {
        if (value === undefined) return {};
        if (this.object(key, value)) {
            for (const [k, v] of Object.entries(value)) {
                const why = stringProblem(v);
                if (why) this.add(`${key}.${k}`, why);
            }
            return value as Record<string, string>;
        }
        return {};
    }
}

/**
 * A whole number. To TypeScript it is a number; the component provider's schema declares every
 * setting of this type an `integer` (scripts/generate-schema.ts looks for this name), so Go gets
 * `int` and C# `int`, not `float64` and `double`. The checks still refuse fractions at run time.
 */
export type Integer = number;
