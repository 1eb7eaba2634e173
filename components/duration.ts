// Karpenter's duration strings (`consolidateAfter`, `expireAfter`), shared by config validation
// and the policy pack. The CRDs accept `^(([0-9]+(s|m|h))+|Never)$`; we parse exactly that.

/** A duration other than "Never", as a JSON-schema pattern (policy pack config). */
export const DURATION_PATTERN = "^([0-9]+(s|m|h))+$";
const DURATION = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+)(s|m|h)/g;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

export const BOUNDED_DURATION_FORMAT = `a whole number of hours, minutes and seconds such as "30s", "1m", "1h30m" or "720h"`;
export const DURATION_FORMAT = `${BOUNDED_DURATION_FORMAT}, or "Never"`;

/** True for a Karpenter duration other than "Never". */
export function isBoundedDuration(value: unknown): value is string {
    return typeof value === "string" && DURATION.test(value);
}

/** True for the strings the NodePool CRD accepts for consolidateAfter and expireAfter. */
export function isKarpenterDuration(value: unknown): value is string {
    return value === "Never" || isBoundedDuration(value);
}

/** Seconds in a Karpenter duration; Infinity for "Never"; undefined when it is not one. */
export function durationSeconds(value: unknown): number | undefined {
    if (!isKarpenterDuration(value)) {
        return undefined;
    }
    if (value === "Never") {
        return Infinity;
    }
    let total = 0;
    for (const m of value.matchAll(PART)) {
        total += Number(m[1]) * UNIT_SECONDS[m[2]];
    }
    return total;
}
