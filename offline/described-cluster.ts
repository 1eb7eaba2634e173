// What the plan says about the made-up cluster it ran against: which description, what in the
// plan's files comes from it, and what in the stack the description cannot confirm. A name the
// stack gives that the description does not have is an error against that description.
import * as path from "path";
import type { FakeCluster } from "./fake-cluster";
import { DEFAULT_CLUSTER_FILE } from "./fake-cluster";
import type { RecordedResource } from "./run-program";
import { HELM_RELEASE_TYPE } from "../policies/karpenter";
import { EC2NODECLASS_TYPE } from "../policies/nodepool";

/** How the default description is named to users: its source, not the compiled copy the plan may read. */
const DEFAULT_CLUSTER_NAME = "offline/default-cluster.json";

export const NODE_GROUP_LABEL = "eks.amazonaws.com/nodegroup";

const CREATED_CLUSTER_TYPES = ["aws:eks/cluster:Cluster", "eks:index:Cluster"];
const CREATED_NODE_GROUP_TYPES = ["aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup"];

export interface DescribedClusterReport {
    /** The description's file, as the user named it (or the default's path in the project). */
    file: string;
    isDefault: boolean;
    /** Stack settings the description contradicts: the plan stops on them. */
    errors: string[];
    /** Stack settings it cannot confirm. */
    unconfirmed: string[];
}

/** The node groups the controller is pinned to (`controller.nodeGroup`), from the Karpenter release's values. */
function controllerNodeGroups(resources: RecordedResource[]): string[] {
    return resources
        .filter(r => r.type === HELM_RELEASE_TYPE && String((r.inputs as any).chart ?? "").endsWith("/karpenter"))
        .flatMap(
            r =>
                (r.inputs as any).values?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
                    ?.nodeSelectorTerms ?? [],
        )
        .flatMap((term: any) => term.matchExpressions ?? [])
        .filter((e: any) => e.key === NODE_GROUP_LABEL && e.operator === "In")
        .flatMap((e: any) => e.values as string[]);
}

function selectorIds(resources: RecordedResource[], field: string): string[] {
    const ids = resources
        .filter(r => r.type === EC2NODECLASS_TYPE)
        .flatMap(r => ((r.inputs as any).spec?.[field] ?? []) as { id?: string }[])
        .map(term => term.id)
        .filter((id): id is string => typeof id === "string");
    return [...new Set(ids)];
}

/**
 * Checks the run against the description it ran with (`clusterFile`): a `controller.nodeGroup` the
 * described cluster does not have is an error (Karpenter's pods would never schedule); a cluster
 * name, subnet or security group it cannot vouch for is listed as unconfirmed.
 */
export function checkAgainstDescription(
    resources: RecordedResource[],
    fake: FakeCluster,
    clusterFile: string,
    cwd = process.cwd(),
): DescribedClusterReport {
    const isDefault = clusterFile === DEFAULT_CLUSTER_FILE;
    const file = isDefault ? DEFAULT_CLUSTER_NAME : path.relative(cwd, clusterFile);
    const errors: string[] = [];
    const unconfirmed: string[] = [];
    const created = (types: string[]) => resources.filter(r => types.includes(r.type));
    const c = fake.cluster;

    const createdGroups = created(CREATED_NODE_GROUP_TYPES).map(r => String((r.inputs as any).nodeGroupName));
    const described = c.nodeGroups.map(g => g.name);
    for (const group of controllerNodeGroups(resources)) {
        if (createdGroups.includes(group) || described.includes(group)) continue;
        errors.push(
            `gpu-karpenter:controller.nodeGroup: ${JSON.stringify(group)} is not a node group of the described ` +
                `cluster (${file}), which has ${described.length > 0 ? described.join(", ") : "none"}; Karpenter's ` +
                `pods would never be scheduled. Name one of those, or describe your cluster's node groups in a ` +
                `file for --cluster (${JSON.stringify({ cluster: { nodeGroups: [{ name: group, subnetIds: ["subnet-..."] }] } })}).`,
        );
    }

    if (created(CREATED_CLUSTER_TYPES).length === 0) {
        if (!c.name) {
            const names = resources
                .filter(r => r.type === HELM_RELEASE_TYPE)
                .map(r => (r.inputs as any).values?.settings?.clusterName)
                .filter((n): n is string => typeof n === "string");
            const shown = names.length > 0 ? ` ${JSON.stringify(names[0])}` : "";
            unconfirmed.push(
                `clusterName${shown}: the description names no cluster, so every name is found (set cluster.name in it to check)`,
            );
        }
        const knownSubnets = new Set([...c.nodeGroups.flatMap(g => g.subnetIds), ...Object.keys(fake.resourceTags)]);
        const subnets = selectorIds(resources, "subnetSelectorTerms").filter(id => !knownSubnets.has(id));
        if (subnets.length > 0) {
            unconfirmed.push(`subnets ${subnets.join(", ")}: not in the description, used as given`);
        }
        const knownGroups = new Set([c.clusterSecurityGroupId, ...Object.keys(fake.resourceTags)]);
        const groups = selectorIds(resources, "securityGroupSelectorTerms").filter(id => !knownGroups.has(id));
        if (groups.length > 0) {
            unconfirmed.push(`security groups ${groups.join(", ")}: not in the description, used as given`);
        }
    }
    return { file, isDefault, errors, unconfirmed };
}

/** The lines the plan prints first, and records in plan.json. */
export function describedClusterLines(report: DescribedClusterReport, fake: FakeCluster): string[] {
    const groups = fake.cluster.nodeGroups.map(g => g.name).join(", ") || "none";
    return [
        `Planned offline against a made-up cluster described by ${report.file}` +
            (report.isDefault ? " (the default; --cluster FILE describes yours)" : ""),
        `  account ${fake.accountId}, Kubernetes ${fake.cluster.version}, ${fake.cluster.authenticationMode} ` +
            `authentication, node groups ${groups}`,
        `  The ids, ARNs and names in the plan's files that AWS would assign or look up come from this description, not from your account.`,
        ...report.unconfirmed.map(u => `  Not confirmed by it: ${u}`),
    ];
}
