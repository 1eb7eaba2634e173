// The budget policies: what a GPU NodePool, and all of a stack's together, can spend an hour at
// most, by the one computation in components/cost.ts that the offline plan shows too. The price
// table is components/data/gpu-instance-types.json, which ships inside the pack.
import type { PolicyConfigSchema } from "@pulumi/policy";
import {
    EKS_AUTO_INSTANCE_LABEL_PREFIX,
    INSTANCE_TYPE_LABEL,
    KARPENTER_INSTANCE_LABEL_PREFIX,
    NVIDIA_GPU_RESOURCE,
} from "../components/gpu";
import {
    DEFAULT_PRICE_REGION,
    FRACTIONAL_GPU_FAMILIES,
    PRICE_SOURCE,
    PoolCost,
    Requirement,
    formatHourly,
    fractionalGpuTypes,
    isInstanceLabelKey,
    listTypes,
    poolCost,
    priceBasis,
} from "../components/cost";
import { NODEPOOL_TYPE, isAutoModePool, isGpuPool, poolLabel, requirementsOf } from "./nodepool";
import type { Knobs, ResourceRule, StackRule } from "./rule-types";
import type { EngineResource } from "./karpenter";
import { UNKNOWN, displayName, isUnknown, quantityValue, valueAt } from "./values";

const UNPRICED_TYPES_CHOICES = ["allow", "deny"] as const;
type UnpricedTypes = (typeof UNPRICED_TYPES_CHOICES)[number];
const COST_DEFAULTS = { unpricedTypes: "allow" as UnpricedTypes, region: DEFAULT_PRICE_REGION };

// AWS region names: us-east-1, eu-central-2, us-gov-west-1, ap-southeast-5, ...
const REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-[0-9]+$";
const REGION = new RegExp(REGION_PATTERN);
const LIMIT_FIELD = `spec.limits["${NVIDIA_GPU_RESOURCE}"]`;
/** The fix for fractional-GPU types, in the label spelling the pool's Karpenter reads (EKS Auto Mode's or its own). */
const wholeGpusRequirement = (pool: EngineResource) =>
    `{key: ${isAutoModePool(pool.props) ? EKS_AUTO_INSTANCE_LABEL_PREFIX : KARPENTER_INSTANCE_LABEL_PREFIX}gpu-count, operator: Gt, values: ["0"]}`;

interface NodePoolCost {
    cost: PoolCost;
    requirements: Requirement[];
}

/** The pool's requirements that can narrow its instance types; undefined while one of them, or any key, is not known yet. */
function instanceRequirements(props: unknown): Requirement[] | undefined {
    const all = requirementsOf(props);
    if (all === UNKNOWN) return undefined;
    const requirements: Requirement[] = [];
    for (const { key, operator, values } of all) {
        if (isUnknown(key)) return undefined;
        if (!isInstanceLabelKey(key)) continue;
        if (isUnknown(operator) || values === UNKNOWN || values.some(isUnknown)) return undefined;
        requirements.push({ key, operator: String(operator), values: values.map(String) });
    }
    return requirements;
}

/**
 * A NodePool's cost from its properties as the engine hands them over (or a manifest); undefined
 * while a requirement that could narrow its instance types, or its GPU limit, is not known yet.
 */
export function nodePoolCost(props: unknown, region?: string): NodePoolCost | undefined {
    const requirements = instanceRequirements(props);
    if (!requirements) return undefined;
    const limit = valueAt(props, "spec", "limits", NVIDIA_GPU_RESOURCE);
    if (isUnknown(limit)) return undefined;
    const gpuLimit = limit === undefined || limit === null ? undefined : quantityValue(limit);
    return { cost: poolCost(requirements, gpuLimit, region), requirements };
}

// ---- configuration -------------------------------------------------------------------------------

interface CostKnobs {
    maxHourlyCost?: number;
    unpricedTypes: UnpricedTypes;
    region: string;
}

function costKnobs(policy: string, knobs: Knobs): CostKnobs {
    const { maxHourlyCost, unpricedTypes = COST_DEFAULTS.unpricedTypes, region = COST_DEFAULTS.region } = knobs;
    const problems: string[] = [];
    if (
        maxHourlyCost !== undefined &&
        !(typeof maxHourlyCost === "number" && Number.isFinite(maxHourlyCost) && maxHourlyCost >= 0)
    ) {
        problems.push(
            `maxHourlyCost must be a number of US dollars per hour, 0 or more, got ${JSON.stringify(maxHourlyCost)}`,
        );
    }
    if (!(UNPRICED_TYPES_CHOICES as readonly unknown[]).includes(unpricedTypes)) {
        problems.push(
            `unpricedTypes must be ${UNPRICED_TYPES_CHOICES.map(c => `"${c}"`).join(" or ")}, got ${JSON.stringify(unpricedTypes)}`,
        );
    }
    if (typeof region !== "string" || !REGION.test(region)) {
        problems.push(`region must be an AWS region such as "us-east-1", got ${JSON.stringify(region)}`);
    }
    if (problems.length > 0) throw new Error(`${policy}: ${problems.join("; ")}`);
    return {
        maxHourlyCost: maxHourlyCost as number | undefined,
        unpricedTypes: unpricedTypes as UnpricedTypes,
        region: region as string,
    };
}

function costSchema(what: string): PolicyConfigSchema {
    return {
        properties: {
            maxHourlyCost: {
                type: "number",
                minimum: 0,
                description:
                    `The most ${what} may cost an hour, in US dollars, by the nominal ceiling (GPU limit x the highest ` +
                    "on-demand price per GPU among the types that fit under it). No maximum when unset.",
            },
            unpricedTypes: {
                type: "string",
                enum: [...UNPRICED_TYPES_CHOICES],
                default: COST_DEFAULTS.unpricedTypes,
                description:
                    "allow: admitted instance types without a price are left out of the ceiling and named in the message; " +
                    "deny: a pool that admits one violates, since its ceiling is unknown.",
            },
            region: {
                type: "string",
                pattern: REGION_PATTERN,
                default: COST_DEFAULTS.region,
                description:
                    "The stack's AWS region. Prices ship for us-east-1, us-gov-east-1 and us-gov-west-1; any other region " +
                    "is priced at us-east-1's, which the message says.",
            },
        },
    };
}

// ---- messages ------------------------------------------------------------------------------------

/** ` p5e.48xlarge has no us-east-1 price in the table and is not counted.`; "" for no types. */
function unpricedNote(types: string[], priceRegion: string, where = " in the table"): string {
    return types.length === 0
        ? ""
        : ` ${listTypes(types)} ${types.length === 1 ? "has" : "have"} no ${priceRegion} price${where} and ` +
              `${types.length === 1 ? "is" : "are"} not counted.`;
}

/**
 * The message for a pool that admits fractional-GPU types, which its GPU limit does not count;
 * undefined when it admits none or its requirements are not known yet (its caller has checked the limit).
 */
export function fractionalGpuMessage(pool: EngineResource): string | undefined {
    const requirements = instanceRequirements(pool.props);
    const fractional = requirements ? fractionalGpuTypes(requirements) : [];
    if (fractional.length === 0) return undefined;
    return (
        `${poolLabel(pool)} admits ${listTypes(fractional)}, which have a fraction of a GPU each (Karpenter counts no ${NVIDIA_GPU_RESOURCE} ` +
        `on them), so its ${LIMIT_FIELD} does not cap how many it launches. Fix: add the requirement ${wholeGpusRequirement(pool)}, ` +
        `or leave out ${FRACTIONAL_GPU_FAMILIES.join(" and ")}.`
    );
}

/** Why a pool's spend has no ceiling at all: no GPU limit, or types the limit does not count. */
function unboundedProblem(cost: PoolCost): string | undefined {
    if (cost.gpuLimit === undefined) {
        return `sets no ${LIMIT_FIELD}, so nothing caps what it can spend`;
    }
    if (cost.fractionalTypes.length > 0) {
        return `admits ${listTypes(cost.fractionalTypes)} (fractional GPUs), which its ${LIMIT_FIELD} does not cap, so nothing caps what it can spend`;
    }
    return undefined;
}

/** The highest GPU limit that keeps the pool within `max`, if one lets it launch at all. */
function limitWithin(nodePool: NodePoolCost, max: number): number | undefined {
    const { cost, requirements } = nodePool;
    if (cost.gpuHourlyPrice === null || cost.gpuHourlyPrice === 0) return undefined;
    const limit = Math.floor(max / cost.gpuHourlyPrice);
    if (limit < 1) return undefined;
    const lowered = poolCost(requirements, limit, cost.region);
    return lowered.smallestGpuCount === undefined && lowered.hourlyCeiling !== null && lowered.hourlyCeiling <= max
        ? limit
        : undefined;
}

function ceilingText(cost: PoolCost): string {
    return (
        `${formatHourly(cost.hourlyCeiling!)} (${cost.gpuLimit} GPUs x $${cost.gpuHourlyPrice!.toFixed(2)} per GPU-hour of ` +
        `${cost.ceilingInstanceType}, at ${priceBasis(cost)})`
    );
}

// ---- policies ------------------------------------------------------------------------------------

const NODEPOOL_COST_POLICY = "gpu-nodepool-hourly-cost";
const STACK_COST_POLICY = "gpu-stack-hourly-cost";

export const nodePoolHourlyCost: ResourceRule = {
    name: NODEPOOL_COST_POLICY,
    description:
        "A GPU NodePool's nominal worst-case hourly cost (its GPU limit x the highest on-demand price per GPU it can " +
        "launch) stays within maxHourlyCost.",
    enforcementLevel: "mandatory",
    configSchema: costSchema("one GPU NodePool"),
    validateKnobs: knobs => void costKnobs(NODEPOOL_COST_POLICY, knobs),
    appliesTo: type => type === NODEPOOL_TYPE,
    check: (pool, knobs) => {
        const { maxHourlyCost: max, unpricedTypes, region } = costKnobs(NODEPOOL_COST_POLICY, knobs);
        if (max === undefined || isGpuPool(pool.props) !== true) return [];
        const nodePool = nodePoolCost(pool.props, region);
        if (!nodePool) return [];
        const { cost } = nodePool;
        const budget = formatHourly(max);
        const unbounded = unboundedProblem(cost);
        if (unbounded) {
            return [
                `${poolLabel(pool)} ${unbounded}, against a ${budget} maximum. Fix: ` +
                    (cost.gpuLimit === undefined
                        ? `set ${LIMIT_FIELD}.`
                        : `add the requirement ${wholeGpusRequirement(pool)}.`),
            ];
        }
        if (cost.hourlyCeiling !== null && cost.hourlyCeiling > max) {
            const limit = limitWithin(nodePool, max);
            return [
                `${poolLabel(pool)} can cost up to ${ceilingText(cost)}, above the ${budget} maximum.${unpricedNote(cost.unpricedTypes, cost.priceRegion)} ` +
                    `Fix: ${limit !== undefined ? `lower ${LIMIT_FIELD} to ${limit} or less, or ` : ""}` +
                    `leave ${cost.ceilingInstanceType} out of the types it admits ` +
                    `({key: ${INSTANCE_TYPE_LABEL}, operator: NotIn, values: [${cost.ceilingInstanceType}]}).`,
            ];
        }
        if (unpricedTypes === "deny" && cost.unpricedTypes.length > 0) {
            const known =
                cost.hourlyCeiling === null
                    ? "no admitted type has a price"
                    : `its priced types alone come to ${formatHourly(cost.hourlyCeiling)}, within the ${budget} maximum`;
            return [
                `${poolLabel(pool)} admits ${listTypes(cost.unpricedTypes)}, which the table has no ${cost.priceRegion} price for, ` +
                    `so its ceiling is unknown (${known}) and unpricedTypes is "deny". Fix: leave ${listTypes(cost.unpricedTypes)} out of ` +
                    `its instance types, or set unpricedTypes to "allow". Prices: ${PRICE_SOURCE}.`,
            ];
        }
        return [];
    },
};

export const stackHourlyCost: StackRule = {
    name: STACK_COST_POLICY,
    description:
        "All of a stack's GPU NodePools together stay within maxHourlyCost by their nominal worst-case hourly costs.",
    enforcementLevel: "mandatory",
    configSchema: costSchema("all of a stack's GPU NodePools together"),
    validateKnobs: knobs => void costKnobs(STACK_COST_POLICY, knobs),
    appliesTo: type => type === NODEPOOL_TYPE,
    checkStack: (resources, knobs) => {
        const { maxHourlyCost: max, unpricedTypes, region } = costKnobs(STACK_COST_POLICY, knobs);
        if (max === undefined) return [];
        const pools = resources
            .filter(r => r.type === NODEPOOL_TYPE && isGpuPool(r.props) === true)
            .map(resource => ({ resource, cost: nodePoolCost(resource.props, region)?.cost }));
        const budget = formatHourly(max);
        for (const { resource, cost } of pools) {
            const unbounded = cost && unboundedProblem(cost);
            if (unbounded) {
                return [
                    {
                        resource,
                        message:
                            `The stack's GPU spend has no ceiling: ${poolLabel(resource)} ${unbounded}, against ` +
                            `the stack's ${budget} maximum. Fix: ${cost.gpuLimit === undefined ? `set its ${LIMIT_FIELD}` : `add the requirement ${wholeGpusRequirement(resource)} to it`}.`,
                    },
                ];
            }
        }
        const known = pools
            .filter(p => p.cost?.hourlyCeiling !== null && p.cost?.hourlyCeiling !== undefined)
            .sort((a, b) => b.cost!.hourlyCeiling! - a.cost!.hourlyCeiling!);
        const sum = known.reduce((total, p) => total + p.cost!.hourlyCeiling!, 0);
        if (known.length > 0 && sum > max) {
            const unpriced = [...new Set(pools.flatMap(p => p.cost?.unpricedTypes ?? []))];
            const parts = known
                .map(p => `"${displayName(p.resource)}" ${formatHourly(p.cost!.hourlyCeiling!)}`)
                .join(", ");
            return [
                {
                    resource: known[0].resource,
                    message:
                        `The stack's ${known.length} GPU NodePool${known.length === 1 ? "" : "s"} can cost up to ${formatHourly(sum)} ` +
                        `together (${parts}, at ${priceBasis(known[0].cost!)}), above the stack's ${budget} maximum.` +
                        unpricedNote(unpriced, known[0].cost!.priceRegion, "") +
                        ` Fix: lower the pools' ${LIMIT_FIELD} (gpuLimit), starting with "${displayName(known[0].resource)}", whose ` +
                        `${known[0].cost!.ceilingInstanceType} sets its ceiling, or leave their most expensive types out, until the sum is ${budget} or less.`,
                },
            ];
        }
        if (pools.some(p => p.cost === undefined)) return [];
        const unpricedPools = pools.filter(p => p.cost!.unpricedTypes.length > 0);
        if (unpricedTypes === "deny" && unpricedPools.length > 0) {
            const { resource, cost } = unpricedPools[0];
            return [
                {
                    resource,
                    message:
                        `The stack's GPU ceiling is unknown: ${poolLabel(resource)} admits ${listTypes(cost!.unpricedTypes)}, which the ` +
                        `table has no ${cost!.priceRegion} price for, and unpricedTypes is "deny" (the priced pools come to ` +
                        `${formatHourly(sum)}, within the ${budget} maximum). Fix: leave those types out, or set unpricedTypes to "allow".`,
                },
            ];
        }
        return [];
    },
};
