// `npm run plan -- [--stack NAME] [--cluster FILE] [--out DIR] [--policy-pack-config FILE] [--rerun
// [--expect-no-changes]]`: what a stack would create, with no cloud account. Runs index.ts under the
// SDK's mocks against a described fake cluster, writes every resource, Kubernetes manifest, Helm
// release and IAM document and what each GPU pool can cost, validates the Karpenter objects against
// the v1 CRDs and runs the policy pack over the whole stack. With --rerun, runs the stack again
// against the cloud as that update would leave it and prints what a second update would do
// (docs/rerun.md).
// First, before anything loads @pulumi/pulumi.
import "./defer-sdk-internals";
import { mkdirSync, rmSync, writeFileSync } from "fs";
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
import { DEFAULT_CLUSTER_FILE, FakeClusterError, loadFakeCluster } from "./fake-cluster";
import { SchemaError, validateKarpenterObject } from "./karpenter-schema";
import { PolicyPackConfigError, loadPolicyPackConfig } from "./policy-pack-config";
import {
    type Deployment,
    NEW_STACK,
    type Step,
    applyUpdate,
    diffRun,
    hasChanges,
    stepLines,
    summaryLine,
} from "./rerun";
import { ProgramFailure, ProgramRun, RecordedResource } from "./run-program";
import { PROJECT_DIR, StackFileError, runStack, stackConfig } from "./stack";

export const EXIT_OK = 0;
export const EXIT_POLICY = 1;
export const EXIT_INPUT = 2;

export interface PlanOptions {
    stack: string;
    clusterFile: string;
    outDir: string;
    /** `--policy-pack-config`, as pulumi preview takes it. */
    policyPackConfig?: string;
    /** `--rerun`: plan a second update against the cloud as the first leaves it. */
    rerun?: boolean;
    /** `--expect-no-changes` (pulumi preview's flag): fail when the second update would change anything. */
    expectNoChanges?: boolean;
}

export class UsageError extends Error {}

const USAGE =
    "usage: npm run plan -- [--stack NAME] [--cluster FILE] [--out DIR] [--policy-pack-config FILE] [--rerun [--expect-no-changes]]";

export function parsePlanArgs(argv: string[], cwd = process.cwd()): PlanOptions {
    const options: Partial<PlanOptions> = {};
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        if (flag === "--rerun") {
            options.rerun = true;
            continue;
        }
        if (flag === "--expect-no-changes") {
            options.expectNoChanges = true;
            continue;
        }
        const key = (
            {
                "--stack": "stack",
                "--cluster": "clusterFile",
                "--out": "outDir",
                "--policy-pack-config": "policyPackConfig",
            } as const
        )[flag as "--stack"];
        if (!key) throw new UsageError(`unknown argument ${JSON.stringify(flag)}\n${USAGE}`);
        if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value\n${USAGE}`);
        options[key] = value;
        i++;
    }
    if (options.expectNoChanges && !options.rerun) {
        throw new UsageError(
            `--expect-no-changes applies to the second run (a first run creates everything); add --rerun\n${USAGE}`,
        );
    }
    const stack = options.stack ?? "dev";
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)} is not a stack name`);
    const outDir = path.resolve(cwd, options.outDir ?? path.join(PROJECT_DIR, "plan", stack));
    const fromOut = path.relative(outDir, PROJECT_DIR);
    if (!fromOut.startsWith("..") && !path.isAbsolute(fromOut)) {
        throw new UsageError(
            `--out ${options.outDir}: the plan replaces that folder, and the project is inside it; name a folder of its own`,
        );
    }
    return {
        stack,
        clusterFile: options.clusterFile ? path.resolve(cwd, options.clusterFile) : DEFAULT_CLUSTER_FILE,
        outDir,
        ...(options.policyPackConfig ? { policyPackConfig: path.resolve(cwd, options.policyPackConfig) } : {}),
        ...(options.rerun ? { rerun: true } : {}),
        ...(options.expectNoChanges ? { expectNoChanges: true } : {}),
    };
}

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

export async function plan(options: PlanOptions): Promise<PlanResult> {
    const lines: string[] = [];
    let run;
    let policyConfig: PolicyPackConfig = {};
    let runAgain: ((cloud: Deployment["cloud"]) => Promise<ProgramRun>) | undefined;
    try {
        if (options.policyPackConfig) policyConfig = loadPolicyPackConfig(options.policyPackConfig);
        const fake = loadFakeCluster(options.clusterFile);
        const config = stackConfig(options.stack);
        run = await runStack(options.stack, config, fake);
        runAgain = cloud => runStack(options.stack, config, fake, cloud);
    } catch (e) {
        const cause = e instanceof ProgramFailure ? e.cause : e;
        if (
            cause instanceof GpuKarpenterConfigError ||
            cause instanceof StackFileError ||
            cause instanceof FakeClusterError ||
            cause instanceof PolicyPackConfigError
        ) {
            return { exitCode: EXIT_INPUT, lines: [`error: ${cause.message}`] };
        }
        throw cause;
    }

    const objects = run.resources.map(kubernetesObject).filter((o): o is KubernetesObject => o !== undefined);
    const schemaErrors: SchemaError[] = objects
        .filter(o => o.kind === "NodePool" || o.kind === "EC2NodeClass")
        .flatMap(o => validateKarpenterObject(o));
    const engineResources = asEngineResources(run.resources);
    const violations: Violation[] = evaluateResources(engineResources, policyConfig);
    const cost = costReport(objects, run.region);

    writePlan(options.outDir, run.resources, objects, cost);

    const counts = new Map<string, number>();
    for (const r of run.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    lines.push(`stack ${options.stack}: ${run.resources.length} resources`);
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
        lines.push("", "Karpenter v1 schema errors:");
        for (const e of schemaErrors) lines.push(`  ${e.object} ${e.field}: ${e.reason}`);
    }
    lines.push(
        "",
        `Wrote ${path.relative(process.cwd(), options.outDir) || "."}/: resources.json, cost.json, manifests/, helm/, iam/`,
    );
    let failed = schemaErrors.length > 0 || violations.some(v => v.enforcement === "mandatory");
    if (options.rerun && runAgain) {
        const deployed = applyUpdate(NEW_STACK, run);
        let outcome: Step[] | Error;
        try {
            outcome = diffRun(deployed, await runAgain(deployed.cloud));
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

/** Replaces whatever an earlier plan left in `outDir`. */
function writePlan(outDir: string, resources: RecordedResource[], objects: KubernetesObject[], cost: CostReport): void {
    rmSync(outDir, { recursive: true, force: true });
    for (const dir of ["manifests", "helm", "iam"]) mkdirSync(path.join(outDir, dir), { recursive: true });

    writeFileSync(
        path.join(outDir, "resources.json"),
        JSON.stringify(
            resources.map(r => ({
                urn: r.urn,
                type: r.type,
                name: r.name,
                parent: r.parent ?? null,
                dependencies: r.dependencies,
                inputs: r.inputs,
            })),
            null,
            2,
        ) + "\n",
    );
    writeFileSync(path.join(outDir, "cost.json"), JSON.stringify(cost, null, 2) + "\n");

    for (const o of objects) {
        writeFileSync(
            path.join(outDir, "manifests", `${fileName(o.kind, o.metadata.namespace, o.metadata.name)}.yaml`),
            toYaml(o),
        );
    }

    for (const r of resources.filter(r => r.type === HELM_RELEASE_TYPE)) {
        const i = r.inputs as any;
        writeFileSync(
            path.join(outDir, "helm", `${fileName(i.name ?? r.name)}.yaml`),
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
        const dir = path.join(outDir, "iam", fileName(role.name));
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, "trust-policy.json"), pretty(role.inputs.assumeRolePolicy));
        const managed: string[] = [];
        for (const r of resources.filter(r => r.dependencies.includes(role.urn))) {
            if (r.type === "aws:iam/rolePolicy:RolePolicy") {
                writeFileSync(path.join(dir, `inline-${fileName(r.name)}.json`), pretty(r.inputs.policy));
            } else if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
                const policy = r.dependencies.map(u => byUrn.get(u)).find(p => p?.type === "aws:iam/policy:Policy");
                if (policy)
                    writeFileSync(path.join(dir, `${fileName(policy.name)}.json`), pretty(policy.inputs.policy));
                else managed.push(String(r.inputs.policyArn));
            }
        }
        writeFileSync(path.join(dir, "managed-policies.json"), JSON.stringify(managed.sort(), null, 2) + "\n");
    }
}

export async function main(argv: string[]): Promise<number> {
    let options: PlanOptions;
    try {
        options = parsePlanArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`error: ${e.message}\n`);
        return EXIT_INPUT;
    }
    const result = await plan(options);
    const out = result.exitCode === EXIT_INPUT ? process.stderr : process.stdout;
    out.write(result.lines.join("\n") + "\n");
    return result.exitCode;
}
