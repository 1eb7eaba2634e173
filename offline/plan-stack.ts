// What `npm run plan` does once its arguments are read (offline/plan.ts): runs index.ts under the
// SDK's mocks against a described fake cluster, writes every resource, Kubernetes manifest, Helm
// release and IAM document and what each GPU pool can cost, validates the Karpenter objects against
// the v1 CRDs and runs the policy pack over the whole stack; with --rerun, runs the stack again
// against the cloud as that update would leave it (docs/rerun.md). Loads the SDKs, so the command
// loads this only after its arguments are known to be good.
// First, before anything loads @pulumi/pulumi.
import "./defer-sdk-internals";
import * as path from "path";
import { GpuKarpenterConfigError } from "../components/checks";
import { toYaml } from "../components/yaml";
import { INSTANCE_FAMILY_LABEL, INSTANCE_TYPE_LABEL } from "../components/gpu";
import { describeImageArrival, imageArrivalOf } from "../components/image-pull";
import {
    CURRENCY,
    PRICE_SOURCE,
    formatHourly,
    priceBasis,
    priceRegionOf,
    roundCents,
    stackHourlyCeiling,
} from "../components/cost";
import { nodePoolCost } from "../policies/cost";
import { HELM_RELEASE_TYPE } from "../policies/karpenter";
import { capacityTypesOf, isGpuPool } from "../policies/nodepool";
import {
    type EngineResource,
    type PolicyPackConfig,
    evaluateResources,
    formatSummary,
    formatViolation,
    type Violation,
} from "../policies/rules";
import { checkAgainstDescription, describedClusterLines } from "./described-cluster";
import { type FakeCluster, FakeClusterError, loadFakeCluster } from "./fake-cluster";
import { KARPENTER_RELEASE, SchemaError, formatSchemaError, validateKarpenterObject } from "./karpenter-schema";
import { PLAN_MARKER, PlanFolderError, checkPlanFolder, writePlanFolder } from "./plan-folder";
import { EXIT_INPUT, EXIT_OK, EXIT_POLICY, type PlanOptions } from "./plan-usage";
import { PolicyPackConfigError, loadPolicyPackConfig } from "./policy-pack-config";
import { RegionError, type StackRegion, stackRegion } from "./region";
import { NEW_STACK, type Step, applyUpdate, diffRun, hasChanges, stepLines, summaryLine } from "./rerun";
import { ProgramFailure, RecordedResource } from "./run-program";
import { StackFileError, runStack, stackConfig } from "./stack";

interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [key: string]: unknown };
    [key: string]: unknown;
}

/** `kubernetes:karpenter.sh/v1:NodePool` -> apiVersion karpenter.sh/v1, kind NodePool; core types lose "core/". */
function kubernetesObject(r: RecordedResource): KubernetesObject | undefined {
    const m = /^kubernetes:([^:]+):(\w+)$/.exec(r.type);
    if (!m || r.read || m[1].startsWith("helm.sh/") || m[1].startsWith("yaml/") || !r.custom) return undefined;
    const apiVersion = m[1].replace(/^core\//, "");
    // A patch is applied as the object it patches.
    const kind = m[2].replace(/Patch$/, "");
    const { apiVersion: _a, kind: _k, ...body } = r.inputs;
    return { apiVersion, kind, ...body } as KubernetesObject;
}

function fileName(...parts: (string | undefined)[]): string {
    return parts
        .filter(Boolean)
        .join("-")
        .toLowerCase()
        .replace(/[^a-z0-9.-]+/g, "-");
}

function pretty(document: unknown): string {
    return JSON.stringify(typeof document === "string" ? JSON.parse(document) : document, null, 2) + "\n";
}

export interface GpuPoolRow {
    pool: string;
    capacityTypes: string;
    instances: string;
    gpuLimit: string;
    consolidation: string;
    amiAlias: string;
    rootVolume: string;
    /** How its nodes get their images: pull, parallel pull, snapshot. */
    images: string;
    hourlyCeiling: string;
}

/** plan/<stack>/cost.json */
export interface CostReport {
    currency: string;
    /** The stack's region. */
    region: string;
    /** Whose prices were used: the region's own, or us-east-1's when the table has none. */
    priceRegion: string;
    priceSource: string;
    pools: {
        pool: string;
        gpuLimit: number | null;
        hourlyCeiling: number | null;
        ceilingInstanceType: string | null;
        unpricedTypes: string[];
    }[];
    stackHourlyCeiling: number | null;
}

/** Each GPU pool's nominal worst-case hourly cost, by the computation the budget policies use. */
export function costReport(objects: KubernetesObject[], region: string): CostReport {
    const pools = objects.filter(o => o.kind === "NodePool" && isGpuPool(o) === true);
    const costs = pools.map(o => nodePoolCost(o, region)!.cost);
    // The sum of the exact ceilings, rounded once, not of the rounded ones.
    const total = stackHourlyCeiling(costs);
    return {
        currency: CURRENCY,
        region,
        priceRegion: priceRegionOf(region),
        priceSource: PRICE_SOURCE,
        pools: costs.map((cost, i) => ({
            pool: pools[i].metadata.name,
            gpuLimit: cost.gpuLimit ?? null,
            hourlyCeiling: cost.hourlyCeiling === null ? null : roundCents(cost.hourlyCeiling),
            ceilingInstanceType: cost.ceilingInstanceType,
            unpricedTypes: cost.unpricedTypes,
        })),
        stackHourlyCeiling: total === null ? null : roundCents(total),
    };
}

export function gpuPoolRows(objects: KubernetesObject[], cost: CostReport): GpuPoolRow[] {
    const nodeClasses = new Map(objects.filter(o => o.kind === "EC2NodeClass").map(o => [o.metadata.name, o as any]));
    return objects
        .filter(o => o.kind === "NodePool")
        .map((o: any) => {
            const requirements: any[] = o.spec?.template?.spec?.requirements ?? [];
            const values = (key: string) => requirements.find(r => r.key === key)?.values?.join(",");
            const nodeClass = nodeClasses.get(o.spec?.template?.spec?.nodeClassRef?.name)?.spec ?? {};
            const volumes: any[] = nodeClass.blockDeviceMappings ?? [];
            return {
                pool: o.metadata.name,
                // As the policies read them: no capacity-type requirement means on-demand.
                capacityTypes: capacityTypesOf(o)?.admitted.join(",") ?? "-",
                instances: values(INSTANCE_FAMILY_LABEL) ?? values(INSTANCE_TYPE_LABEL) ?? "any",
                gpuLimit: String(o.spec?.limits?.["nvidia.com/gpu"] ?? "none"),
                consolidation: `${o.spec?.disruption?.consolidationPolicy ?? "-"} after ${o.spec?.disruption?.consolidateAfter ?? "-"}`,
                amiAlias:
                    (nodeClass.amiSelectorTerms ?? []).map((t: any) => t.alias ?? t.id ?? "custom").join(",") || "-",
                rootVolume: (volumes.find(v => v.rootVolume) ?? volumes[volumes.length - 1])?.ebs?.volumeSize ?? "-",
                images: imagesCell(nodeClass),
                hourlyCeiling: ceilingCell(cost.pools.find(p => p.pool === o.metadata.name)),
            };
        });
}

/** How the pool's nodes get their images, with the snapshot's initialization rate. */
function imagesCell(nodeClassSpec: any): string {
    const arrival = imageArrivalOf(nodeClassSpec);
    if (!arrival) return "-";
    const rate = (nodeClassSpec.blockDeviceMappings ?? []).find((m: any) => m.ebs?.snapshotID)?.ebs
        ?.volumeInitializationRate;
    const described = describeImageArrival(arrival);
    return rate === undefined ? described : described.replace("snapshot", `snapshot@${rate}MiB/s`);
}

function ceilingCell(pool: CostReport["pools"][number] | undefined): string {
    if (!pool) return "-";
    if (pool.hourlyCeiling === null) return "unknown";
    return pool.ceilingInstanceType
        ? `${pool.hourlyCeiling.toFixed(2)} (${pool.ceilingInstanceType})`
        : pool.hourlyCeiling.toFixed(2);
}

/** The stack total line, and which types were left out for want of a price. */
function costLines(cost: CostReport): string[] {
    const basis = priceBasis({ region: cost.region, priceRegion: cost.priceRegion });
    const known = cost.pools.filter(p => p.hourlyCeiling !== null);
    const lines = [
        cost.stackHourlyCeiling !== null
            ? `stack total: ${formatHourly(cost.stackHourlyCeiling)} at most (nominal), at ${basis}`
            : `stack total: unknown (${cost.pools
                  .filter(p => p.hourlyCeiling === null)
                  .map(p => p.pool)
                  .join(", ")} ` +
              `${known.length > 0 ? `unknown; the rest ${formatHourly(known.reduce((s, p) => s + p.hourlyCeiling!, 0))} at most` : "unknown"}), at ${basis}`,
    ];
    for (const p of cost.pools.filter(p => p.unpricedTypes.length > 0)) {
        lines.push(
            `${p.pool}: no ${cost.priceRegion} price for ${p.unpricedTypes.join(", ")}, left out of its ceiling`,
        );
    }
    return lines;
}

function table(rows: Record<string, string>[], headings: Record<string, string>): string[] {
    const keys = Object.keys(headings);
    const widths = keys.map(k => Math.max(headings[k].length, ...rows.map(r => r[k].length)));
    const line = (r: Record<string, string>) =>
        keys
            .map((k, i) => r[k].padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [line(headings), ...rows.map(line)];
}

/** Recorded resources as the policy engine sees them: type token, name, inputs as props. */
export function asEngineResources(resources: RecordedResource[]): EngineResource[] {
    return resources.map(r => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
}

export interface PlanResult {
    exitCode: number;
    lines: string[];
}

/** `--out` as the user wrote it, for messages: relative to where they are. */
const shownFolder = (dir: string) => path.relative(process.cwd(), dir) || ".";

export async function plan(options: PlanOptions): Promise<PlanResult> {
    const lines: string[] = [];
    const shownOut = shownFolder(options.outDir);
    let run;
    let config: Record<string, string>;
    let region: StackRegion;
    let fake: FakeCluster;
    let policyConfig: PolicyPackConfig = {};
    try {
        fake = loadFakeCluster(options.clusterFile);
        checkPlanFolder(options.outDir, shownOut);
        if (options.policyPackConfig) policyConfig = loadPolicyPackConfig(options.policyPackConfig);
        config = stackConfig(options.stack);
        region = stackRegion(config);
        run = await runStack(options.stack, config, fake, undefined, region.region);
    } catch (e) {
        const cause = e instanceof ProgramFailure ? e.cause : e;
        if (
            cause instanceof GpuKarpenterConfigError ||
            cause instanceof StackFileError ||
            cause instanceof FakeClusterError ||
            cause instanceof PolicyPackConfigError ||
            cause instanceof RegionError ||
            cause instanceof PlanFolderError
        ) {
            return { exitCode: EXIT_INPUT, lines: [`error: ${cause.message}`] };
        }
        throw cause;
    }
    const described = checkAgainstDescription(run.resources, fake, options.clusterFile);
    if (described.errors.length > 0) {
        return { exitCode: EXIT_INPUT, lines: described.errors.map(e => `error: ${e}`) };
    }

    const objects = run.resources.map(kubernetesObject).filter((o): o is KubernetesObject => o !== undefined);
    const schemaErrors: SchemaError[] = objects
        .filter(o => o.kind === "NodePool" || o.kind === "EC2NodeClass")
        .flatMap(o => validateKarpenterObject(o));
    const engineResources = asEngineResources(run.resources);
    const violations: Violation[] = evaluateResources(engineResources, policyConfig);
    const cost = costReport(objects, run.region);

    const header = describedClusterLines(described, fake);
    try {
        writePlanFolder(options.outDir, shownOut, planFiles(run.resources, objects, cost, header), {
            stack: options.stack,
            region: { name: region.region, from: region.from },
            describedCluster: {
                file: described.file,
                default: described.isDefault,
                note: header.map(l => l.trim()),
                description: fake,
            },
        });
    } catch (e) {
        if (!(e instanceof PlanFolderError)) throw e;
        return { exitCode: EXIT_INPUT, lines: [`error: ${e.message}`] };
    }

    lines.push(...header, "");
    const counts = new Map<string, number>();
    for (const r of run.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    lines.push(`stack ${options.stack}: ${run.resources.length} resources in ${region.region} (${region.from})`);
    for (const [type, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
        lines.push(`  ${String(count).padStart(3)}  ${type}`);
    }
    lines.push("", "GPU pools:");
    lines.push(
        ...table(gpuPoolRows(objects, cost) as unknown as Record<string, string>[], {
            pool: "POOL",
            capacityTypes: "CAPACITY",
            instances: "INSTANCES",
            gpuLimit: "GPU LIMIT",
            consolidation: "CONSOLIDATION",
            amiAlias: "AMI",
            rootVolume: "ROOT VOLUME",
            images: "IMAGES",
            hourlyCeiling: "$/H CEILING",
        }).map(l => `  ${l}`),
    );
    lines.push(...costLines(cost).map(l => `  ${l}`));
    if (run.warnings.length > 0) {
        lines.push("", "Warnings:", ...run.warnings.map(w => `  ${w}`));
    }
    lines.push("", "Policies:");
    for (const v of violations) lines.push(`  ${formatViolation(v)}`);
    lines.push(`  ${formatSummary(violations, engineResources.length)}`);
    if (schemaErrors.length > 0) {
        lines.push("", `${KARPENTER_RELEASE} schema errors:`);
        for (const e of schemaErrors) lines.push(`  ${formatSchemaError(e)}`);
    }
    lines.push("", `Wrote ${shownOut}/: ${PLAN_MARKER}, resources.json, cost.json, manifests/, helm/, iam/`);
    let failed = schemaErrors.length > 0 || violations.some(v => v.enforcement === "mandatory");
    if (options.rerun) {
        const deployed = applyUpdate(NEW_STACK, run);
        let outcome: Step[] | Error;
        try {
            outcome = diffRun(deployed, await runStack(options.stack, config, fake, deployed.cloud, region.region));
        } catch (e) {
            const cause = e instanceof ProgramFailure ? e.cause : e;
            outcome = cause instanceof Error ? cause : new Error(String(cause));
        }
        const report = secondRunReport(outcome, options.expectNoChanges);
        lines.push(...report.lines);
        failed ||= report.failed;
    }
    return { exitCode: failed ? EXIT_POLICY : EXIT_OK, lines };
}

/**
 * The second run's part of the plan: each step, then one summary line; or why the run stopped, which
 * fails the plan (a second `pulumi up` that stops is no better than one that changes things).
 * `expectNoChanges` fails it on any change, as `pulumi preview --expect-no-changes` does.
 */
export function secondRunReport(
    outcome: Step[] | Error,
    expectNoChanges = false,
): { lines: string[]; failed: boolean } {
    const lines = ["", "Second run, against the cloud as this update would leave it:"];
    if (outcome instanceof Error) return { lines: [...lines, `second run: fails: ${outcome.message}`], failed: true };
    return {
        lines: [...lines, ...stepLines(outcome).map(l => `  ${l}`), summaryLine(outcome)],
        failed: expectNoChanges && hasChanges(outcome),
    };
}

/** Each file of the plan, by its path in the folder; YAML files start with `header` as comments. */
function planFiles(
    resources: RecordedResource[],
    objects: KubernetesObject[],
    cost: CostReport,
    header: string[],
): Map<string, string> {
    const files = new Map<string, string>();
    const comment = header.map(l => `# ${l.trim()}`).join("\n") + "\n";
    const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

    files.set(
        "resources.json",
        json(
            resources.map(r => ({
                urn: r.urn,
                type: r.type,
                name: r.name,
                parent: r.parent ?? null,
                dependencies: r.dependencies,
                inputs: r.inputs,
            })),
        ),
    );
    files.set("cost.json", json(cost));

    for (const o of objects) {
        files.set(`manifests/${fileName(o.kind, o.metadata.namespace, o.metadata.name)}.yaml`, comment + toYaml(o));
    }

    for (const r of resources.filter(r => r.type === HELM_RELEASE_TYPE)) {
        const i = r.inputs as any;
        files.set(
            `helm/${fileName(i.name ?? r.name)}.yaml`,
            comment +
                toYaml({
                    release: i.name ?? r.name,
                    chart: i.chart,
                    repository:
                        i.repositoryOpts?.repo ??
                        (String(i.chart).startsWith("oci://") ? path.posix.dirname(i.chart) : null),
                    version: i.version,
                    namespace: i.namespace ?? "default",
                    skipCrds: i.skipCrds ?? false,
                    values: i.values ?? {},
                }),
        );
    }

    const byUrn = new Map(resources.map(r => [r.urn, r]));
    for (const role of resources.filter(r => r.type === "aws:iam/role:Role")) {
        const dir = `iam/${fileName(role.name)}`;
        files.set(`${dir}/trust-policy.json`, pretty(role.inputs.assumeRolePolicy));
        const managed: string[] = [];
        for (const r of resources.filter(r => r.dependencies.includes(role.urn))) {
            if (r.type === "aws:iam/rolePolicy:RolePolicy") {
                files.set(`${dir}/inline-${fileName(r.name)}.json`, pretty(r.inputs.policy));
            } else if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
                const policy = r.dependencies.map(u => byUrn.get(u)).find(p => p?.type === "aws:iam/policy:Policy");
                if (policy) files.set(`${dir}/${fileName(policy.name)}.json`, pretty(policy.inputs.policy));
                else managed.push(String(r.inputs.policyArn));
            }
        }
        files.set(`${dir}/managed-policies.json`, json(managed.sort()));
    }
    return files;
}
