// What a second `pulumi up` would do: the stack's state and the cloud as the first update left them,
// the program run again against that cloud, and each registration diffed against the state the way
// the engine diffs it (pkg/resource/deploy/step_generator.go in pulumi/pulumi: a resource missing
// from the state is created, one the program no longer registers is deleted, a component whose
// inputs differ is updated, a custom resource is updated or replaced as its provider's Diff says).
import { isDeepStrictEqual } from "util";
import type { ProgramRun, RecordedResource } from "./run-program";

/** A stack after `pulumi up`. */
export interface Deployment {
    /** Pulumi's state: what the last update left under management. */
    state: RecordedResource[];
    /** What the updates left in the cloud: the state's resources, and what a retained delete kept. */
    cloud: RecordedResource[];
}

/** A stack that was never deployed. */
export const NEW_STACK: Deployment = { state: [], cloud: [] };

/** The engine's operations, as `pulumi preview` names them. */
export type Op = "same" | "create" | "import" | "update" | "replace" | "delete" | "read";

export interface Step {
    op: Op;
    urn: string;
    type: string;
    name: string;
    /** For an update, the inputs that differ; for a replace, those that force it. */
    keys: string[];
    /** A delete that leaves the resource in the cloud (`retainOnDelete`). */
    retain?: boolean;
}

/**
 * Inputs whose change makes the provider replace rather than update, for the types this program
 * registers. AWS: the fields terraform-provider-aws marks ForceNew (RequiresReplace in its framework
 * resources), which pulumi-aws reports as replaces; the file is the resource's in
 * hashicorp/terraform-provider-aws. Kubernetes: pulumi-kubernetes provider/pkg/provider (Diff,
 * forceNewProperties in diff.go; helm_release.go Diff; DiffConfig for the provider).
 */
export const REPLACE_ON_CHANGES: Record<string, { fields: string[]; source: string }> = {
    "aws:iam/role:Role": { fields: ["name", "namePrefix", "path"], source: "internal/service/iam/role.go" },
    "aws:iam/policy:Policy": {
        fields: ["name", "namePrefix", "path", "description"],
        source: "internal/service/iam/policy.go",
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        fields: ["role", "policyArn"],
        source: "internal/service/iam/role_policy_attachment.go",
    },
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": {
        fields: ["awsServiceName", "customSuffix"],
        source: "internal/service/iam/service_linked_role.go",
    },
    "aws:sqs/queue:Queue": { fields: ["name", "namePrefix", "fifoQueue"], source: "internal/service/sqs/queue.go" },
    "aws:sqs/queuePolicy:QueuePolicy": { fields: ["queueUrl"], source: "internal/service/sqs/queue_policy.go" },
    "aws:cloudwatch/eventRule:EventRule": {
        fields: ["name", "namePrefix", "eventBusName"],
        source: "internal/service/events/rule.go",
    },
    "aws:cloudwatch/eventTarget:EventTarget": {
        fields: ["rule", "targetId", "eventBusName"],
        source: "internal/service/events/target.go",
    },
    "aws:eks/accessEntry:AccessEntry": {
        fields: ["clusterName", "principalArn", "type"],
        source: "internal/service/eks/access_entry.go",
    },
    "aws:eks/addon:Addon": { fields: ["clusterName", "addonName"], source: "internal/service/eks/addon.go" },
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
        fields: ["clusterName", "namespace", "serviceAccount"],
        source: "internal/service/eks/pod_identity_association.go",
    },
    "aws:ec2/tag:Tag": { fields: ["resourceId", "key"], source: "aws_ec2_tag, internal/service/ec2" },
    "kubernetes:helm.sh/v3:Release": { fields: ["name", "namespace"], source: "helm_release.go Diff" },
    "kubernetes:apps/v1:Deployment": {
        fields: ["metadata.name", "metadata.namespace", "spec.selector"],
        source: "diff.go forceNew (apps/v1 Deployment)",
    },
};

/** Every other Kubernetes object, patches included (provider.go Diff, metadataForceNewProperties). */
const KUBERNETES_OBJECT = { fields: ["metadata.name", "metadata.namespace"], source: "provider.go Diff" };

/**
 * A value with each resource reference (a component passed as an input, which the SDK rebuilds as a
 * new object every run) replaced by its type and name, as the engine compares references by URN.
 */
function comparable(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    const resource = value as { __pulumiResource?: boolean; __pulumiType?: string; __name?: string };
    if (resource.__pulumiResource) return `resource ${resource.__pulumiType}::${resource.__name}`;
    if (Array.isArray(value)) return value.map(comparable);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
}

function same(a: unknown, b: unknown): boolean {
    return isDeepStrictEqual(a, b) || isDeepStrictEqual(comparable(a), comparable(b));
}

function at(value: unknown, path: string): unknown {
    return path.split(".").reduce<any>((v, key) => (v === null || typeof v !== "object" ? undefined : v[key]), value);
}

/** The top-level inputs that differ between the runs. */
function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].filter(k => !same(before[k], after[k])).sort();
}

/** Of the changed inputs, those that make the provider replace the resource. */
function replaceKeys(type: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
    if (type === "pulumi:providers:kubernetes") {
        // DiffConfig: a changed clusterIdentifier replaces; an unchanged one means the same cluster.
        if (after.clusterIdentifier !== undefined && before.clusterIdentifier !== undefined) {
            return before.clusterIdentifier === after.clusterIdentifier ? [] : ["clusterIdentifier"];
        }
        return ["kubeconfig", "context", "cluster"].filter(k => !same(before[k], after[k]));
    }
    const rule = REPLACE_ON_CHANGES[type] ?? (type.startsWith("kubernetes:") ? KUBERNETES_OBJECT : undefined);
    return (rule?.fields ?? []).filter(f => !same(at(before, f), at(after, f)));
}

/** `<provider URN>::<provider ID>` -> the provider's URN. */
function providerUrn(reference: string | undefined): string | undefined {
    return reference === undefined ? undefined : reference.slice(0, reference.lastIndexOf("::"));
}

/** The steps of an update that runs `run` on a stack deployed as `before`. */
export function diffRun(before: Deployment, run: ProgramRun): Step[] {
    const old = new Map(before.state.map(r => [r.urn, r]));
    const replaced = new Set<string>();
    const steps: Step[] = [];
    const step = (r: RecordedResource, op: Op, keys: string[] = []): Step => ({
        op,
        urn: r.urn,
        type: r.type,
        name: r.name,
        keys,
    });
    // Registration order: a provider is registered before the resources that use it.
    for (const r of run.resources) {
        if (r.read) {
            steps.push(step(r, "read"));
            continue;
        }
        const prev = old.get(r.urn);
        old.delete(r.urn);
        if (!prev) {
            steps.push(step(r, r.options.importId ? "import" : "create"));
            continue;
        }
        const provider = providerUrn(r.options.provider);
        let forced: string[] = [];
        if (r.options.importId && r.options.importId !== (prev.options.importId ?? prev.id)) {
            // The engine imports anew, replacing what the state has.
            forced = ["import"];
        } else if (provider !== providerUrn(prev.options.provider) || (provider && replaced.has(provider))) {
            forced = ["provider"];
        }
        const changed = changedKeys(prev.inputs, r.inputs);
        if (r.custom && forced.length === 0) forced = replaceKeys(r.type, prev.inputs, r.inputs);
        if (forced.length > 0) {
            replaced.add(r.urn);
            steps.push(step(r, "replace", forced));
        } else {
            steps.push(step(r, changed.length > 0 ? "update" : "same", changed));
        }
    }
    for (const prev of old.values()) {
        if (prev.read) continue;
        steps.push({ ...step(prev, "delete"), ...(prev.options.retainOnDelete ? { retain: true } : {}) });
    }
    return steps;
}

/** The stack after `pulumi up` of `run` on a stack deployed as `before`. */
export function applyUpdate(before: Deployment, run: ProgramRun): Deployment {
    const declared = run.resources.filter(r => !r.read);
    const urns = new Set(declared.map(r => r.urn));
    const deleted = new Set(
        diffRun(before, run)
            .filter(s => s.op === "delete" && !s.retain)
            .map(s => s.urn),
    );
    return {
        state: declared,
        cloud: [...before.cloud.filter(r => !urns.has(r.urn) && !deleted.has(r.urn)), ...declared],
    };
}

/** The stack after `pulumi destroy`: nothing in the state; in the cloud, what it kept (`retainOnDelete`). */
export function applyDestroy(before: Deployment): Deployment {
    const managed = new Map(before.state.map(r => [r.urn, r]));
    return { state: [], cloud: before.cloud.filter(r => !managed.has(r.urn) || r.options.retainOnDelete) };
}

export interface StepCounts {
    same: number;
    create: number;
    update: number;
    replace: number;
    delete: number;
}

/** As `pulumi preview` sums them; reads are not changes (engine.HasChanges, pkg/engine/update.go). */
export function countSteps(steps: Step[]): StepCounts {
    const counts: StepCounts = { same: 0, create: 0, update: 0, replace: 0, delete: 0 };
    for (const s of steps) {
        if (s.op === "read") continue;
        counts[s.op === "import" ? "create" : s.op]++;
    }
    return counts;
}

export function hasChanges(steps: Step[]): boolean {
    const { create, update, replace, delete: deletes } = countSteps(steps);
    return create + update + replace + deletes > 0;
}

export function summaryLine(steps: Step[]): string {
    const n = countSteps(steps);
    return (
        `second run: ${n.same} unchanged, ${n.create} to create, ${n.update} to update, ` +
        `${n.replace} to replace, ${n.delete} to delete`
    );
}

/** One line per step: the operation, the type, the name, and why, as `pulumi preview` lists them. */
export function stepLines(steps: Step[]): string[] {
    const width = Math.max(0, ...steps.map(s => s.type.length));
    return steps.map(s => {
        const why = s.retain ? " [retain]" : s.keys.length > 0 ? ` [${s.keys.join(", ")}]` : "";
        return `${s.op.padEnd(7)}  ${s.type.padEnd(width)}  ${s.name}${why}`.trimEnd();
    });
}
