// The policies of the gpu-karpenter pack, runnable without the policy engine: index.ts serves them
// as a PolicyPack, `check-manifests` and the offline plan run them with evaluateResources.
// Only types come from @pulumi/policy, so loading this module does not start (or need) the pack.
import type { PolicyPackConfig, Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { CAPACITY_TYPES, CAPACITY_TYPE_LABEL, CONSOLIDATION_POLICIES, NVIDIA_GPU_RESOURCE } from "../components/gpu";
import { DURATION_FORMAT, DURATION_PATTERN, durationSeconds, isKarpenterDuration } from "../components/duration";
import {
    DEPLOYMENT_TYPE,
    EVENT_RULE_TYPE,
    EVENT_TARGET_TYPE,
    EngineResource,
    HELM_CHART_TYPE,
    HELM_RELEASE_TYPE,
    SQS_QUEUE_TYPE,
    chartMinorVersion,
    interruptionWiringProblem,
    karpenterChartInstall,
} from "./karpenter";
import {
    NODEPOOL_TYPE,
    admitsSpot,
    capacityTypesOf,
    gpuTaintEffects,
    isGpuPool,
    mayBeAutoModePool,
    pinnedGpuInstanceTypes,
    poolLabel,
} from "./nodepool";
import { UNKNOWN, displayName, isObject, isUnknown, knownProps, knownString, quantityValue, valueAt } from "./values";
import { fractionalGpuMessage, nodePoolHourlyCost, stackHourlyCost } from "./cost";
import { imagePull } from "./image-pull";
import type { Enforcement, Knobs, ResourceRule, RuleInfo, StackRule, Violation } from "./rule-types";

export type { EngineResource } from "./karpenter";
export type { PolicyPackConfig } from "@pulumi/policy";
export { UNKNOWN, isUnknown } from "./values";
export { NODEPOOL_TYPE } from "./nodepool";
export type { Enforcement, Knobs, ResourceRule, RuleInfo, StackRule, Violation } from "./rule-types";

function kindOf(type: string): string {
    return type.slice(type.lastIndexOf(":") + 1);
}

/** `a`, `a or b`, `a, b or c`. */
function oneOf(values: string[]): string {
    return values.length <= 1 ? values.join("") : `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
}

/** A NodePool rule that only looks at pools that can launch GPU nodes. */
function gpuPoolRule(
    info: Omit<ResourceRule, "appliesTo" | "check">,
    check: (pool: EngineResource, knobs: Knobs) => string[],
): ResourceRule {
    return {
        ...info,
        appliesTo: type => type === NODEPOOL_TYPE,
        check: (r, knobs) => (isGpuPool(r.props) === true ? check(r, knobs) : []),
    };
}

// ---- configuration -------------------------------------------------------------------------------
// Under the engine the knobs arrive checked against each policy's configSchema and with the schema's
// defaults filled in (pulumi/pulumi pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig);
// policy-config.ts does the same for check-manifests and any other caller with a user's file. The
// readers below only fall back to the same defaults, and refuse what the schema refuses, for
// callers that skip that.

/** gpu-nodepool-spot-only's knob when the config leaves it out. */
const SPOT_ONLY_DEFAULTS = { allowedCapacityTypes: ["spot"] as string[] };

/** gpu-nodepool-consolidation's knobs when the config leaves them out; gpu-nodepool-gpu-limit has no maximum by default. */
const CONSOLIDATION_DEFAULTS = {
    allowedPolicies: [...CONSOLIDATION_POLICIES] as string[],
    maxConsolidateAfter: "10m",
};

/** A knob that must be a non-empty list of distinct values from `allowed`. */
function listKnob(policy: string, knob: string, value: unknown, allowed: readonly string[]): string[] {
    if (
        !Array.isArray(value) ||
        value.length === 0 ||
        new Set(value).size !== value.length ||
        !value.every((v: unknown) => typeof v === "string" && allowed.includes(v))
    ) {
        throw new Error(
            `${policy}: ${knob} must be a non-empty list of distinct values from ${allowed.join(", ")}, got ${JSON.stringify(value)}`,
        );
    }
    return value as string[];
}

function capacityKnobs(knobs: Knobs) {
    return {
        allowed: listKnob(
            "gpu-nodepool-spot-only",
            "allowedCapacityTypes",
            knobs.allowedCapacityTypes ?? SPOT_ONLY_DEFAULTS.allowedCapacityTypes,
            CAPACITY_TYPES,
        ),
    };
}

function consolidationKnobs(knobs: Knobs) {
    const allowed = listKnob(
        "gpu-nodepool-consolidation",
        "allowedPolicies",
        knobs.allowedPolicies ?? CONSOLIDATION_DEFAULTS.allowedPolicies,
        CONSOLIDATION_POLICIES,
    );
    const maxAfter = knobs.maxConsolidateAfter ?? CONSOLIDATION_DEFAULTS.maxConsolidateAfter;
    const maxSeconds = durationSeconds(maxAfter);
    if (maxSeconds === undefined || maxSeconds === Infinity) {
        throw new Error(
            `gpu-nodepool-consolidation: maxConsolidateAfter must be a duration such as "10m", got ${JSON.stringify(maxAfter)}`,
        );
    }
    return { allowed, maxAfter: maxAfter as string, maxSeconds };
}

function maxGpuLimitKnob(knobs: Knobs): number | undefined {
    const max = knobs.maxGpuLimit;
    if (max !== undefined && !(Number.isInteger(max) && (max as number) >= 1)) {
        throw new Error(
            `gpu-nodepool-gpu-limit: maxGpuLimit must be a whole number of at least 1, got ${JSON.stringify(max)}`,
        );
    }
    return max as number | undefined;
}

// ---- policies ------------------------------------------------------------------------------------

const capacityFix = (allowed: string[]) =>
    `Fix: give it the requirement {key: ${CAPACITY_TYPE_LABEL}, operator: In, values: [${allowed.join(", ")}]}.`;

const spotOnly = gpuPoolRule(
    {
        name: "gpu-nodepool-spot-only",
        description:
            "GPU NodePools launch spot capacity only (or the capacity types in allowedCapacityTypes, such as prepaid reserved capacity): spot GPU instances cost up to 90% less than on-demand.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                allowedCapacityTypes: {
                    type: "array",
                    items: { type: "string", enum: [...CAPACITY_TYPES] },
                    minItems: 1,
                    uniqueItems: true,
                    default: SPOT_ONLY_DEFAULTS.allowedCapacityTypes,
                    description: `The ${CAPACITY_TYPE_LABEL} values a GPU NodePool may admit, e.g. ["spot", "reserved"] to allow capacity reservations and Capacity Blocks.`,
                },
            },
        },
        validateKnobs: capacityKnobs,
    },
    (pool, knobs) => {
        const { allowed } = capacityKnobs(knobs);
        const fix = capacityFix(allowed);
        const capacity = capacityTypesOf(pool.props);
        if (!capacity) {
            return [];
        }
        const others = capacity.admitted.filter(t => !allowed.includes(t));
        if (!capacity.stated && others.length > 0) {
            return [
                `${poolLabel(pool)} has no ${CAPACITY_TYPE_LABEL} requirement, so Karpenter launches its GPU nodes on-demand. ${fix}`,
            ];
        }
        if (capacity.admitted.length === 0) {
            return [
                `${poolLabel(pool)} admits no capacity type at all through its ${CAPACITY_TYPE_LABEL} requirements, so it can never launch a node. ${fix}`,
            ];
        }
        if (others.length > 0) {
            return [
                `${poolLabel(pool)} admits ${others.join(" and ")} capacity through its ${CAPACITY_TYPE_LABEL} requirement, so it can launch GPU nodes that are not ${oneOf(allowed)}. ${fix}`,
            ];
        }
        return [];
    },
);

const consolidation = gpuPoolRule(
    {
        name: "gpu-nodepool-consolidation",
        description:
            "GPU NodePools state a consolidation policy and a short consolidateAfter, so idle GPU nodes stop billing soon.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                allowedPolicies: {
                    type: "array",
                    items: { type: "string", enum: [...CONSOLIDATION_POLICIES] },
                    minItems: 1,
                    uniqueItems: true,
                    default: CONSOLIDATION_DEFAULTS.allowedPolicies,
                    description: "The spec.disruption.consolidationPolicy values a GPU NodePool may use.",
                },
                maxConsolidateAfter: {
                    type: "string",
                    pattern: DURATION_PATTERN,
                    default: CONSOLIDATION_DEFAULTS.maxConsolidateAfter,
                    description:
                        "The longest spec.disruption.consolidateAfter a GPU NodePool may use, e.g. 30s, 5m, 1h.",
                },
            },
        },
        validateKnobs: consolidationKnobs,
    },
    (pool, knobs) => {
        const { allowed, maxAfter, maxSeconds } = consolidationKnobs(knobs);
        const disruption = valueAt(pool.props, "spec", "disruption");
        const afterFix = `spec.disruption.consolidateAfter to ${maxAfter} or less`;
        const policyFix = `spec.disruption.consolidationPolicy to ${oneOf(allowed)}`;
        if (isUnknown(disruption)) {
            return [];
        }
        if (!isObject(disruption)) {
            return [
                `${poolLabel(pool)} has no spec.disruption, so it does not state when idle GPU nodes are removed. Fix: set ${policyFix} and ${afterFix}.`,
            ];
        }
        const problems: string[] = [];
        const policy = disruption.consolidationPolicy;
        if (policy === undefined) {
            problems.push(
                `${poolLabel(pool)} does not state spec.disruption.consolidationPolicy. Fix: set ${policyFix}.`,
            );
        } else if (!isUnknown(policy) && !allowed.includes(policy as string)) {
            problems.push(
                `${poolLabel(pool)} has consolidationPolicy ${JSON.stringify(policy)}, which is not allowed here. Fix: set ${policyFix}.`,
            );
        }
        const after = disruption.consolidateAfter;
        if (after === undefined) {
            problems.push(`${poolLabel(pool)} does not state spec.disruption.consolidateAfter. Fix: set ${afterFix}.`);
        } else if (after === "Never") {
            problems.push(
                `${poolLabel(pool)} has consolidateAfter: Never, so its idle GPU nodes are never consolidated and keep billing. Fix: set ${afterFix}.`,
            );
        } else if (!isUnknown(after) && !isKarpenterDuration(after)) {
            problems.push(
                `${poolLabel(pool)} has consolidateAfter ${JSON.stringify(after)}, which is not ${DURATION_FORMAT}. Fix: set ${afterFix}.`,
            );
        } else if (!isUnknown(after) && durationSeconds(after)! > maxSeconds) {
            problems.push(
                `${poolLabel(pool)} has consolidateAfter ${after as string}, longer than the ${maxAfter} maximum, so idle GPU nodes bill that long. Fix: set ${afterFix}.`,
            );
        }
        return problems;
    },
);

const gpuLimit = gpuPoolRule(
    {
        name: "gpu-nodepool-gpu-limit",
        description: `GPU NodePools cap their GPUs with spec.limits["${NVIDIA_GPU_RESOURCE}"], so a burst of pending pods cannot buy unbounded GPU nodes.`,
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                maxGpuLimit: {
                    type: "integer",
                    minimum: 1,
                    description: `The highest spec.limits["${NVIDIA_GPU_RESOURCE}"] a GPU NodePool may set. No maximum when unset.`,
                },
            },
        },
        validateKnobs: maxGpuLimitKnob,
    },
    (pool, knobs) => {
        const max = maxGpuLimitKnob(knobs);
        const field = `spec.limits["${NVIDIA_GPU_RESOURCE}"]`;
        const fix = `Fix: set ${field} to the most GPUs the pool may run${max === undefined ? "" : `, at most ${max}`}.`;
        const limit = valueAt(pool.props, "spec", "limits", NVIDIA_GPU_RESOURCE);
        if (isUnknown(limit)) {
            return [];
        }
        if (limit === undefined || limit === null) {
            return [`${poolLabel(pool)} sets no ${field}, so it can launch GPU nodes without bound. ${fix}`];
        }
        const gpus = quantityValue(limit);
        if (gpus === undefined || gpus < 0) {
            return [
                `${poolLabel(pool)} has ${field} ${JSON.stringify(limit)}, which is not a Kubernetes quantity of GPUs. ${fix}`,
            ];
        }
        if (max !== undefined && gpus > max) {
            return [
                `${poolLabel(pool)} has ${field} ${JSON.stringify(limit)}, above the maximum of ${max} GPUs. ${fix}`,
            ];
        }
        const fractional = fractionalGpuMessage(pool);
        return fractional ? [fractional] : [];
    },
);

const gpuTaint = gpuPoolRule(
    {
        name: "gpu-nodepool-taint",
        description: `GPU NodePools taint their nodes ${NVIDIA_GPU_RESOURCE}:NoSchedule, so CPU pods cannot keep a GPU node alive.`,
        enforcementLevel: "advisory",
    },
    pool => {
        const effects = gpuTaintEffects(pool.props);
        // NoExecute keeps CPU pods off as well.
        if (effects === UNKNOWN || effects.some(e => e === "NoSchedule" || e === "NoExecute")) {
            return [];
        }
        const found =
            effects.length > 0
                ? `has its ${NVIDIA_GPU_RESOURCE} taint with effect ${effects[0]}, not NoSchedule`
                : `has no ${NVIDIA_GPU_RESOURCE} taint`;
        return [
            `${poolLabel(pool)} ${found}, so CPU pods can schedule onto its GPU nodes and keep them from being consolidated. Fix: add {key: ${NVIDIA_GPU_RESOURCE}, value: "true", effect: NoSchedule} to spec.template.spec.taints.`,
        ];
    },
);

// Karpenter's default when a NodePool states none (the NodePool CRD's default for expireAfter).
const DEFAULT_EXPIRE_AFTER = "720h";

const terminationGrace = gpuPoolRule(
    {
        name: "gpu-nodepool-termination-grace",
        description:
            "GPU NodePools whose nodes expire set a terminationGracePeriod, so a karpenter.sh/do-not-disrupt pod cannot hold an expired node's drain without end.",
        enforcementLevel: "advisory",
    },
    pool => {
        const template = valueAt(pool.props, "spec", "template", "spec");
        const expireAfter = valueAt(template, "expireAfter");
        const grace = valueAt(template, "terminationGracePeriod");
        if (isUnknown(expireAfter) || isUnknown(grace) || grace !== undefined || expireAfter === "Never") {
            return [];
        }
        const expiry = `after ${typeof expireAfter === "string" ? expireAfter : `Karpenter's default ${DEFAULT_EXPIRE_AFTER}`}`;
        return [
            `${poolLabel(pool)} expires its nodes ${expiry} but sets no spec.template.spec.terminationGracePeriod, so a pod marked karpenter.sh/do-not-disrupt keeps an expired GPU node draining without end (or, on some Karpenter versions, is deleted at once). Fix: set spec.template.spec.terminationGracePeriod to as long as a job may need to checkpoint, e.g. 1h, or expireAfter to Never.`,
        ];
    },
);

const instanceDiversity = gpuPoolRule(
    {
        name: "gpu-nodepool-instance-diversity",
        description:
            "Spot GPU NodePools admit at least two instance types, so Karpenter has a fallback when one runs out of spot capacity.",
        enforcementLevel: "advisory",
    },
    pool => {
        if (!admitsSpot(pool.props)) {
            return [];
        }
        const types = pinnedGpuInstanceTypes(pool.props);
        if (types === undefined || types.length >= 2) {
            return [];
        }
        const admitted = types.length === 0 ? "no GPU instance type" : `only one GPU instance type (${types[0]})`;
        return [
            `${poolLabel(pool)} runs on spot but admits ${admitted}, so GPU pods stay pending whenever it has no spot capacity. Fix: admit at least two instance types (another size or family) in spec.template.spec.requirements.`,
        ];
    },
);

const KARPENTER_API_GROUPS = ["karpenter.sh", "karpenter.k8s.aws"];
const MIN_CHART = [1, 1] as const;
const MIN_CHART_TEXT = `${MIN_CHART[0]}.${MIN_CHART[1]}`;

/** `kubernetes:karpenter.sh/v1beta1:NodePool` -> ["karpenter.sh", "v1beta1"]. */
function kubernetesGroupVersion(type: string): [string, string] | undefined {
    const m = /^kubernetes:([^/:]+)\/([^/:]+):[^:]+$/.exec(type);
    return m ? [m[1], m[2]] : undefined;
}

const karpenterV1Api: ResourceRule = {
    name: "karpenter-v1-api",
    description: `Karpenter resources use the v1 API (not v1beta1) and Karpenter's charts are at least ${MIN_CHART_TEXT}.`,
    enforcementLevel: "mandatory",
    appliesTo: type =>
        type === HELM_RELEASE_TYPE ||
        type === HELM_CHART_TYPE ||
        type === DEPLOYMENT_TYPE ||
        KARPENTER_API_GROUPS.includes(kubernetesGroupVersion(type)?.[0] ?? ""),
    check: r => {
        const groupVersion = kubernetesGroupVersion(r.type);
        if (groupVersion && KARPENTER_API_GROUPS.includes(groupVersion[0]) && groupVersion[1] !== "v1") {
            const [group, version] = groupVersion;
            return [
                `${kindOf(r.type)} "${displayName(r)}" uses ${group}/${version}, an API Karpenter ${MIN_CHART_TEXT} and later no longer serve. Fix: migrate it to ${group}/v1.`,
            ];
        }
        const install = karpenterChartInstall(r);
        if (!install?.version) {
            return [];
        }
        const fix = install.fromLabel
            ? `Fix: render it from Karpenter chart ${MIN_CHART_TEXT}.0 or later.`
            : `Fix: set version to ${MIN_CHART_TEXT}.0 or later.`;
        const what = `${install.fromLabel ? "comes from" : "installs"} Karpenter chart ${install.chart} ${install.version}`;
        const minor = chartMinorVersion(install.version);
        if (!minor) {
            return [
                `${kindOf(r.type)} "${displayName(r)}" ${what}, which is not a version that can be checked. ${fix}`,
            ];
        }
        const [major, min] = minor;
        if (major < MIN_CHART[0] || (major === MIN_CHART[0] && min < MIN_CHART[1])) {
            return [
                `${kindOf(r.type)} "${displayName(r)}" ${what}, older than ${MIN_CHART_TEXT}, the first release that serves only the v1 APIs. ${fix}`,
            ];
        }
        return [];
    },
};

const STACK_TYPES = [
    NODEPOOL_TYPE,
    HELM_RELEASE_TYPE,
    HELM_CHART_TYPE,
    DEPLOYMENT_TYPE,
    SQS_QUEUE_TYPE,
    EVENT_RULE_TYPE,
    EVENT_TARGET_TYPE,
];

const interruptionHandling: StackRule = {
    name: "spot-gpu-requires-interruption-handling",
    description:
        "A stack with a self-managed spot GPU NodePool wires Karpenter's interruption queue (an SQS queue, EventBridge rules sending it every event Karpenter handles, settings.interruptionQueue), so spot reclaims drain GPU pods first.",
    enforcementLevel: "mandatory",
    appliesTo: type => STACK_TYPES.includes(type),
    checkStack: resources => {
        // EKS Auto Mode handles spot interruption notices and instance health events itself
        // (awsdocs/amazon-eks-user-guide latest/ug/automode/automode.adoc, pull request #1053).
        const spotGpuPools = resources.filter(
            r =>
                r.type === NODEPOOL_TYPE &&
                isGpuPool(r.props) === true &&
                admitsSpot(r.props) &&
                !mayBeAutoModePool(r.props),
        );
        const problem = spotGpuPools.length > 0 ? interruptionWiringProblem(resources) : undefined;
        if (!problem) {
            return [];
        }
        return spotGpuPools.map(pool => ({
            resource: pool,
            message: `${poolLabel(pool)} runs on spot, but ${problem.what}, so ${problem.consequence}. Fix: ${problem.fix}.`,
        }));
    },
};

const RESOURCE_RULES: ResourceRule[] = [
    spotOnly,
    consolidation,
    gpuLimit,
    nodePoolHourlyCost,
    karpenterV1Api,
    gpuTaint,
    terminationGrace,
    instanceDiversity,
];
const STACK_RULES: StackRule[] = [interruptionHandling, stackHourlyCost, imagePull];

// ---- running the policies ------------------------------------------------------------------------

/** What the rule named `policy` cannot use in `knobs`, beyond its schema; undefined when it can use them all, or has no such rule. */
export function knobProblem(policy: string, knobs: Knobs): string | undefined {
    const rule = [...RESOURCE_RULES, ...STACK_RULES].find(r => r.name === policy);
    try {
        rule?.validateKnobs?.(knobs);
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
}

/** How `config` (the --policy-pack-config format) sets a policy: its level, undefined when disabled, and its knobs. */
function settingsOf(rule: RuleInfo, config: PolicyPackConfig): { level?: Enforcement; knobs: Knobs } {
    const entry = config[rule.name];
    const all = config.all;
    const level =
        (typeof entry === "string" ? entry : entry?.enforcementLevel) ??
        (typeof all === "string" ? all : all?.enforcementLevel) ??
        rule.enforcementLevel;
    const knobs: Knobs = typeof entry === "object" && entry !== null ? { ...entry } : {};
    delete knobs.enforcementLevel;
    return { level: level === "disabled" ? undefined : level === "advisory" ? "advisory" : "mandatory", knobs };
}

function violation(rule: RuleInfo, level: Enforcement, r: EngineResource, message: string): Violation {
    return {
        policy: rule.name,
        enforcement: level,
        kind: kindOf(r.type),
        name: displayName(r),
        message,
        ...(r.urn ? { urn: r.urn } : {}),
    };
}

function plain(r: EngineResource): EngineResource {
    return { ...r, props: knownProps(r.props) };
}

/** The resource policies' violations, resource by resource. */
export function evaluateResourcePolicies(resources: EngineResource[], config: PolicyPackConfig = {}): Violation[] {
    const violations: Violation[] = [];
    for (const resource of resources) {
        const rules = RESOURCE_RULES.filter(rule => rule.appliesTo(resource.type));
        const r = rules.length > 0 ? plain(resource) : resource;
        for (const rule of rules) {
            const { level, knobs } = settingsOf(rule, config);
            if (level) {
                violations.push(...rule.check(r, knobs).map(message => violation(rule, level, r, message)));
            }
        }
    }
    return violations;
}

/** The stack policies' violations over all `resources` together. */
export function evaluateStackPolicies(resources: EngineResource[], config: PolicyPackConfig = {}): Violation[] {
    const violations: Violation[] = [];
    for (const rule of STACK_RULES) {
        const { level, knobs } = settingsOf(rule, config);
        if (level) {
            const relevant = resources.filter(r => rule.appliesTo(r.type)).map(plain);
            violations.push(
                ...rule
                    .checkStack(relevant, knobs)
                    .map(({ resource, message }) => violation(rule, level, resource, message)),
            );
        }
    }
    return violations;
}

/**
 * Runs every policy of the pack as the engine would, without the engine:
 *
 *     evaluateResources(resources: EngineResource[], config?: PolicyPackConfig): Violation[]
 *
 * - resources: `{ type, name, urn?, props }` with the engine's type tokens
 *   (`kubernetes:karpenter.sh/v1:NodePool`, `aws:sqs/queue:Queue`, `kubernetes:helm.sh/v3:Release`,
 *   ...), the Pulumi resource name, and props as the resource's inputs. A value not known yet is
 *   UNKNOWN (the engine's sentinel string, as @pulumi/pulumi serializes unknowns); a missing value
 *   is simply absent.
 * - config: the `--policy-pack-config` file's content, e.g.
 *   `{ "gpu-nodepool-gpu-limit": { "maxGpuLimit": 16 }, "gpu-nodepool-taint": "disabled" }`.
 *   Throws on invalid knob values; check a user's file first with validatePolicyPackConfig
 *   (policy-config.ts), which rejects what the engine rejects and fills in the defaults as it does.
 * - returns resource-policy violations (resource by resource), then the stack policy's.
 *   Print them with formatViolation and formatSummary.
 */
export function evaluateResources(resources: EngineResource[], config: PolicyPackConfig = {}): Violation[] {
    return [...evaluateResourcePolicies(resources, config), ...evaluateStackPolicies(resources, config)];
}

/** `<policy> <mandatory|advisory> <Kind>/<name>: <message>` */
export function formatViolation(v: Violation): string {
    return `${v.policy} ${v.enforcement} ${v.kind}/${v.name}: ${v.message}`;
}

function count(n: number, noun: string): string {
    return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** `checked 4 resources: 1 mandatory violation, 2 advisory violations` */
export function formatSummary(violations: Violation[], resourcesChecked: number): string {
    const mandatory = violations.filter(v => v.enforcement === "mandatory").length;
    return (
        `checked ${count(resourcesChecked, "resource")}: ${count(mandatory, "mandatory violation")}, ` +
        count(violations.length - mandatory, "advisory violation")
    );
}

/** A Kubernetes object from a manifest, as the engine sees it: `kubernetes:<group>/<version>:<Kind>` (core group `core`). */
export function resourceFromManifest(manifest: Record<string, unknown>): EngineResource {
    const apiVersion = String(manifest.apiVersion);
    const groupVersion = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
    return {
        type: `kubernetes:${groupVersion}:${String(manifest.kind)}`,
        name: knownString(valueAt(manifest, "metadata", "name")) ?? "(unnamed)",
        props: manifest,
    };
}

// ---- the pack's policies, as the engine runs them ------------------------------------------------

function info(rule: RuleInfo) {
    const { name, description, enforcementLevel, configSchema } = rule;
    return { name, description, enforcementLevel, ...(configSchema ? { configSchema } : {}) };
}

function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
    return {
        ...info(rule),
        validateResource: (args, reportViolation) => {
            if (!rule.appliesTo(args.type)) {
                return;
            }
            const resource = plain({ type: args.type, name: args.name, urn: args.urn, props: args.props });
            for (const message of rule.check(resource, args.getConfig<Knobs>())) {
                reportViolation(message);
            }
        },
    };
}

function stackPolicy(rule: StackRule): StackValidationPolicy {
    return {
        ...info(rule),
        validateStack: (args, reportViolation) => {
            const resources = args.resources
                .filter(r => rule.appliesTo(r.type))
                .map(r => plain({ type: r.type, name: r.name, urn: r.urn, props: r.props }));
            for (const { resource, message } of rule.checkStack(resources, args.getConfig<Knobs>())) {
                reportViolation(message, resource.urn);
            }
        },
    };
}

/** The pack's policies in the engine's form; index.ts serves them. */
export const policies: Policies = [...RESOURCE_RULES.map(resourcePolicy), ...STACK_RULES.map(stackPolicy)];
