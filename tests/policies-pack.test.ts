// The packed policy pack, `npm install`ed into a folder outside this repository and started exactly
// as the engine starts it (offline/policy-pack.ts says how, citing pulumi/pulumi), spoken to over
// the Analyzer protocol with the stubs @pulumi/pulumi ships (proto/analyzer_grpc_pb.js). The test
// plays the engine: it hands the pack what the language host's proxy would (ConfigureStack), reads
// GetPluginInfo and GetAnalyzerInfo, reconciles and validates the policy config against the schemas
// the pack declares (pkg/resource/analyzer/config.go) and calls Configure, then Remediate and
// Analyze for each resource's inputs (pkg/resource/deploy/step_generator.go) and one AnalyzeStack
// over all of them, unknown values sent as the engine's sentinel string
// (sdk/go/common/resource/plugin/rpc.go, MarshalProperties with KeepUnknowns).
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PolicyInfo, validatePolicyPackConfig } from "../policies/policy-config";
import { UNKNOWN, policies as sourcePolicies } from "../policies/rules";
import {
    DEV_PREVIEW,
    PACK_NAME,
    POLICIES_DIR,
    RunningPack,
    installPolicyPack,
    packPolicyPack,
    startPolicyPack,
} from "../offline/policy-pack";
import type { RecordedResource } from "../offline/run-program";
import { run } from "./helpers";
import { AUTO_MODE_CLASS, type PoolSpec, autoModePool, nodePool as gpuPool, req } from "./policy-resources";

// policies/build.js is plain JavaScript (npm runs it with node alone).
const { buildPack } = require("../policies/build") as {
    buildPack: (options?: { entry?: string; outfile?: string }) => {
        inputs: Record<string, unknown>;
        outputs: Record<string, { imports: { path: string }[] }>;
    };
};

// The engine's side of the wire, from the SDK this repository depends on.
const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (id: string) => require(require.resolve(id, { paths: [PULUMI_DIR] }));
const grpc = fromPulumi("@grpc/grpc-js");
const analyzerRpc = fromPulumi("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = fromPulumi("@pulumi/pulumi/proto/analyzer_pb");
const engineRpc = fromPulumi("@pulumi/pulumi/proto/engine_grpc_pb");
const { LogSeverity } = fromPulumi("@pulumi/pulumi/proto/engine_pb");
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb");

const LEVEL_NAMES: Record<number, string> = Object.fromEntries(
    Object.entries(analyzerPb.EnforcementLevel as Record<string, number>).map(([name, n]) => [n, name.toLowerCase()]),
);
const LEVEL_NUMBERS: Record<string, number> = Object.fromEntries(
    Object.entries(LEVEL_NAMES).map(([n, name]) => [name, Number(n)]),
);

const STACK = DEV_PREVIEW;
const urnOf = (type: string, name: string) => `urn:pulumi:${STACK.stack}::${STACK.project}::${type}::${name}`;

type Client = Record<string, (request: unknown, callback: (error: Error | null, response: any) => void) => void>;
const call = (client: Client, method: string, request: unknown): Promise<any> =>
    new Promise((resolve, reject) =>
        client[method](request, (error, response) => (error ? reject(error) : resolve(response))),
    );

/** The engine's AnalyzerResource: options are always sent (the policy SDK refuses a request without them). */
function analyzerResource<T>(
    message: T & Record<string, any>,
    r: { urn: string; type: string; name: string; props: unknown },
): T {
    message.setUrn(r.urn);
    message.setType(r.type);
    message.setName(r.name);
    message.setProperties(Struct.fromJavaScript(r.props));
    message.setOptions(new analyzerPb.AnalyzerResourceOptions());
    return message;
}

interface Diagnostic {
    policy: string;
    level: string;
    urn: string;
    message: string;
}

function diagnostics(response: any): Diagnostic[] {
    return response.getDiagnosticsList().map((d: any) => ({
        policy: d.getPolicyname(),
        level: LEVEL_NAMES[d.getEnforcementlevel()],
        urn: d.getUrn(),
        // The policy SDK reports "<description>\n<message>".
        message: d.getMessage().split("\n").slice(1).join("\n"),
    }));
}

/** A GPU pool, self-managed or Auto Mode by its NodeClass group, named for itself on the wire. */
function nodePool(name: string, nodeClassGroup: string, requirements: unknown, rest: PoolSpec = {}) {
    const pool = nodeClassGroup === AUTO_MODE_CLASS.group ? autoModePool : gpuPool;
    const { type, props } = pool(name, { requirements, ...rest });
    return { urn: urnOf(type, name), type, name, props };
}

describe("policies: the packed pack, installed outside the repository and run as the engine runs it", function () {
    const work = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-pack-"));
    let engine: any;
    const engineLogs: { severity: number; message: string }[] = [];
    let pack: RunningPack;
    let client: Client & { close(): void };
    let packDir: string;
    let tarball: string;
    let infos: PolicyInfo[];

    before(async function () {
        // A first run installs the pack's dependencies from the npm cache (about 15 s); later runs copy them.
        this.timeout(240_000);
        tarball = packPolicyPack(work);
        packDir = installPolicyPack(tarball, work);

        // The engine address the pack is given; served on the loopback only.
        engine = new grpc.Server();
        engine.addService(engineRpc.EngineService, {
            log: (c: any, callback: any) => {
                engineLogs.push({ severity: c.request.getSeverity(), message: c.request.getMessage() });
                callback(null, new Empty());
            },
        });
        const enginePort: number = await new Promise((resolve, reject) =>
            engine.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e: Error | null, port: number) =>
                e ? reject(e) : resolve(port),
            ),
        );

        pack = await startPolicyPack(packDir, `127.0.0.1:${enginePort}`, STACK);
        client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure());

        // What the language host's proxy forwards once the pack has printed its port.
        const configureStack = new analyzerPb.AnalyzerStackConfigureRequest();
        configureStack.setOrganization(STACK.organization);
        configureStack.setProject(STACK.project);
        configureStack.setStack(STACK.stack);
        configureStack.setDryRun(STACK.dryRun);
        for (const [k, v] of Object.entries(STACK.config)) configureStack.getConfigMap().set(k, v);
        await call(client, "configureStack", configureStack);
    });

    after(async () => {
        client?.close();
        await pack?.stop();
        engine?.forceShutdown();
        rmSync(work, { recursive: true, force: true });
    });

    it("ships only its own files: the bundle, its map, PulumiPolicy.yaml, the build guard, package.json, README", () => {
        const listed = require("child_process")
            .execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
            .trim()
            .split("\n")
            .sort();
        expect(listed).to.deep.equal([
            "package/PulumiPolicy.yaml",
            "package/README.md",
            "package/bin/index.js",
            "package/bin/index.js.map",
            "package/build.js",
            "package/package.json",
        ]);
        const manifest = JSON.parse(readFileSync(path.join(packDir, "package.json"), "utf8"));
        expect(manifest).to.include({ name: PACK_NAME, main: "bin/index.js" });
        expect(manifest.version).to.match(/^\d+\.\d+\.\d+$/);
        expect(path.relative(POLICIES_DIR, packDir)).to.match(/^\.\./, "installed outside the repository");
    });

    it("has nothing to build once installed: npm's prepare leaves the shipped bundle as it is", () => {
        const before = readFileSync(path.join(packDir, "bin", "index.js"), "utf8");
        require("child_process").execFileSync("npm", ["run", "prepare", "--silent"], { cwd: packDir, stdio: "pipe" });
        expect(readFileSync(path.join(packDir, "bin", "index.js"), "utf8")).to.equal(before);
    });

    it("serves the policies of these sources, with their config schemas, under its package name and version", async () => {
        const info = await call(client, "getAnalyzerInfo", new Empty());
        expect(info.getName()).to.equal(PACK_NAME);
        expect(info.getVersion()).to.equal(
            JSON.parse(readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8")).version,
        );
        expect(info.getSupportsconfig()).to.equal(true);
        infos = info.getPoliciesList().map((p: any) => ({
            name: p.getName(),
            enforcementLevel: LEVEL_NAMES[p.getEnforcementlevel()],
            ...(p.getConfigschema()
                ? { configSchema: { properties: p.getConfigschema().getProperties().toJavaScript() } }
                : {}),
        }));
        expect(infos).to.deep.equal(
            sourcePolicies.map(p => ({
                name: p.name,
                enforcementLevel: p.enforcementLevel,
                ...(p.configSchema ? { configSchema: p.configSchema } : {}),
            })),
        );
        const plugin = await call(client, "getPluginInfo", new Empty());
        const installedPolicySdk = JSON.parse(
            readFileSync(require.resolve("@pulumi/policy/package.json", { paths: [packDir] }), "utf8"),
        );
        expect(plugin.getVersion().replace(/^v/, ""), "the installed @pulumi/policy's version").to.equal(
            installedPolicySdk.version.replace(/^v/, ""),
        );
    });

    it("refuses, like the engine, a config its schemas refuse: duplicates in allowedPolicies", () => {
        expect(
            validatePolicyPackConfig(
                { "gpu-nodepool-consolidation": { allowedPolicies: ["WhenEmpty", "WhenEmpty"] } },
                infos,
            ).problems,
        ).to.deep.equal([
            'gpu-nodepool-consolidation: allowedPolicies: lists "WhenEmpty" more than once, got ["WhenEmpty","WhenEmpty"] (The spec.disruption.consolidationPolicy values a GPU NodePool may use.)',
        ]);
    });

    describe("configured with allowedCapacityTypes [spot, reserved]", () => {
        before(async () => {
            const { config, problems } = validatePolicyPackConfig(
                { "gpu-nodepool-spot-only": { allowedCapacityTypes: ["spot", "reserved"] } },
                infos,
            );
            expect(problems).to.deep.equal([]);
            const request = new analyzerPb.ConfigureAnalyzerRequest();
            for (const [name, entry] of Object.entries(config)) {
                const { enforcementLevel, ...properties } = entry as Record<string, unknown>;
                const policyConfig = new analyzerPb.PolicyConfig();
                policyConfig.setEnforcementlevel(LEVEL_NUMBERS[enforcementLevel as string]);
                policyConfig.setProperties(Struct.fromJavaScript(properties));
                request.getPolicyconfigMap().set(name, policyConfig);
            }
            await call(client, "configure", request);
        });

        /** Remediate, then Analyze, as the step generator does for each resource it registers. */
        async function analyze(r: { urn: string; type: string; name: string; props: unknown }): Promise<Diagnostic[]> {
            const remediation = await call(client, "remediate", analyzerResource(new analyzerPb.AnalyzeRequest(), r));
            expect(remediation.getRemediationsList(), "no policy of this pack remediates").to.deep.equal([]);
            return diagnostics(await call(client, "analyze", analyzerResource(new analyzerPb.AnalyzeRequest(), r)));
        }

        it("judges NodePools, self-managed and EKS Auto Mode alike, with unknown values skipped", async () => {
            const pools = [
                nodePool("spot", "karpenter.k8s.aws", [
                    req("karpenter.sh/capacity-type", "In", "spot"),
                    req("karpenter.k8s.aws/instance-family", "In", "g5", "g6"),
                ]),
                nodePool("reserved", "karpenter.k8s.aws", [
                    req("karpenter.sh/capacity-type", "In", "reserved", "spot"),
                    req("node.kubernetes.io/instance-type", "In", "p5.48xlarge", "p5e.48xlarge"),
                ]),
                nodePool("on-demand", "karpenter.k8s.aws", [
                    req("karpenter.sh/capacity-type", "In", "on-demand"),
                    req("karpenter.k8s.aws/instance-family", "In", "g6e"),
                ]),
                // The Auto Mode pool: CPU only, on-demand. Nothing to say about it.
                nodePool(
                    "general-purpose",
                    "eks.amazonaws.com",
                    [
                        req("eks.amazonaws.com/instance-category", "In", "c", "m", "r"),
                        req("karpenter.sh/capacity-type", "In", "on-demand"),
                    ],
                    {
                        limits: { cpu: "1000" },
                        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s" },
                    },
                ),
                nodePool(
                    "auto-gpu",
                    "eks.amazonaws.com",
                    [
                        req("eks.amazonaws.com/instance-gpu-manufacturer", "In", "nvidia"),
                        req("karpenter.sh/capacity-type", "In", "spot", "on-demand"),
                    ],
                    { disruption: { consolidationPolicy: "Balanced", consolidateAfter: "5m" } },
                ),
                // During a preview: a computed capacity-type value and consolidateAfter; the limit is known and missing.
                nodePool(
                    "preview",
                    "karpenter.k8s.aws",
                    [
                        req("karpenter.sh/capacity-type", "In", UNKNOWN),
                        req("karpenter.k8s.aws/instance-family", "In", "g6"),
                    ],
                    { limits: {}, disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: UNKNOWN } },
                ),
            ];
            const verdicts: Record<string, string[]> = {};
            for (const pool of pools) {
                verdicts[pool.name] = (await analyze(pool)).map(d => `${d.policy} ${d.level}: ${d.message}`);
            }
            expect(verdicts).to.deep.equal({
                spot: [],
                reserved: [],
                "on-demand": [
                    'gpu-nodepool-spot-only mandatory: GPU NodePool "on-demand" admits on-demand capacity through its karpenter.sh/capacity-type requirement, so it can launch GPU nodes that are not spot or reserved. Fix: give it the requirement {key: karpenter.sh/capacity-type, operator: In, values: [spot, reserved]}.',
                ],
                "general-purpose": [],
                "auto-gpu": [
                    'gpu-nodepool-spot-only mandatory: GPU NodePool "auto-gpu" admits on-demand capacity through its karpenter.sh/capacity-type requirement, so it can launch GPU nodes that are not spot or reserved. Fix: give it the requirement {key: karpenter.sh/capacity-type, operator: In, values: [spot, reserved]}.',
                    'gpu-nodepool-gpu-limit mandatory: GPU NodePool "auto-gpu" admits g6f.large, g6f.xlarge, g6f.2xlarge and 2 more, which have a fraction of a GPU each (Karpenter counts no nvidia.com/gpu on them), so its spec.limits["nvidia.com/gpu"] does not cap how many it launches. Fix: add the requirement {key: eks.amazonaws.com/instance-gpu-count, operator: Gt, values: ["0"]}, or leave out g6f and gr6f.',
                ],
                preview: [
                    'gpu-nodepool-gpu-limit mandatory: GPU NodePool "preview" sets no spec.limits["nvidia.com/gpu"], so it can launch GPU nodes without bound. Fix: set spec.limits["nvidia.com/gpu"] to the most GPUs the pool may run.',
                ],
            });
        });

        describe("over a whole plan's resources", () => {
            let resources: { urn: string; type: string; name: string; props: Record<string, unknown> }[];
            const stack = (rs: typeof resources) => {
                const request = new analyzerPb.AnalyzeStackRequest();
                request.setResourcesList(rs.map(r => analyzerResource(new analyzerPb.AnalyzerResource(), r)));
                return call(client, "analyzeStack", request).then(diagnostics);
            };
            /** As a first preview sees them: what the cloud assigns (ARNs, a rule's name) not known yet. */
            const preview = (r: RecordedResource) => {
                const props = JSON.parse(JSON.stringify(r.inputs));
                if (r.type === "aws:sqs/queue:Queue") props.arn = UNKNOWN;
                if (r.type === "aws:cloudwatch/eventTarget:EventTarget")
                    Object.assign(props, { arn: UNKNOWN, rule: UNKNOWN });
                return { urn: r.urn, type: r.type, name: r.name, props };
            };

            before(async function () {
                this.timeout(60_000);
                resources = (await run("dev")).resources.map(preview);
            });

            it("passes every resource and the stack as the component renders them, with the engine's unknowns in", async () => {
                expect(resources.filter(r => JSON.stringify(r.props).includes(UNKNOWN)).length).to.be.at.least(6);
                for (const r of resources) {
                    expect(await analyze(r), r.urn).to.deep.equal([]);
                }
                expect(await stack(resources)).to.deep.equal([]);
            });

            it("names, on the spot GPU pool, the EventBridge rule whose detail-type matches nothing Karpenter handles", async () => {
                const misspelt = resources.map(r =>
                    r.type === "aws:cloudwatch/eventRule:EventRule" && String(r.props.name).endsWith("-state-change")
                        ? {
                              ...r,
                              props: {
                                  ...r.props,
                                  eventPattern: JSON.stringify({
                                      source: ["aws.ec2"],
                                      "detail-type": ["C2 Instance State-change Notification"],
                                  }),
                              },
                          }
                        : r,
                );
                const pool = resources.find(r => r.type === "kubernetes:karpenter.sh/v1:NodePool")!;
                expect(await stack(misspelt)).to.deep.equal([
                    {
                        policy: "spot-gpu-requires-interruption-handling",
                        level: "mandatory",
                        urn: pool.urn,
                        message:
                            'GPU NodePool "gpu" runs on spot, but the interruption queue "dev-ai" gets no "EC2 Instance State-change Notification" (aws.ec2) events: EventBridge rule "dev-ai-karpenter-state-change" sends it no event Karpenter handles (source "aws.ec2", detail-type "C2 Instance State-change Notification"), so Karpenter never hears of those events and cannot drain its GPU nodes ahead of them. Fix: target the queue with an EventBridge rule with pattern {"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}, or correct the rules named.',
                    },
                ]);
            });
        });
    });

    describe("after all of that", () => {
        it("has logged no error to the engine and written nothing to stderr", () => {
            expect(engineLogs.filter(l => l.severity === LogSeverity.ERROR)).to.deep.equal([]);
            expect(pack.stderr()).to.equal("");
        });
    });
});

describe("policies: the pack's build", () => {
    it("bundles JSON data files that shared code imports, so nothing is left to load from outside the pack", function () {
        this.timeout(30_000);
        const dir = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-build-"));
        try {
            require("fs").mkdirSync(path.join(dir, "data"));
            require("fs").writeFileSync(path.join(dir, "data", "prices.json"), JSON.stringify({ "g6.xlarge": 0.8048 }));
            require("fs").writeFileSync(
                path.join(dir, "entry.ts"),
                'import prices from "./data/prices.json";\nexport const price: number = prices["g6.xlarge"];\n',
            );
            const outfile = path.join(dir, "out", "index.js");
            const metafile = buildPack({ entry: path.join(dir, "entry.ts"), outfile });
            rmSync(path.join(dir, "data"), { recursive: true });
            expect(require(outfile).price).to.equal(0.8048);
            expect(Object.values(metafile.outputs).flatMap(o => o.imports)).to.deep.equal([]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("leaves in the pack's bundle only imports of its declared dependencies", () => {
        const outfile = path.join(mkdtempSync(path.join(tmpdir(), "gpu-karpenter-build-")), "index.js");
        try {
            const metafile = buildPack({ outfile });
            const { dependencies } = JSON.parse(readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8"));
            // Node's own modules (the bundled yaml library asks for process and buffer) come with Node.
            const { builtinModules } = require("module") as typeof import("module");
            const imports = Object.values(metafile.outputs)
                .flatMap(o => o.imports.map(i => i.path))
                .filter(i => !builtinModules.includes(i.replace(/^node:/, "")));
            expect([...new Set(imports)]).to.deep.equal(["@pulumi/policy"]);
            expect(Object.keys(dependencies)).to.include("@pulumi/policy");
            expect(
                Object.keys(metafile.inputs).some(
                    f => f.startsWith("../components/gpu.ts") || f.endsWith("components/gpu.ts"),
                ),
                "the shared rules are inside",
            ).to.equal(true);
        } finally {
            rmSync(path.dirname(outfile), { recursive: true, force: true });
        }
    });
});
