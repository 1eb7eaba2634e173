// Disruption budget schedules, checked as Karpenter parses them: robfig/cron's standard parser
// (cron.ParseStandard: five fields, names for months and weekdays, `*`, `?`, ranges, lists and steps,
// and the descriptors the NodePool CRD admits). The CRD's own pattern only counts fields, so a typo
// there would reach the controller and the budget would never apply.

const FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    {
        name: "month",
        min: 1,
        max: 12,
        names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        first: 1,
    },
    { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], first: 0 },
] as const;

/** The descriptors the NodePool CRD's schedule pattern admits. */
export const CRON_DESCRIPTORS = ["@annually", "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

type Field = (typeof FIELDS)[number];

function value(text: string, field: Field): number | undefined {
    const names: readonly string[] | undefined = "names" in field ? field.names : undefined;
    const named = names?.indexOf(text.toLowerCase()) ?? -1;
    if (named >= 0 && "first" in field) return named + field.first;
    if (!/^\d+$/.test(text)) return undefined;
    return Number(text);
}

function fieldProblem(text: string, field: Field): string | undefined {
    for (const part of text.split(",")) {
        const [range, step, ...rest] = part.split("/");
        if (rest.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `"${part}" has a bad step`;
        if (range === "*" || range === "?") continue;
        const [low, high, ...more] = range.split("-");
        const lo = value(low, field);
        const hi = high === undefined ? lo : value(high, field);
        if (more.length > 0 || lo === undefined || hi === undefined) return `"${part}" is not a value, range or list`;
        if (lo < field.min || hi > field.max) return `"${part}" is outside ${field.min}-${field.max}`;
        if (lo > hi) return `"${part}" runs backwards`;
    }
    return undefined;
}

/** Why Karpenter would not parse `schedule`, or undefined when it would. */
export function cronProblem(schedule: string): string | undefined {
    if (schedule.startsWith("@")) {
        return CRON_DESCRIPTORS.includes(schedule)
            ? undefined
            : `"${schedule}" is not one of ${CRON_DESCRIPTORS.join(", ")}`;
    }
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== FIELDS.length) {
        return `"${schedule}" has ${fields.length} fields; use five (minute hour day-of-month month day-of-week), e.g. "0 8 * * mon-fri"`;
    }
    for (let i = 0; i < FIELDS.length; i++) {
        const problem = fieldProblem(fields[i], FIELDS[i]);
        if (problem) return `"${schedule}": the ${FIELDS[i].name} field ${problem}`;
    }
    return undefined;
}
