// What a GPU pool can spend: the NVIDIA instance types its requirements admit, looked up in the
// committed table (components/data/, written by `npm run refresh-instance-types` from Karpenter's
// own generated data), and its nominal worst-case hourly cost:
//
//     ceiling = gpuLimit x max over admitted types t with gpus(t) <= gpuLimit of price(t) / gpus(t)
//
// Karpenter leaves out instance types that would take a pool past what is left of its
// nvidia.com/gpu limit, and sets no spot maximum price (so spot's maximum is the on-demand price).
// Shared by the component (validation), the offline plan and the policy pack; pure and
// dependency-free, as gpu.ts is.
import table from "./data/gpu-instance-types.json";
import { editDistance } from "./edit-distance";
import {
    ARCH_LABEL,
    INSTANCE_TYPE_LABEL,
    INSTANCE_TYPE_LABEL_BETA,
    KARPENTER_INSTANCE_LABEL_PREFIX,
    canonicalInstanceLabel,
    familyLabels,
    instanceFamilyOf,
    isGpuInstanceFamily,
    nvidiaFamilyProblem,
} from "./gpu";

export interface GpuInstanceType {
    type: string;
    family: string;
    /** Whole GPUs, Karpenter's instance-gpu-count; 0 for fractional-GPU types (g6f, gr6f). */
    gpus: number;
    gpuName: string;
    /** Per GPU (for fractional types, the share). */
    gpuMemoryMiB: number;
    vcpus: number;
    memoryMiB: number;
    arch: string;
    /** On-demand Linux USD per hour, by region, where Karpenter's data has a price. */
    hourlyPrice: Record<string, number>;
}

export const GPU_INSTANCE_TYPES: readonly GpuInstanceType[] = table.instanceTypes as unknown as GpuInstanceType[];
const BY_TYPE = new Map(GPU_INSTANCE_TYPES.map(t => [t.type, t]));
const FAMILIES = new Set(GPU_INSTANCE_TYPES.map(t => t.family));

/** Regions the table has prices for (us-east-1 and the two GovCloud regions). */
export const PRICED_REGIONS: readonly string[] = table.regions;
/** Whose prices stand in for a region the table has none for. */
export const DEFAULT_PRICE_REGION = "us-east-1";
export const CURRENCY = "USD";

const pricesFile = (region: string) => table.source.files.find(f => f.regions?.includes(region));
const day = (stamp: string | undefined) => stamp?.slice(0, 10) ?? "unknown";

/** Where the table's data comes from, and how old it is, in one line. */
export const PRICE_SOURCE =
    `Karpenter ${table.source.tag} data (${table.source.repository.replace(/^https:\/\/github\.com\//, "")} ` +
    `${table.source.commit.slice(0, 12)}): on-demand Linux prices generated ` +
    [
        ...new Set(
            table.source.files.filter(f => f.regions).map(f => `${day(f.generatedAt)} for ${f.regions!.join(", ")}`),
        ),
    ].join(" and ") +
    `; table generated ${table.generatedAt}`;
/** The price files' dates, by region. */
export function pricesDate(region: string): string {
    return day(pricesFile(region)?.generatedAt);
}
export const TABLE_SOURCE = table.source;

export function instanceTypeInfo(type: string): GpuInstanceType | undefined {
    return BY_TYPE.get(type);
}

export function isTableFamily(family: string): boolean {
    return FAMILIES.has(family);
}

export function familyInstanceTypes(family: string): GpuInstanceType[] {
    return GPU_INSTANCE_TYPES.filter(t => t.family === family);
}

/** A type with a fraction of a GPU (g6f, gr6f): Karpenter counts 0 GPUs and no nvidia.com/gpu. */
const isFractional = (t: GpuInstanceType) => t.gpus === 0;

/** NVIDIA families whose every type has a fraction of a GPU. */
export const FRACTIONAL_GPU_FAMILIES: readonly string[] = [...FAMILIES].filter(f =>
    familyInstanceTypes(f).every(isFractional),
);

/** Why a fractional-GPU family cannot be a pool's family; undefined for others. */
export function fractionalGpuFamilyProblem(family: string): string | undefined {
    if (!FRACTIONAL_GPU_FAMILIES.includes(family)) return undefined;
    const gpu = familyInstanceTypes(family)[0].gpuName.toUpperCase();
    const whole = family.replace(/f$/, "");
    return (
        `"${family}" has fractional GPUs (a share of one NVIDIA ${gpu}): Karpenter gives its instances instance-gpu-count 0 ` +
        `and no nvidia.com/gpu, so the pool's GPU limit cannot cap them and no pod asking for nvidia.com/gpu can run on them` +
        (isTableFamily(whole) ? `; use "${whole}" for whole ${gpu} GPUs` : "")
    );
}

/** The table's types closest to `type` (a type of a family the table knows), best first. */
export function suggestInstanceTypes(type: string): string[] {
    const family = instanceFamilyOf(type);
    const size = type.slice(type.indexOf(".") + 1).toLowerCase();
    const sizes = familyInstanceTypes(family).map(t => t.type.slice(t.type.indexOf(".") + 1));
    const prefixed = sizes.filter(s => s.startsWith(size));
    const ranked = (prefixed.length > 0 ? prefixed : sizes)
        .map(s => ({ s, d: editDistance(size, s) }))
        .sort((a, b) => a.d - b.d);
    const best = ranked.length > 0 ? ranked[0].d : 0;
    return ranked.filter(r => r.d === best).map(r => `${family}.${r.s}`);
}

// ---- which types a pool admits ----------------------------------------------------------------

/** A NodePool requirement: `{ key, operator, values }` (the v1 NodeSelectorRequirement shape). */
export interface Requirement {
    key: string;
    operator: string;
    values?: string[];
}

const INSTANCE_LABELS = [
    "family",
    "category",
    "generation",
    "size",
    "cpu",
    "memory",
    "gpu-count",
    "gpu-name",
    "gpu-manufacturer",
    "gpu-memory",
] as const;
type InstanceLabel = (typeof INSTANCE_LABELS)[number];

/** Every label key a requirement can restrict instance types by, in Karpenter's spelling, to its label. */
const LABEL_KEYS = new Map<string, InstanceLabel | "type" | "arch">([
    [INSTANCE_TYPE_LABEL, "type"],
    [INSTANCE_TYPE_LABEL_BETA, "type"],
    [ARCH_LABEL, "arch"],
    ...INSTANCE_LABELS.map(l => [`${KARPENTER_INSTANCE_LABEL_PREFIX}${l}`, l] as [string, InstanceLabel]),
]);

/** The label a requirement on `key` restricts, in either label spelling; undefined for other keys. */
const labelOf = (key: string) => LABEL_KEYS.get(canonicalInstanceLabel(key));

/** Whether a requirement on `key` can narrow the instance types (in either label spelling). */
export function isInstanceLabelKey(key: string): boolean {
    return labelOf(key) !== undefined;
}

type Labels = Partial<Record<InstanceLabel | "type" | "arch", string>>;

const ROW_LABELS = new Map<GpuInstanceType, Labels>(
    GPU_INSTANCE_TYPES.map(t => [
        t,
        {
            ...familyLabels(t.family),
            type: t.type,
            size: t.type.slice(t.type.indexOf(".") + 1),
            arch: t.arch,
            cpu: String(t.vcpus),
            memory: String(t.memoryMiB),
            "gpu-count": String(t.gpus),
            "gpu-name": t.gpuName,
            "gpu-manufacturer": "nvidia",
            "gpu-memory": String(t.gpuMemoryMiB),
        },
    ]),
);

const INTEGER = /^-?[0-9]+$/;

/**
 * Whether an instance whose label has `value` meets `r`, as Karpenter reads requirements
 * (karpenter.sh/v1 NodeSelectorRequirementWithMinValues): In and NotIn by value; Gt, Gte, Lt and
 * Lte by integer, never met by a value that is not one. Every label here exists on every GPU
 * instance; `value` undefined means it exists but its value is not known, which meets anything but
 * DoesNotExist.
 */
function meets(r: Requirement, value: string | undefined): boolean {
    const values = r.values ?? [];
    switch (r.operator) {
        case "In":
            return value === undefined || values.includes(value);
        case "NotIn":
            return value === undefined || !values.includes(value);
        case "Exists":
            return true;
        case "DoesNotExist":
            return false;
        case "Gt":
        case "Gte":
        case "Lt":
        case "Lte": {
            const bound = values[0];
            if (bound === undefined || !INTEGER.test(bound)) return true;
            if (value === undefined) return true;
            if (!INTEGER.test(value)) return false;
            const [n, b] = [Number(value), Number(bound)];
            return r.operator === "Gt" ? n > b : r.operator === "Gte" ? n >= b : r.operator === "Lt" ? n < b : n <= b;
        }
        // The CRD admits no other operator; one that slipped through restricts nothing here.
        default:
            return true;
    }
}

function admits(requirements: Requirement[], labels: Labels): boolean {
    return requirements.every(r => {
        const label = labelOf(r.key);
        return label === undefined || meets(r, labels[label]);
    });
}

/** A name that could be an NVIDIA GPU type or family newer than the table (lower-case, as labels are). */
function couldBeNvidia(family: string): boolean {
    return family === family.toLowerCase() && isGpuInstanceFamily(family) && nvidiaFamilyProblem(family) === undefined;
}

export interface AdmittedTypes {
    /** The table's NVIDIA types the requirements admit, in table order. */
    types: GpuInstanceType[];
    /**
     * GPU types or families named by an In requirement that the table does not list (a newer
     * generation or size than the data): `p6e-gb200.36xlarge`, or `p6e-gb200.*` for a family.
     */
    unlisted: string[];
}

/**
 * The NVIDIA instance types a NodePool's requirements admit. Requirements are ANDed; a
 * requirement on a label the table does not describe (zone, capacity type, your own labels,
 * instance-local-nvme, ...) restricts nothing here, so the ceiling can only come out higher than
 * Karpenter's choice.
 */
export function admittedGpuInstanceTypes(requirements: Requirement[]): AdmittedTypes {
    const types = GPU_INSTANCE_TYPES.filter(t => admits(requirements, ROW_LABELS.get(t)!));
    const named = (label: "type" | "family") =>
        requirements.filter(r => labelOf(r.key) === label && r.operator === "In").flatMap(r => r.values ?? []);
    const typeNames = named("type");
    const candidates: { name: string; labels: Labels }[] =
        typeNames.length > 0
            ? typeNames
                  .filter(
                      t =>
                          t.includes(".") &&
                          !BY_TYPE.has(t) &&
                          couldBeNvidia(instanceFamilyOf(t)) &&
                          t === t.toLowerCase(),
                  )
                  .map(t => ({
                      name: t,
                      labels: { ...familyLabels(instanceFamilyOf(t)), type: t, size: t.slice(t.indexOf(".") + 1) },
                  }))
            : named("family")
                  .filter(f => !FAMILIES.has(f) && couldBeNvidia(f))
                  .map(f => ({ name: `${f}.*`, labels: familyLabels(f) }));
    const unlisted = [...new Set(candidates.filter(c => admits(requirements, c.labels)).map(c => c.name))];
    return { types, unlisted };
}

const fractionalTypesOf = (types: GpuInstanceType[]) => types.filter(isFractional).map(t => t.type);

/** The fractional-GPU types the requirements admit, which no GPU limit counts (PoolCost's fractionalTypes). */
export function fractionalGpuTypes(requirements: Requirement[]): string[] {
    return fractionalTypesOf(admittedGpuInstanceTypes(requirements).types);
}

// ---- the ceiling -----------------------------------------------------------------------------

/** Whose prices stand for `region`: its own, or us-east-1's when the table has none for it. */
export function priceRegionOf(region: string | undefined): string {
    return region !== undefined && PRICED_REGIONS.includes(region) ? region : DEFAULT_PRICE_REGION;
}

export interface PoolCost {
    /** The region asked about (us-east-1 when none was given). */
    region: string;
    /** Whose prices were used: `region`, or us-east-1 when the table has none for it. */
    priceRegion: string;
    gpuLimit: number | undefined;
    /** The table's NVIDIA types the pool admits, fractional ones included. */
    admittedTypes: string[];
    /** Admitted types with a fraction of a GPU (g6f, gr6f): the GPU limit does not count them. */
    fractionalTypes: string[];
    /** Whole-GPU types that fit under the limit but have no price for priceRegion, then unlisted types; left out of the maximum. */
    unpricedTypes: string[];
    /**
     * Exact USD per hour; null when unknown: no GPU limit, or every type that could set it unpriced.
     * 0 when the pool can launch no NVIDIA type (see smallestGpuCount).
     */
    hourlyCeiling: number | null;
    /** The type with the highest price per GPU, which sets the ceiling. */
    ceilingInstanceType: string | null;
    /** That type's on-demand price per GPU-hour. */
    gpuHourlyPrice: number | null;
    /**
     * Set when whole-GPU types are admitted but none fits under the GPU limit (and no unlisted type
     * might): the smallest GPU count the pool admits. Such a pool can never launch a node.
     */
    smallestGpuCount?: number;
}

/** A pool's nominal worst-case hourly cost, from its requirements and its nvidia.com/gpu limit. */
export function poolCost(requirements: Requirement[], gpuLimit: number | undefined, region?: string): PoolCost {
    const priceRegion = priceRegionOf(region);
    const { types, unlisted } = admittedGpuInstanceTypes(requirements);
    const whole = types.filter(t => t.gpus > 0);
    const fits = gpuLimit === undefined ? whole : whole.filter(t => t.gpus <= gpuLimit);
    const unpricedTypes = [...fits.filter(t => t.hourlyPrice[priceRegion] === undefined).map(t => t.type), ...unlisted];
    let best: GpuInstanceType | undefined;
    let bestPerGpu = -1;
    for (const t of fits) {
        const price = t.hourlyPrice[priceRegion];
        if (price !== undefined && price / t.gpus > bestPerGpu) {
            best = t;
            bestPerGpu = price / t.gpus;
        }
    }
    let hourlyCeiling: number | null = null;
    if (gpuLimit !== undefined) {
        if (best) hourlyCeiling = (best.hourlyPrice[priceRegion] * gpuLimit) / best.gpus;
        else if (unpricedTypes.length === 0) hourlyCeiling = 0;
    }
    const neverLaunches = gpuLimit !== undefined && whole.length > 0 && fits.length === 0 && unlisted.length === 0;
    return {
        region: region ?? DEFAULT_PRICE_REGION,
        priceRegion,
        gpuLimit,
        admittedTypes: types.map(t => t.type),
        fractionalTypes: fractionalTypesOf(types),
        unpricedTypes,
        hourlyCeiling,
        ceilingInstanceType: best?.type ?? null,
        gpuHourlyPrice: best ? bestPerGpu : null,
        ...(neverLaunches ? { smallestGpuCount: Math.min(...whole.map(t => t.gpus)) } : {}),
    };
}

/** The sum of the pools' ceilings; null when any is unknown. */
export function stackHourlyCeiling(pools: Pick<PoolCost, "hourlyCeiling">[]): number | null {
    let sum = 0;
    for (const p of pools) {
        if (p.hourlyCeiling === null) return null;
        sum += p.hourlyCeiling;
    }
    return sum;
}

/** USD to the cent, as the plan and the policies show it. */
export function roundCents(usd: number): number {
    return Math.round(usd * 100) / 100;
}

/** `p5.48xlarge`, `g5.xlarge and g6.xlarge`, `a, b, c and 5 more`: for messages. */
export function listTypes(types: readonly string[], shown = 3): string {
    if (types.length <= shown + 1) {
        return types.length <= 1 ? types.join("") : `${types.slice(0, -1).join(", ")} and ${types[types.length - 1]}`;
    }
    return `${types.slice(0, shown).join(", ")} and ${types.length - shown} more`;
}

/** `$440.32/h` */
export function formatHourly(usd: number): string {
    return `$${roundCents(usd).toFixed(2)}/h`;
}

/** How the prices relate to the region, for a message: says plainly when another region's stand in. */
export function priceBasis(cost: Pick<PoolCost, "region" | "priceRegion">): string {
    return cost.region === cost.priceRegion
        ? `${cost.priceRegion} on-demand prices`
        : `${cost.priceRegion} on-demand prices (the table has no ${cost.region} prices; AWS's prices differ by region)`;
}

// ---- checking the families and types a user configures -----------------------------------------

const TABLE_AGE = `the instance-type table (Karpenter ${table.source.tag} data, prices of ${pricesDate(DEFAULT_PRICE_REGION)})`;

function lowerCaseProblem(value: string, what: string): string | undefined {
    return value === value.toLowerCase()
        ? undefined
        : `${JSON.stringify(value)} is not lower-case, and Karpenter's ${what} labels are, so a NodePool with it could never ` +
              `launch a node; use ${JSON.stringify(value.toLowerCase())}`;
}

/** Why `family` cannot be a GPU pool's family; undefined when it can (a family newer than the table can: see tableWarning). */
export function instanceFamilyProblem(family: string): string | undefined {
    return (
        lowerCaseProblem(family, "instance-family") ?? nvidiaFamilyProblem(family) ?? fractionalGpuFamilyProblem(family)
    );
}

/** Why `type` cannot be one of a GPU pool's instance types; undefined when it can. */
export function instanceTypeProblem(type: string): string | undefined {
    const lowerCase = lowerCaseProblem(type, "instance-type");
    if (lowerCase) return lowerCase;
    if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(type))
        return `${JSON.stringify(type)} is not an EC2 instance type; use one like "g6e.xlarge"`;
    const family = instanceFamilyOf(type);
    const problem = nvidiaFamilyProblem(family) ?? fractionalGpuFamilyProblem(family);
    if (problem) return problem;
    if (isTableFamily(family) && !BY_TYPE.has(type)) {
        const suggestions = suggestInstanceTypes(type).map(t => JSON.stringify(t));
        return (
            `${JSON.stringify(type)} is not a ${family} instance type` +
            (suggestions.length > 0 ? ` (did you mean ${listTypes(suggestions, suggestions.length)}?)` : "") +
            `; ${family} types: ${familyInstanceTypes(family)
                .map(t => t.type)
                .join(", ")}`
        );
    }
    return undefined;
}

/** The setting a pool lists the families and types in that are deliberately newer than the table. */
export const UNLISTED_SETTING = "unlistedInstances";

/** `instance family "g6ee" is not in the instance-type table (...) (did you mean "g6e"?)`; undefined for what it lists. */
function notInTable(familyOrType: string): string | undefined {
    const isType = familyOrType.includes(".");
    const family = instanceFamilyOf(familyOrType);
    if (isType ? BY_TYPE.has(familyOrType) : isTableFamily(family)) return undefined;
    const near = [...FAMILIES].filter(f => editDistance(f, family) === 1).map(f => JSON.stringify(f));
    const either = near.length > 1 ? `${near.slice(0, -1).join(", ")} or ${near[near.length - 1]}` : near[0];
    return (
        `instance ${isType ? "type" : "family"} ${JSON.stringify(familyOrType)} is not in ${TABLE_AGE}` +
        (near.length > 0 ? ` (did you mean ${isType ? "family " : ""}${either}?)` : "")
    );
}

/**
 * Why a family or type (that passed the checks above) cannot be a pool's: the table does not list it,
 * so it is a misspelling or newer than the table. undefined for what the table lists.
 */
export function unlistedProblem(familyOrType: string): string | undefined {
    const notListed = notInTable(familyOrType);
    if (!notListed) return undefined;
    const families = familyOrType.includes(".") ? "" : `; its GPU families: ${[...FAMILIES].join(", ")}`;
    return (
        `${notListed}, so a NodePool with it may never launch a node${families}. ` +
        `If it is newer than the table, list it in the pool's ${UNLISTED_SETTING} too`
    );
}

/**
 * The warning for a family or type newer than the table that a pool lists in unlistedInstances:
 * allowed, but its cost is unknown. undefined for what the table lists.
 */
export function tableWarning(familyOrType: string): string | undefined {
    const notListed = notInTable(familyOrType);
    return notListed
        ? `${notListed}: its cost is unknown, so the pool's hourly ceiling leaves it out and lists it as unpriced`
        : undefined;
}
