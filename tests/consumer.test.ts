// The component as another Pulumi project gets it: `npm pack` here, `npm install <tarball>` into a
// temporary project with its own package.json (caret ranges of the SDKs) and Pulumi's project
// template tsconfig (tests/consumer/tsconfig.json is pulumi/templates typescript/tsconfig.json at
// 65db26bf), then that project's compiler and its own mocked unit test (tests/consumer/).
// Installs reuse the npm cache (--prefer-offline).
//
// Two variations, for a check by hand (slower, so not run by npm test):
// GPU_KARPENTER_CONSUMER_SDKS=lowest installs the lowest SDK versions the peer ranges admit;
// GPU_KARPENTER_CONSUMER_INSTALL=git installs `git+file://` of a clone of HEAD (committed work only)
// instead of the tarball, as `npm install <git url>` does: dev dependencies, then `prepare`.
// GPU_KARPENTER_CONSUMER_KEEP=1 leaves the temporary project in place to look at.
import { expect } from "chai";
import { execFile } from "child_process";
import {
    cpSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { getSchema, providerClient, silentEngine, startPlugin } from "../offline/provider-plugin";

const ROOT = path.resolve(__dirname, "..");
const FIXTURE = path.join(__dirname, "consumer");
const PEERS = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/kubernetes"];

interface Exec {
    code: number;
    stdout: string;
    stderr: string;
}

// Where packages come from stays as the outer npm has it; its other npm_* variables describe this
// project and its own run (prefix, package fields, lifecycle), not the consumer's.
const NPM_SOURCE_SETTINGS = /^npm_config_(cache|registry|userconfig|globalconfig|cafile|proxy|https_proxy|noproxy)$/i;

// npm as the test itself runs it (npm test sets npm_execpath), on the same Node.
function exec(command: string, args: string[], cwd: string): Promise<Exec> {
    const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") || NPM_SOURCE_SETTINGS.test(k)),
    );
    return new Promise(resolve => {
        execFile(command, args, { cwd, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
        });
    });
}

function npm(args: string[], cwd: string): Promise<Exec> {
    const cli = process.env.npm_execpath;
    return cli && /npm-cli\.js$/.test(cli) ? exec(process.execPath, [cli, ...args], cwd) : exec("npm", args, cwd);
}

function ok(step: string, result: Exec): Exec {
    if (result.code !== 0) throw new Error(`${step} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    return result;
}

/** The SDK versions the consumer asks for: the peer ranges, or their lowest versions. */
function consumerSdks(): Record<string, string> {
    const peers = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).peerDependencies as Record<
        string,
        string
    >;
    const lowest = process.env.GPU_KARPENTER_CONSUMER_SDKS === "lowest";
    return Object.fromEntries(
        PEERS.map(name => {
            const range = peers[name];
            if (!/^\^\d+\.\d+\.\d+$/.test(range))
                throw new Error(`peerDependencies ${name}: ${range} is not a caret range`);
            return [name, lowest ? range.slice(1) : range];
        }),
    );
}

/** Every file of the package installed at `dir`, relative to it (its own node_modules aside). */
function filesUnder(dir: string): string[] {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter(entry => entry.isFile())
        .map(entry => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
        .filter(file => !file.startsWith("node_modules/"));
}

/** Every installed copy of `name` under `dir`'s node_modules, nested ones included. */
function copiesOf(name: string, dir: string): string[] {
    const found: string[] = [];
    const walk = (modules: string) => {
        if (!existsSync(modules)) return;
        if (existsSync(path.join(modules, name, "package.json"))) found.push(path.join(modules, name));
        for (const entry of readdirSync(modules)) {
            const scoped = entry.startsWith("@")
                ? readdirSync(path.join(modules, entry)).map(e => path.join(entry, e))
                : [entry];
            for (const pkg of scoped) walk(path.join(modules, pkg, "node_modules"));
        }
    };
    walk(path.join(dir, "node_modules"));
    return found;
}

interface MockedRun {
    registered: { type: string; name: string; id?: string; inputs: any }[];
    outputs: { nodeRoleArn: string; nodePoolNames: string[] };
    rejected?: { isRunError: boolean; message: string };
}

describe("the packed component, installed by another Pulumi project", function () {
    this.timeout(300_000);
    let dir: string;
    let installed: string[];
    let nodenext: Exec;
    let node10: Exec;
    let run: Exec;

    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-consumer-"));
        let source: string;
        if (process.env.GPU_KARPENTER_CONSUMER_INSTALL === "git") {
            ok("git clone", await exec("git", ["clone", "--quiet", ROOT, path.join(dir, "clone")], dir));
            source = `git+file://${path.join(dir, "clone")}`;
        } else {
            const pack = ok("npm pack", await npm(["pack", "--json", "--pack-destination", dir], ROOT));
            const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as { filename: string }[];
            source = path.join(dir, info.filename);
        }

        const project = path.join(dir, "project");
        cpSync(FIXTURE, project, { recursive: true });
        writeFileSync(
            path.join(project, "package.json"),
            JSON.stringify(
                {
                    name: "consumer",
                    main: "index.ts",
                    devDependencies: { "@types/node": "^22", typescript: "^5.0.0" },
                    dependencies: consumerSdks(),
                },
                null,
                2,
            ),
        );
        ok(
            `npm install ${source}`,
            await npm(["install", "--prefer-offline", "--no-audit", "--no-fund", source], project),
        );
        installed = filesUnder(path.join(project, "node_modules", "gpu-karpenter"));

        const tsc = path.join(project, "node_modules", "typescript", "bin", "tsc");
        [nodenext, node10] = await Promise.all([
            exec(process.execPath, [tsc, "-p", "tsconfig.test.json"], project),
            // Our declarations and the project's files under the older resolution; the SDKs'
            // declarations were checked in full by the run beside it (tests/consumer-typecheck.js).
            exec(
                process.execPath,
                [path.join(__dirname, "consumer-typecheck.js"), project, "tsconfig.node10.json"],
                project,
            ),
        ]);
        run =
            nodenext.code === 0
                ? await exec(process.execPath, ["bin/mocked-run.js"], project)
                : { code: -1, stdout: "", stderr: "not run: the program did not compile" };
    });

    after(() => {
        if (dir && !process.env.GPU_KARPENTER_CONSUMER_KEEP) rmSync(dir, { recursive: true, force: true });
    });

    const mocked = (): MockedRun => {
        expect(run.code, run.stderr).to.equal(0);
        return JSON.parse(run.stdout);
    };

    it("ships the compiled component, gpu-karpenter/testing, the component provider and their declarations, LICENSE and NOTICE, not the sources", () => {
        expect(installed).to.include.members([
            "package.json",
            "README.md",
            "LICENSE",
            "NOTICE",
            "PulumiPlugin.yaml",
            "bin/components/index.js",
            "bin/components/index.d.ts",
            "bin/offline/testing.js",
            "bin/offline/testing.d.ts",
            "bin/offline/default-cluster.json",
            "bin/provider/index.js",
            "bin/provider/schema.json",
        ]);
        expect(
            installed.filter(f => f.endsWith(".ts") && !f.endsWith(".d.ts")),
            "TypeScript sources",
        ).to.be.empty;
        expect(installed.filter(f => !/^bin\/(components|offline|provider)\//.test(f))).to.have.members([
            "package.json",
            "README.md",
            "LICENSE",
            "NOTICE",
            "PulumiPlugin.yaml",
        ]);
        const project = path.join(dir, "project", "node_modules", "gpu-karpenter");
        for (const file of ["LICENSE", "NOTICE"]) {
            expect(readFileSync(path.join(project, file), "utf8"), file).to.equal(
                readFileSync(path.join(ROOT, file), "utf8"),
            );
        }
        expect(
            installed.filter(f => /(^|\/)cluster\.js$/.test(f)),
            "the stack program's createCluster",
        ).to.be.empty;
    });

    it("installs one copy of each SDK, and neither @pulumi/eks nor @kubernetes-models", () => {
        const project = path.join(dir, "project");
        const asked = consumerSdks();
        for (const sdk of PEERS) {
            const copies = copiesOf(sdk, project);
            expect(copies, sdk).to.have.length(1);
            const { version } = JSON.parse(readFileSync(path.join(copies[0], "package.json"), "utf8")) as {
                version: string;
            };
            if (!asked[sdk].startsWith("^")) expect(version, sdk).to.equal(asked[sdk]);
        }
        expect(copiesOf("@pulumi/eks", project)).to.be.empty;
        expect(copiesOf("@kubernetes-models/karpenter", project)).to.be.empty;
    });

    it("type-checks with Pulumi's project template tsconfig (strict, moduleResolution nodenext, no skipLibCheck)", () => {
        expect(nodenext.code, nodenext.stdout + nodenext.stderr).to.equal(0);
    });

    it("type-checks with the template's tsconfig before 2026-03 (moduleResolution node, which ignores exports): the package's declarations and the project's files", () => {
        expect(node10.code, node10.stdout + node10.stderr).to.equal(0);
    });

    it("runs under the consumer's mocks and registers a NodePool and an EC2NodeClass per pool", () => {
        const { registered, outputs } = mocked();
        const named = (type: string) => registered.filter(r => r.type === type).map(r => r.name);
        expect(named("kubernetes:karpenter.sh/v1:NodePool")).to.have.members([
            "gpu-inference-nodepool",
            "gpu-training-nodepool",
        ]);
        expect(named("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")).to.have.members([
            "gpu-inference-nodeclass",
            "gpu-training-nodeclass",
        ]);
        expect(named("gpu-karpenter:index:GpuKarpenter")).to.deep.equal(["gpu"]);
        // Everything the program passed as Outputs arrives: the subnets' ids, the cluster's security
        // group and name, the role's name (from its ARN), a tag whose value is an Output.
        const of = (type: string) => registered.filter(r => r.type === type);
        const subnetIds = of("aws:ec2/subnet:Subnet").map(s => s.id);
        expect(subnetIds).to.have.length(2);
        const [nodeRole] = of("aws:iam/role:Role").filter(r => r.name === "gpu-nodes");
        const [cluster] = of("aws:eks/cluster:Cluster");
        for (const nodeClass of of("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")) {
            expect(nodeClass.inputs.spec.subnetSelectorTerms).to.deep.equal(subnetIds.map(id => ({ id })));
            expect(nodeClass.inputs.spec.securityGroupSelectorTerms).to.deep.equal([{ id: "sg-0c1a2b3c4d5e6f708" }]);
            expect(nodeClass.inputs.spec.role).to.equal(nodeRole.id);
            expect(nodeClass.inputs.spec.tags).to.deep.equal({ team: "ml-platform", cluster: cluster.id });
        }
        expect(named("aws:iam/role:Role"), "no node role of its own").to.have.members([
            "gpu-nodes",
            "gpu-controller-role",
        ]);
        const [entry] = of("aws:eks/accessEntry:AccessEntry");
        expect(entry.inputs).to.deep.include({
            clusterName: cluster.id,
            principalArn: `arn:aws:iam::111122223333:role/${nodeRole.id}`,
        });
        expect(of("aws:eks/podIdentityAssociation:PodIdentityAssociation")[0].inputs.clusterName).to.equal(cluster.id);
        expect(outputs).to.deep.equal({
            nodeRoleArn: `arn:aws:iam::111122223333:role/${nodeRole.id}`,
            nodePoolNames: ["inference", "training"],
        });
    });

    it("serves the schema npm run schema wrote, started from the installed package as the engine starts a plugin", async () => {
        const project = path.join(dir, "project");
        const packageDir = path.join(project, "node_modules", "gpu-karpenter");
        const engine = await silentEngine();
        const plugin = await startPlugin(packageDir, engine.address, project);
        const client = providerClient(plugin.port);
        try {
            expect(JSON.parse(await getSchema(client))).to.deep.equal(
                JSON.parse(readFileSync(path.join(ROOT, "provider", "schema.json"), "utf8")),
            );
        } finally {
            client.close();
            await plugin.stop();
            engine.close();
        }
    });

    it("rejects a bad argument with the consumer's own RunError, naming the key", () => {
        const { rejected } = mocked();
        expect(rejected).to.deep.include({ isRunError: true });
        expect(rejected!.message).to.contain('gpuPools[0] "gpu".consolidateAfter');
    });
});

describe("the consumer's second type check (tests/consumer-typecheck.js)", () => {
    // A project whose own file, gpu-karpenter's declarations and another package's declarations each
    // hold one type error: the check reports the first two, as tsc would, and leaves the third to
    // the full tsc run.
    it("reports errors in the project's files and gpu-karpenter's declarations, not in other packages' declarations", async () => {
        const project = mkdtempSync(path.join(tmpdir(), "consumer-typecheck-"));
        try {
            const modules = path.join(project, "node_modules");
            const broken = "export declare const broken: NoSuchType;\n";
            for (const pkg of ["gpu-karpenter", "other-sdk"]) {
                mkdirSync(path.join(modules, pkg), { recursive: true });
                writeFileSync(
                    path.join(modules, pkg, "package.json"),
                    JSON.stringify({ name: pkg, types: "index.d.ts" }),
                );
                writeFileSync(path.join(modules, pkg, "index.d.ts"), broken);
            }
            symlinkSync(path.join(ROOT, "node_modules", "typescript"), path.join(modules, "typescript"));
            writeFileSync(
                path.join(project, "index.ts"),
                'import "gpu-karpenter";\nimport "other-sdk";\nexport const count: number = "one";\n',
            );
            writeFileSync(
                path.join(project, "tsconfig.json"),
                JSON.stringify({
                    compilerOptions: { strict: true, moduleResolution: "node", types: [] },
                    files: ["index.ts"],
                }),
            );
            const result = await exec(
                process.execPath,
                [path.join(__dirname, "consumer-typecheck.js"), project, "tsconfig.json"],
                project,
            );
            expect(result.code).to.equal(1);
            const errors = result.stdout.split("\n").filter(Boolean).sort();
            expect(errors).to.have.length(2);
            expect(errors[0]).to.match(
                /^index\.ts\(3,14\): error TS2322: Type 'string' is not assignable to type 'number'/,
            );
            expect(errors[1]).to.match(
                /^node_modules\/gpu-karpenter\/index\.d\.ts\(1,30\): error TS\d+: Cannot find name 'NoSuchType'/,
            );
        } finally {
            rmSync(project, { recursive: true, force: true });
        }
    });
});
