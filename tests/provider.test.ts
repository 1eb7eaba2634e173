// The component provider as a Python, Go, .NET or YAML program's engine runs it: the plugin folder
// started as the Node.js language host's RunPlugin starts it (offline/provider-plugin.ts), spoken to
// with the SDK's own gRPC stubs, its Construct calling back into the fake engine of
// offline/fake-engine.ts, whose cloud is the offline plan's. What Construct registers is compared
// with what the TypeScript component registers for the same args (runProgram, in this process).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { resolveArgs } from "../components/args";
import { GpuKarpenterConfigError } from "../components/checks";
import { GpuKarpenter, GPU_KARPENTER_TYPE } from "../components/gpu-karpenter";
import { readStackConfig } from "../components/stack-config";
import { cloudMocks } from "../offline/cloud-mocks";
import { type FakeEngine, startFakeEngine } from "../offline/fake-engine";
import {
    type ConstructCall,
    type ProviderClient,
    type RunningPlugin,
    call,
    configure,
    constructRequest,
    emptyPb,
    getSchema,
    inputPropertyErrors,
    layOutPlugin,
    providerClient,
    startPlugin,
    wire,
} from "../offline/provider-plugin";
import { type RecordedResource, ROOT_STACK_TYPE, runProgram } from "../offline/run-program";
import { stackConfig } from "../offline/stack";
import { errorMessage, fakeCluster, readJson, registrationDifferences } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "gpu-karpenter";
const STACK = "dev";
const STACK_URN = `urn:pulumi:${STACK}::${PROJECT}::${ROOT_STACK_TYPE}::${PROJECT}-${STACK}`;
const REGION = "us-west-2";
/** What the engine hands every Construct: the stack's config, the AWS provider's keys included. */
const CONFIG = { "aws:region": REGION, "aws:profile": "ml-admin" };
const K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes";
const K8S_PROVIDER_URN = `urn:pulumi:${STACK}::${PROJECT}::${K8S_PROVIDER_TYPE}::cluster-k8s`;

/** A stack file's component args, as a TypeScript caller would pass them (no Outputs in them). */
function stackArgs(stack: string): Record<string, unknown> {
    return readStackConfig(stackConfig(stack)).args as unknown as Record<string, unknown>;
}

/** The registrations as the TypeScript component makes them in this process, with `args` (plain). */
async function inTypeScript(name: string, args: Record<string, unknown>, kubernetesProvider = false) {
    const run = await runProgram({
        stack: STACK,
        config: CONFIG,
        fake: fakeCluster(),
        program: () => {
            const providers = kubernetesProvider
                ? { kubernetes: new k8s.Provider("cluster-k8s", { kubeconfig: "{}" }) }
                : undefined;
            new GpuKarpenter(name, args as never, { providers });
        },
    });
    // The provider is the caller's: through Construct it arrives as a reference, not registered.
    return run.resources.filter(r => r.type !== K8S_PROVIDER_TYPE || r.name !== "cluster-k8s");
}

/** A registration as the TypeScript run records it: there the component has no parent, here the stack. */
const asInProgram = (r: RecordedResource): RecordedResource =>
    r.parent === STACK_URN ? { ...r, parent: undefined } : r;

/** Whether a registered value is not known: left out, an unknown, or holding one. */
function unknown(value: unknown): boolean {
    if (value === undefined || pulumi.isUnknown(value)) return true;
    if (Array.isArray(value)) return value.some(unknown);
    return value !== null && typeof value === "object" && Object.values(value).some(unknown);
}

/** Secrets (the engine's `{sig: secret, value}`) replaced by their values. */
function unsecret(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unsecret);
    if (value === null || typeof value !== "object") return value;
    const v = value as Record<string, unknown>;
    if (v["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unsecret(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsecret(x)]));
}

describe("the component provider, started as the engine starts a plugin, over gRPC", function () {
    this.timeout(300_000);
    let work: string;
    let engine: FakeEngine;
    let plugin: RunningPlugin;
    let client: ProviderClient;
    /** The provider reference each registration was made with (the monitor's newResource `provider`). */
    const providerOf = new Map<string, string | undefined>();

    before(async () => {
        work = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-provider-"));
        const fake = fakeCluster();
        const mocks = cloudMocks(fake, REGION);
        const newResource = mocks.newResource.bind(mocks);
        mocks.newResource = args => {
            providerOf.set(args.name, args.provider);
            return newResource(args);
        };
        engine = await startFakeEngine({ fake, region: REGION, project: PROJECT, stack: STACK, dryRun: true, mocks });
        plugin = await startPlugin(layOutPlugin(path.join(work, "plugin")), engine.engineAddress, work);
        client = providerClient(plugin.port);
    });

    after(async () => {
        client?.close();
        await plugin?.stop();
        await engine?.close();
        if (work) rmSync(work, { recursive: true, force: true });
    });

    /** Construct in preview; resolves to what it registered, rejects with the gRPC error. */
    async function construct(
        name: string,
        inputs: Record<string, unknown>,
        more: Partial<ConstructCall> = {},
    ): Promise<{ urn: string; state: Record<string, unknown>; registered: RecordedResource[] }> {
        const before = engine.registrations.length;
        const response = await call(
            client,
            "construct",
            constructRequest({
                monitorAddress: engine.monitorAddress,
                project: PROJECT,
                stack: STACK,
                dryRun: true,
                config: CONFIG,
                type: GPU_KARPENTER_TYPE,
                name,
                parent: STACK_URN,
                inputs,
                ...more,
            }),
        );
        return {
            urn: response.getUrn(),
            state: response.getState().toJavaScript(),
            registered: engine.registrations.slice(before).filter(Boolean),
        };
    }

    it("answers GetPluginInfo with package.json's version, and Configure accepting secrets, resources and outputs", async () => {
        const info = await call(client, "getPluginInfo", new emptyPb.Empty());
        expect(info.getVersion()).to.equal(readJson(path.join(ROOT, "package.json")).version);
        // The engine refuses to Construct with a provider that does not take secrets (provider_plugin.go Construct).
        expect(await configure(client)).to.deep.equal({ secrets: true, resources: true, outputs: true });
    });

    it("answers GetSchema with provider/schema.json", async () => {
        expect(JSON.parse(await getSchema(client))).to.deep.equal(readJson(path.join(ROOT, "provider", "schema.json")));
    });

    it("registers what the TypeScript component registers for the dev stack's args, under the kubernetes provider it is handed", async () => {
        const args = stackArgs("dev");
        const providerRef = `${K8S_PROVIDER_URN}::cluster-k8s-id`;
        const { urn, state, registered } = await construct("dev-gpu", args, { providers: { kubernetes: providerRef } });
        const typescript = await inTypeScript("dev-gpu", args, true);
        expect(
            registrationDifferences(registered.map(asInProgram), typescript, ["by Construct", "in TypeScript"]),
        ).to.deep.equal([]);
        expect(urn).to.equal(`urn:pulumi:${STACK}::${PROJECT}::${GPU_KARPENTER_TYPE}::dev-gpu`);
        expect(
            registered.some(r => r.type === K8S_PROVIDER_TYPE),
            "a kubernetes provider of its own",
        ).to.equal(false);
        const onKubernetes = registered.filter(r => r.type.startsWith("kubernetes:"));
        expect(onKubernetes).to.not.be.empty;
        for (const r of onKubernetes) expect(providerOf.get(r.name), r.urn).to.equal(providerRef);
        expect(state).to.deep.include({ nodePoolNames: ["gpu"], nodeClassNames: ["gpu"], karpenterVersion: "1.14.1" });
    });

    it("registers what the TypeScript component registers for the prod stack's args, its kubeconfig logging in with the stack's aws:profile", async () => {
        const args = stackArgs("prod");
        const { registered } = await construct("prod-gpu", args);
        const typescript = await inTypeScript("prod-gpu", args);
        expect(
            registrationDifferences(registered.map(asInProgram), typescript, ["by Construct", "in TypeScript"]),
        ).to.deep.equal([]);
        const [provider] = registered.filter(r => r.type === K8S_PROVIDER_TYPE);
        const kubeconfig = JSON.parse(provider.inputs.kubeconfig as string);
        expect(kubeconfig.users[0].user.exec.args).to.include.members(["--profile", "ml-admin"]);
    });

    it("takes unknown values where the component takes Outputs, and registers what TypeScript registers with them known", async () => {
        // A cluster created in the same program: its name and details unknown in preview, sent as the
        // SDKs send an Output (an output value, with the cluster it depends on) or as a bare unknown.
        const { cluster: c } = fakeCluster();
        const cluster = {
            endpoint: c.endpoint,
            certificateAuthority: c.certificateAuthority,
            oidcIssuerUrl: c.oidcIssuer,
            clusterSecurityGroupId: c.clusterSecurityGroupId,
            authenticationMode: "API" as const,
        };
        const subnetIds = ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"];
        const known = { ...stackArgs("dev"), cluster, subnetIds };
        const clusterUrn = `urn:pulumi:${STACK}::${PROJECT}::aws:eks/cluster:Cluster::ml`;
        const { registered } = await construct(
            "unknown-gpu",
            {
                ...known,
                clusterName: wire.output(undefined, { dependencies: [clusterUrn] }),
                cluster: {
                    ...cluster,
                    endpoint: wire.output(undefined, { dependencies: [clusterUrn] }),
                    oidcIssuerUrl: wire.unknown,
                },
                subnetIds: [wire.unknown, subnetIds[1]],
            },
            { inputDependencies: { clusterName: [clusterUrn], cluster: [clusterUrn] } },
        );
        const typescript = await inTypeScript("unknown-gpu", known);
        expect(registered.map(r => r.urn)).to.have.members(typescript.map(r => r.urn));
        const byName = (run: RecordedResource[], name: string) => run.find(r => r.name === name)!;
        // The queue is named after the cluster; the kubeconfig holds its name and endpoint.
        expect(byName(typescript, "unknown-gpu-interruption").inputs.name).to.equal("dev-ai");
        expect(unknown(byName(registered, "unknown-gpu-interruption").inputs.name), "queue name").to.equal(true);
        expect(byName(registered, "unknown-gpu-interruption").dependencies).to.include(clusterUrn);
        expect(byName(typescript, "unknown-gpu-k8s").inputs.kubeconfig).to.be.a("string");
        expect(unknown(byName(registered, "unknown-gpu-k8s").inputs.kubeconfig), "kubeconfig").to.equal(true);
        const spec = (r: RecordedResource[]) => (byName(r, "unknown-gpu-gpu-nodeclass").inputs as any).spec;
        expect(spec(typescript).subnetSelectorTerms).to.deep.equal(subnetIds.map(id => ({ id })));
        expect(unknown(spec(registered).subnetSelectorTerms), "subnetSelectorTerms").to.equal(true);
    });

    it("keeps secrets secret: a secret tag value and a secret node role ARN reach every resource that uses them as secrets", async () => {
        const args = { ...stackArgs("dev"), nodeRoleArn: "arn:aws:iam::111122223333:role/gpu-nodes" };
        const { registered } = await construct("secret-gpu", {
            ...args,
            // As the engine marshals a secret nested in a map, and as the SDKs send a secret Output.
            tags: { environment: wire.secret("dev"), team: "ml-platform" },
            nodeRoleArn: wire.output(args.nodeRoleArn, { secret: true }),
        });
        const typescript = await inTypeScript("secret-gpu", args);
        // The program's side of each registration: the offline cloud's answers (id, outputs) are
        // computed from the inputs it is handed, which here hold secrets.
        const programs = (run: RecordedResource[]) =>
            run.map(({ id: _id, outputs: _outputs, ...r }) => ({
                ...asInProgram(r as RecordedResource),
                inputs: unsecret(r.inputs),
            }));
        expect(
            registrationDifferences(
                programs(registered) as RecordedResource[],
                programs(typescript) as RecordedResource[],
                ["by Construct", "in TypeScript"],
            ),
        ).to.deep.equal([]);
        const isSecret = (v: unknown) => unsecret(v) !== v;
        const tagged = registered.filter(r => r.type.startsWith("aws:") && "tags" in r.inputs);
        expect(tagged).to.not.be.empty;
        for (const r of tagged) expect(isSecret(r.inputs.tags), `${r.urn} tags`).to.equal(true);
        const entry = registered.find(r => r.type === "aws:eks/accessEntry:AccessEntry")!;
        expect(isSecret(entry.inputs.principalArn), "the access entry's principalArn").to.equal(true);
    });

    it("returns bad input as property errors carrying the component's own messages, before registering anything", async () => {
        const bad = {
            ...stackArgs("dev"),
            identity: "iam",
            tags: { "karpenter.sh/nodepool": "x" },
            gpuPools: [{ name: "GPU", gpuLimit: 0 }],
        };
        const before = engine.registrations.length;
        const error = await construct("bad-gpu", bad).then(
            () => expect.fail("Construct succeeded"),
            (e: any) => e,
        );
        expect(engine.registrations.length, "registrations").to.equal(before);
        const message = errorMessage(GpuKarpenterConfigError, () => resolveArgs(bad as never));
        // The TypeScript user's message, line by line, each under its property as the engine prints it.
        const lines = message
            .split("\n")
            .slice(1)
            .map(l => l.trim());
        expect(lines).to.have.length(4);
        expect(inputPropertyErrors(error)).to.deep.equal([
            // The TypeScript message names the pool after its place; the property path is the engine's.
            { propertyPath: "gpuPools[0].name", reason: lines[0].slice('gpuPools[0] "GPU".name: '.length) },
            { propertyPath: "gpuPools[0].gpuLimit", reason: lines[1].slice('gpuPools[0] "GPU".gpuLimit: '.length) },
            { propertyPath: "identity", reason: lines[2].slice("identity: ".length) },
            {
                propertyPath: 'tags["karpenter.sh/nodepool"]',
                reason: lines[3].slice("tags.karpenter.sh/nodepool: ".length),
            },
        ]);
        expect(error.details).to.equal("invalid GpuKarpenter settings");
        expect(plugin.stderr(), "the plugin's stderr, which the engine shows").to.not.match(/\n\s+at /);
    });

    it("returns a bad value in a known Output, and an unknown or secret where a plain value must go, as property errors", async () => {
        const args = stackArgs("dev");
        const errorOf = (name: string, inputs: Record<string, unknown>) =>
            construct(name, inputs).then(
                () => expect.fail("Construct succeeded"),
                (e: any) => inputPropertyErrors(e),
            );
        expect(
            await errorOf("arn-gpu", { ...args, nodeRoleArn: wire.output("not-an-arn", { secret: true }) }),
        ).to.deep.equal([
            {
                propertyPath: "nodeRoleArn",
                reason: '"not-an-arn" is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)',
            },
        ]);
        expect(
            await errorOf("plain-gpu", {
                ...args,
                karpenterVersion: wire.unknown,
                namespace: wire.output("ml", { secret: true }),
            }),
        ).to.deep.equal([
            {
                propertyPath: "karpenterVersion",
                reason: "is only known after deployment, but GpuKarpenter decides from it which resources to create; pass a value known at preview",
            },
            {
                propertyPath: "namespace",
                reason: "cannot be a secret: it decides which resources GpuKarpenter creates; pass a plain value",
            },
        ]);
    });

    it("returns a problem the component finds while registering (an unknown clusterName, nothing to look up) as a property error", async () => {
        const error = await construct("lookup-gpu", { ...stackArgs("dev"), clusterName: wire.output(undefined) }).then(
            () => expect.fail("Construct succeeded"),
            (e: any) => e,
        );
        expect(inputPropertyErrors(error)).to.deep.equal([
            {
                propertyPath: "clusterName",
                reason:
                    "it is an Output, not known until deployment, so the component cannot look up the cluster; pass cluster " +
                    "(endpoint, certificateAuthority, oidcIssuerUrl, clusterSecurityGroupId, authenticationMode), or a plain clusterName",
            },
        ]);
        expect(plugin.stderr(), "the plugin's stderr, which the engine shows").to.not.match(/\n\s+at /);
    });
});
