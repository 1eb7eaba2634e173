// Karpenter's own installation as a stack shows it: its Helm charts and their versions, and the
// interruption queue (SQS queue, EventBridge rules, the controller's settings.interruptionQueue).
import { INTERRUPTION_EVENTS, InterruptionEvent, eventPattern } from "../components/iam-documents";
import { UNKNOWN, isObject, isUnknown, knownString, listAt, valueAt } from "./values";

/** A resource as the policy engine presents it. */
export interface EngineResource {
    /** Type token, e.g. `kubernetes:karpenter.sh/v1:NodePool`, `aws:sqs/queue:Queue`. */
    type: string;
    /** The Pulumi resource name. */
    name: string;
    urn?: string;
    /** Inputs (resource policies) or outputs (stack policies), with UNKNOWN for unknown values. */
    props: unknown;
}

export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const HELM_CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
export const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";
export const SQS_QUEUE_TYPE = "aws:sqs/queue:Queue";
export const EVENT_RULE_TYPE = "aws:cloudwatch/eventRule:EventRule";
export const EVENT_TARGET_TYPE = "aws:cloudwatch/eventTarget:EventTarget";

/** The events Karpenter reads from its queue: INTERRUPTION_EVENTS, the one list the component's rules come from. */
const EVENTS: readonly InterruptionEvent[] = Object.values(INTERRUPTION_EVENTS);
const SPOT_INTERRUPTION_EVENT = INTERRUPTION_EVENTS["spot-interruption"];

export type KarpenterChart = "karpenter" | "karpenter-crd";

const CHART_LABEL = "helm.sh/chart";
const CHART_LABEL_VALUE = /^(karpenter|karpenter-crd)-(v?[0-9].*)$/;

/**
 * The Karpenter chart a Helm resource installs, from its chart reference:
 * `oci://public.ecr.aws/karpenter/karpenter`, `karpenter` with a repository, `karpenter/karpenter`,
 * `./karpenter-crd-1.1.0.tgz`. The CRD chart is told apart from the controller chart.
 */
export function karpenterChartOf(r: EngineResource): KarpenterChart | undefined {
    if (r.type !== HELM_RELEASE_TYPE && r.type !== HELM_CHART_TYPE) {
        return undefined;
    }
    const chart = knownString(valueAt(r.props, "chart"));
    if (!chart) {
        return undefined;
    }
    const name = chart
        .slice(chart.lastIndexOf("/") + 1)
        .replace(/\.tgz$/, "")
        .replace(/[:@].*$/, "")
        .replace(/-v?[0-9]+\.[0-9]+.*$/, "");
    return name === "karpenter" || name === "karpenter-crd" ? name : undefined;
}

export interface ChartInstall {
    chart: KarpenterChart;
    /** Undefined when not pinned (Helm then installs the latest) or not known yet. */
    version: string | undefined;
    /** Read from the helm.sh/chart label of a rendered object rather than from a Helm resource. */
    fromLabel: boolean;
}

/**
 * The Karpenter chart and version a resource installs: a Helm release or chart, or the controller
 * Deployment rendered from the chart (`helm template`, a Chart v4 child) by its helm.sh/chart label.
 */
export function karpenterChartInstall(r: EngineResource): ChartInstall | undefined {
    const chart = karpenterChartOf(r);
    if (chart) {
        return { chart, version: knownString(valueAt(r.props, "version")) || undefined, fromLabel: false };
    }
    if (r.type === DEPLOYMENT_TYPE) {
        const label = knownString(valueAt(r.props, "metadata", "labels", CHART_LABEL));
        const m = label ? CHART_LABEL_VALUE.exec(label) : null;
        if (m) {
            return { chart: m[1] as KarpenterChart, version: m[2], fromLabel: true };
        }
    }
    return undefined;
}

/** `major.minor` of a chart version or constraint's lower bound ("1.1.0", "v1.0.6", ">=1.1"). */
export function chartMinorVersion(version: string): [number, number] | undefined {
    const m = /^[\s=v^~>]*([0-9]+)\.([0-9]+)/.exec(version);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The interruption queue a Karpenter installation is configured with. */
interface QueueSetting {
    /** For messages: `Helm release "karpenter"`. */
    source: string;
    /** The queue name; UNKNOWN when not known yet; undefined when not set. */
    queue: string | undefined;
}

// The controller chart passes settings.interruptionQueue to the controller as this variable.
const QUEUE_ENV = "INTERRUPTION_QUEUE";

function deploymentQueue(deployment: EngineResource): unknown {
    const containers = listAt(deployment.props, "spec", "template", "spec", "containers");
    if (containers === UNKNOWN) {
        return UNKNOWN;
    }
    for (const container of containers) {
        const env = listAt(container, "env");
        if (env === UNKNOWN) {
            return UNKNOWN;
        }
        const variable = env.find(e => valueAt(e, "name") === QUEUE_ENV);
        if (variable !== undefined) {
            return valueAt(variable, "value");
        }
    }
    return undefined;
}

function queueSettings(resources: EngineResource[]): QueueSetting[] {
    const settings: QueueSetting[] = [];
    for (const r of resources) {
        let setting: { source: string; queue: unknown } | undefined;
        if (karpenterChartOf(r) === "karpenter") {
            const kind = r.type === HELM_RELEASE_TYPE ? "release" : "chart";
            setting = {
                source: `Helm ${kind} "${r.name}"`,
                queue: valueAt(r.props, "values", "settings", "interruptionQueue"),
            };
        } else if (r.type === DEPLOYMENT_TYPE && karpenterChartInstall(r)?.chart === "karpenter") {
            setting = { source: `Deployment "${r.name}"`, queue: deploymentQueue(r) };
        }
        if (setting) {
            settings.push({
                source: setting.source,
                queue: typeof setting.queue === "string" ? setting.queue : undefined,
            });
        }
    }
    return settings;
}

/** An EventBridge rule's event pattern, parsed; UNKNOWN while not known, undefined when it is not JSON. */
function parsedPattern(pattern: unknown): unknown {
    if (typeof pattern !== "string" || isUnknown(pattern)) {
        return pattern;
    }
    try {
        return JSON.parse(pattern);
    } catch {
        return undefined;
    }
}

/** The pattern's entries for one field; undefined when absent (which matches every event). */
function patternEntries(pattern: unknown, field: string): unknown[] | undefined {
    const entry = valueAt(pattern, field);
    return entry === undefined ? undefined : Array.isArray(entry) ? entry : [entry];
}

/** Does an EventBridge pattern match `event`? Unknown patterns and values are given the benefit of the doubt. */
function patternMatches(pattern: unknown, event: InterruptionEvent): boolean {
    if (isUnknown(pattern)) {
        return true;
    }
    // A non-string entry is a content filter such as {"prefix": ...}: not checked, so taken to match.
    const admits = (field: string, value: string) => {
        const entries = patternEntries(pattern, field);
        return (
            entries === undefined ||
            entries.some(e => e === value || isUnknown(e) || (e !== null && typeof e === "object"))
        );
    };
    return isObject(pattern) && admits("source", event.source) && admits("detail-type", event.detailType);
}

/** `source aws.ec2, detail-type "C2 Instance State-change Notification"`: what a rule's known pattern asks for. */
function describePattern(pattern: unknown): string {
    if (!isObject(pattern)) {
        return "its event pattern is not a JSON object";
    }
    const field = (name: string) => {
        const entries = patternEntries(pattern, name);
        return entries === undefined ? `any ${name}` : `${name} ${entries.map(e => JSON.stringify(e)).join(" or ")}`;
    };
    return `${field("source")}, ${field("detail-type")}`;
}

/** `arn:aws:sqs:us-west-2:111122223333:my-queue` -> `my-queue`. */
function sqsQueueNameOfArn(arn: string): string | undefined {
    const parts = arn.split(":");
    return parts.length === 6 && parts[2] === "sqs" ? parts[5] : undefined;
}

/** Equal, or one side not known yet (undefined: a name the provider will generate). */
function mayBeSame(a: unknown, b: unknown): boolean {
    return isUnknown(a) || isUnknown(b) || a === undefined || b === undefined || a === b;
}

export interface WiringProblem {
    what: string;
    /** What goes wrong for the pool's GPU pods because of it. */
    consequence: string;
    fix: string;
}

const DRAINLESS_RECLAIM = "a spot reclaim kills its GPU pods without a drain";

const eventName = (e: InterruptionEvent) => `"${e.detailType}" (${e.source})`;
const ruleName = (rule: EngineResource) => knownString(valueAt(rule.props, "name")) ?? rule.name;

/**
 * What keeps Karpenter from seeing the events it handles (INTERRUPTION_EVENTS) in this stack, or
 * undefined when a controller names an SQS queue that EventBridge rules send every one of them to.
 * Values not known yet (a computed queue name, an ARN, a pattern) are taken to match.
 */
export function interruptionWiringProblem(resources: EngineResource[]): WiringProblem | undefined {
    const settings = queueSettings(resources);
    if (settings.length === 0) {
        return {
            what: "no Karpenter controller chart in this stack sets settings.interruptionQueue",
            consequence: DRAINLESS_RECLAIM,
            fix: "install the karpenter chart in this stack with settings.interruptionQueue naming an SQS queue that EventBridge interruption rules target",
        };
    }
    const named = settings.filter(s => s.queue);
    if (named.length === 0) {
        return {
            what: `${settings[0].source} does not set settings.interruptionQueue`,
            consequence: DRAINLESS_RECLAIM,
            fix: "set the chart value settings.interruptionQueue to the name of an SQS queue that EventBridge interruption rules target",
        };
    }
    const queues = resources.filter(r => r.type === SQS_QUEUE_TYPE);
    const rules = resources.filter(r => r.type === EVENT_RULE_TYPE);
    const targets = resources.filter(r => r.type === EVENT_TARGET_TYPE);
    // Each rule's pattern, parsed once for every queue and event it is checked against.
    const patterns = new Map(rules.map(rule => [rule, parsedPattern(valueAt(rule.props, "eventPattern"))]));

    const targetsQueue = (target: EngineResource, queue: EngineResource) => {
        const arn = valueAt(target.props, "arn");
        if (isUnknown(arn)) {
            return true;
        }
        if (typeof arn !== "string") {
            return false;
        }
        const queueArn = valueAt(queue.props, "arn");
        if (arn === queueArn) {
            return true;
        }
        const name = sqsQueueNameOfArn(arn);
        return name !== undefined && mayBeSame(name, valueAt(queue.props, "name"));
    };
    const rulesSendingTo = (queue: EngineResource) =>
        rules.filter(rule =>
            targets.some(
                t => targetsQueue(t, queue) && mayBeSame(valueAt(t.props, "rule"), valueAt(rule.props, "name")),
            ),
        );

    let problem: WiringProblem | undefined;
    for (const setting of named) {
        const display = isUnknown(setting.queue) ? "" : ` "${setting.queue}"`;
        const candidates = queues.filter(q => mayBeSame(setting.queue, valueAt(q.props, "name")));
        if (candidates.length === 0) {
            problem = {
                what:
                    queues.length > 0
                        ? `no SQS queue in this stack is named${display}, the settings.interruptionQueue of ${setting.source}`
                        : `this stack has no SQS queue for the settings.interruptionQueue${display} of ${setting.source}`,
                consequence: DRAINLESS_RECLAIM,
                fix: `create the SQS queue${display} with EventBridge rules for ${EVENTS.map(e => `"${e.detailType}"`).join(", ")} targeting it`,
            };
            continue;
        }
        // The candidate queue that misses the fewest events: with unknown names, any may be the one.
        let best: { sending: EngineResource[]; missing: InterruptionEvent[] } | undefined;
        for (const queue of candidates) {
            const sending = rulesSendingTo(queue);
            const missing = EVENTS.filter(e => !sending.some(rule => patternMatches(patterns.get(rule), e)));
            if (missing.length === 0) {
                return undefined;
            }
            if (!best || missing.length < best.missing.length) {
                best = { sending, missing };
            }
        }
        problem = eventsProblem(display, best!.sending, best!.missing, patterns);
    }
    return problem;
}

/**
 * Names the events the queue does not get, the rules sending it something else, and rules that
 * match but send nowhere; `patterns` holds every rule of the stack with its parsed pattern.
 */
function eventsProblem(
    display: string,
    sending: EngineResource[],
    missing: InterruptionEvent[],
    patterns: Map<EngineResource, unknown>,
): WiringProblem {
    const details: string[] = [];
    for (const rule of sending) {
        const pattern = patterns.get(rule);
        if (!EVENTS.some(e => patternMatches(pattern, e))) {
            details.push(
                `EventBridge rule "${ruleName(rule)}" sends it no event Karpenter handles (${describePattern(pattern)})`,
            );
        }
    }
    for (const event of missing) {
        const unrouted = [...patterns].filter(([r, pattern]) => !sending.includes(r) && patternMatches(pattern, event));
        for (const [rule] of unrouted) {
            details.push(
                `EventBridge rule "${ruleName(rule)}" matches ${eventName(event)} but no target sends it to the queue`,
            );
        }
    }
    const spotMissing = missing.some(e => e.detailType === SPOT_INTERRUPTION_EVENT.detailType);
    return {
        what:
            `the interruption queue${display} gets no ${missing.map(eventName).join(", ")} events` +
            (details.length > 0 ? `: ${details.join("; ")}` : ""),
        consequence: spotMissing
            ? DRAINLESS_RECLAIM
            : "Karpenter never hears of those events and cannot drain its GPU nodes ahead of them",
        fix:
            `target the queue with ${missing.length === 1 ? "an EventBridge rule" : "EventBridge rules"} with pattern ` +
            missing.map(eventPattern).join(", ") +
            (details.length > 0 ? ", or correct the rules named" : ""),
    };
}
