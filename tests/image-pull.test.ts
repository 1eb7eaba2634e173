// GPU nodes whose images arrive fast: parallel pull (AL2023 nodeadm's FastImagePull feature gate,
// Bottlerocket's SOCI snapshotter in parallel-pull-unpack mode) and Bottlerocket data volumes
// restored from an EBS snapshot. What the EC2NodeClasses carry is held to what nodeadm and
// Bottlerocket document, to the Karpenter 1.14.1 CRDs, and to how Karpenter merges its own user data
// in (pkg/providers/amifamily/bootstrap: nodeadm.go and mime/mime.go for AL2023, bottlerocket.go and
// bottlerocketsettings.go for Bottlerocket, at v1.14.1).
import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import {
    NODECONFIG_CONTENT_TYPE,
    SHELL_SCRIPT_CONTENT_TYPE,
    customUserDataParts,
    imageArrivalOf,
    parseMediaType,
    parseMimeArchive,
    serializeMimeArchive,
} from "../components/image-pull";
import { poolKey } from "../components/key-path";
import { validateKarpenterObject } from "../offline/karpenter-schema";
import { costReport, gpuPoolRows } from "../offline/plan-stack";
import type { ProgramRun } from "../offline/run-program";
import { NODECLASS, NODEPOOL, expectValidKarpenter, fakeCluster, one, run, runError } from "./helpers";

const FIXTURES = path.join(__dirname, "fixtures", "karpenter-mime");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

const nodeClass = (r: ProgramRun, pool: string) => one(r, NODECLASS, `gpu-karpenter-${pool}-nodeclass`).inputs as any;
const spec = (r: ProgramRun, pool: string) => nodeClass(r, pool).spec;
const pools = (...list: object[]) => run("dev", { gpuPools: list });

const SNAPSHOT = "snap-0123456789abcdef0";
const AL2023 = { name: "al2023", instanceFamilies: ["g6e"], fastImagePull: true };
const BOTTLEROCKET = {
    name: "bottlerocket",
    instanceFamilies: ["g6e"],
    amiAlias: "bottlerocket@latest",
    fastImagePull: true,
};
const FROM_SNAPSHOT = {
    name: "snapshot",
    instanceFamilies: ["g6e"],
    amiAlias: "bottlerocket@v1.44.0",
    imageSnapshot: { snapshotId: SNAPSHOT, initializationRate: 300 },
};

// nodeadm/doc/examples.md, "Enabling fast image pull (experimental)", in the MIME archive Karpenter
// writes and reads (its mime_valid.txt fixture has the same framing).
const AL2023_USERDATA = `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//"

--//
Content-Type: application/node.eks.aws

apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  featureGates:
    FastImagePull: true

--//--
`;
// bottlerocket.dev, settings.container-runtime-plugins ("Enable SOCI snapshotter").
const BOTTLEROCKET_USERDATA = `[settings.container-runtime]
snapshotter = "soci"

[settings.container-runtime-plugins.soci-snapshotter]
pull-mode = "parallel-pull-unpack"
`;

/** The NodeConfig parts of an AL2023 userData, each parsed as nodeadm reads one (a YAML object). */
const nodeConfigs = (userData: string) =>
    parseMimeArchive(userData)
        .filter(p => parseMediaType(p.contentType).mediaType === NODECONFIG_CONTENT_TYPE)
        .map(p => parseYaml(p.content, { version: "1.1" }));

/** The feature gates nodeadm ends with: every NodeConfig part merged in order, later parts winning. */
const mergedGates = (userData: string) =>
    Object.assign({}, ...nodeConfigs(userData).map((c: any) => c?.spec?.featureGates ?? {}));

/** A pool's errors name it: `gpuPools[0].userData` is reported as `gpuPools[0] "<its name>".userData`. */
function naming(message: string, pool: object): string {
    return message.replace("gpuPools[0].", `${poolKey(0, pool)}.`);
}

describe("Karpenter's MIME user data, as its own tests hold it (mime/suite_test.go, v1.14.1)", () => {
    it("parses mime_valid.txt into its NodeConfig and shell parts, content for content", () => {
        expect(parseMimeArchive(fixture("mime_valid.txt"))).to.deep.equal([
            { contentType: NODECONFIG_CONTENT_TYPE, content: fixture("nodeconfig.txt") },
            { contentType: SHELL_SCRIPT_CONTENT_TYPE, content: fixture("shell.txt") },
        ]);
    });

    it("serializes those parts back into mime_valid.txt byte for byte", () => {
        const parts = [
            { contentType: NODECONFIG_CONTENT_TYPE, content: fixture("nodeconfig.txt") },
            { contentType: SHELL_SCRIPT_CONTENT_TYPE, content: fixture("shell.txt") },
        ];
        expect(serializeMimeArchive(parts)).to.equal(fixture("mime_valid.txt"));
    });

    it("refuses mime_bad_header.txt, and an archive that never closes", () => {
        expect(() => parseMimeArchive(fixture("mime_bad_header.txt"))).to.throw(/malformed MIME header line/);
        const unclosed = fixture("mime_valid.txt").replace("--//--\n", "");
        expect(() => parseMimeArchive(unclosed)).to.throw(/ends without its closing line "--\/\/--"/);
    });

    it("splits a custom userData as Karpenter does: MIME by part, else a NodeConfig or a shell script", () => {
        expect(customUserDataParts(fixture("nodeconfig.txt"))).to.deep.equal([
            { contentType: NODECONFIG_CONTENT_TYPE, content: fixture("nodeconfig.txt") },
        ]);
        expect(customUserDataParts(fixture("shell.txt"))).to.deep.equal([
            { contentType: SHELL_SCRIPT_CONTENT_TYPE, content: fixture("shell.txt") },
        ]);
        expect(customUserDataParts(fixture("mime_valid.txt"))).to.have.lengthOf(2);
    });
});

describe("a stack with an AL2023 and a Bottlerocket pool pulling in parallel, and a Bottlerocket pool from a snapshot", function () {
    let r: ProgramRun;
    before(async () => {
        r = await pools(AL2023, BOTTLEROCKET, FROM_SNAPSHOT);
    });

    it("renders EC2NodeClasses the Karpenter 1.14.1 CRDs accept, CEL rules included", () => {
        expect(expectValidKarpenter(r)).to.have.lengthOf(6);
    });

    it("gives the AL2023 pool nodeadm's NodeConfig with the FastImagePull gate, in a MIME part of its own", () => {
        const userData: string = spec(r, "al2023").userData;
        expect(userData).to.equal(AL2023_USERDATA);
        const [part, ...rest] = parseMimeArchive(userData);
        expect(rest).to.deep.equal([]);
        expect(part.contentType).to.equal("application/node.eks.aws");
        expect(parseYaml(part.content)).to.deep.equal({
            apiVersion: "node.eks.aws/v1alpha1",
            kind: "NodeConfig",
            spec: { featureGates: { FastImagePull: true } },
        });
    });

    it("gives the Bottlerocket pool the soci snapshotter in parallel-pull-unpack mode, as TOML", () => {
        const userData: string = spec(r, "bottlerocket").userData;
        expect(userData).to.equal(BOTTLEROCKET_USERDATA);
        expect(parseToml(userData)).to.deep.equal({
            settings: {
                "container-runtime": { snapshotter: "soci" },
                "container-runtime-plugins": { "soci-snapshotter": { "pull-mode": "parallel-pull-unpack" } },
            },
        });
    });

    it("gives both parallel pools 600 MiB/s of volume throughput, nodeadm's recommended floor", () => {
        expect(spec(r, "al2023").blockDeviceMappings).to.deep.equal([
            {
                deviceName: "/dev/xvda",
                rootVolume: true,
                ebs: {
                    volumeSize: "100Gi",
                    volumeType: "gp3",
                    encrypted: true,
                    deleteOnTermination: true,
                    throughput: 600,
                },
            },
        ]);
        expect(spec(r, "bottlerocket").blockDeviceMappings[1].ebs.throughput).to.equal(600);
    });

    it("restores the snapshot pool's data volume from the snapshot at the rate, with the OS volume declared too", () => {
        const s = spec(r, "snapshot");
        expect(s.blockDeviceMappings).to.deep.equal([
            {
                deviceName: "/dev/xvda",
                ebs: { volumeSize: "4Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true },
            },
            {
                deviceName: "/dev/xvdb",
                ebs: {
                    volumeSize: "100Gi",
                    volumeType: "gp3",
                    deleteOnTermination: true,
                    snapshotID: SNAPSHOT,
                    volumeInitializationRate: 300,
                },
            },
        ]);
        // RAID0 would bind containerd's directory onto the instance store, over the snapshot's images.
        expect(s).not.to.have.property("instanceStorePolicy");
        expect(s).not.to.have.property("userData");
    });

    it("would be refused by the CRDs with a rate but no snapshot, or a rate over 300 (the check can fail)", () => {
        const object = nodeClass(r, "snapshot");
        const changed = (ebs: object) => {
            const copy = JSON.parse(
                JSON.stringify({ apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", ...object }),
            );
            copy.spec.blockDeviceMappings[1].ebs = { ...copy.spec.blockDeviceMappings[1].ebs, ...ebs };
            return validateKarpenterObject(copy).map(e => e.reason);
        };
        expect(changed({ snapshotID: undefined })).to.include(
            "snapshotID must be set when volumeInitializationRate is set",
        );
        expect(changed({ volumeInitializationRate: 301 }).join()).to.contain("300");
    });

    it("reads back as the plan and the policy pack see each pool", () => {
        expect(imageArrivalOf(spec(r, "al2023"))).to.deep.equal({ parallelPull: true, snapshot: false });
        expect(imageArrivalOf(spec(r, "bottlerocket"))).to.deep.equal({ parallelPull: true, snapshot: false });
        expect(imageArrivalOf(spec(r, "snapshot"))).to.deep.equal({ parallelPull: false, snapshot: true });
    });

    it("renders the same user data on every run, so a second pulumi up changes nothing", async () => {
        const again = await pools(AL2023, BOTTLEROCKET, FROM_SNAPSHOT);
        for (const pool of ["al2023", "bottlerocket", "snapshot"]) {
            expect(nodeClass(again, pool)).to.deep.equal(nodeClass(r, pool));
        }
    });
});

describe("what Karpenter merges in keeps what the pool asked for", () => {
    it("AL2023: Karpenter reads the archive as MIME, appends its NodeConfig, and nodeadm keeps FastImagePull on", async () => {
        const userData: string = spec(await pools(AL2023), "al2023").userData;
        // bootstrap/nodeadm.go Script: the custom parts, then Karpenter's own NodeConfig, written out again.
        const karpenters = `# Karpenter Generated NodeConfig
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    apiServerEndpoint: https://example.com
    certificateAuthority: Y2E=
    cidr: 10.100.0.0/16
    name: dev-ai
  kubelet:
    config:
      maxPods: 110
`;
        const onNode = serializeMimeArchive([
            ...customUserDataParts(userData),
            { contentType: NODECONFIG_CONTENT_TYPE, content: karpenters },
        ]);
        expect(nodeConfigs(onNode).map((c: any) => Object.keys(c.spec))).to.deep.equal([
            ["featureGates"],
            ["cluster", "kubelet"],
        ]);
        expect(mergedGates(onNode)).to.deep.equal({ FastImagePull: true });
    });

    it("Bottlerocket: Karpenter replaces settings.kubernetes and adds its bootstrap command; ours sit elsewhere and stay", async () => {
        const userData: string = spec(await pools(BOTTLEROCKET), "bottlerocket").userData;
        const settings = parseToml(userData).settings as Record<string, unknown>;
        expect(Object.keys(settings)).not.to.include.members(["kubernetes"]);
        expect(Object.keys(settings)).not.to.include.members(["bootstrap-commands"]);
        // bootstrap/bottlerocket.go Script and bottlerocketsettings.go MarshalTOML, for a RAID0 pool.
        settings.kubernetes = { "cluster-name": "dev-ai", "api-server": "https://example.com" };
        settings["bootstrap-commands"] = {
            "000-mount-instance-storage": {
                commands: [
                    ["apiclient", "ephemeral-storage", "init"],
                    ["apiclient", "ephemeral-storage", "bind"],
                ],
                essential: true,
                mode: "always",
            },
        };
        const onNode = parseToml(stringifyToml({ settings })) as any;
        expect(onNode.settings["container-runtime"]).to.deep.equal({ snapshotter: "soci" });
        expect(onNode.settings["container-runtime-plugins"]).to.deep.equal({
            "soci-snapshotter": { "pull-mode": "parallel-pull-unpack" },
        });
    });
});

describe("a pool's own userData", () => {
    const NODECONFIG = `apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    config:
      shutdownGracePeriod: 30s
`;

    it("is kept byte for byte when nothing is added", async () => {
        const r = await pools({ name: "gpu", userData: NODECONFIG });
        expect(spec(r, "gpu").userData).to.equal(NODECONFIG);
        expect(imageArrivalOf(spec(r, "gpu"))).to.deep.equal({ parallelPull: false, snapshot: false });
    });

    it("AL2023: keeps its NodeConfig part as it is, and adds the gate's part after it", async () => {
        const userData: string = spec(await pools({ ...AL2023, userData: NODECONFIG }), "al2023").userData;
        const parts = parseMimeArchive(userData);
        expect(parts.map(p => p.contentType)).to.deep.equal([NODECONFIG_CONTENT_TYPE, NODECONFIG_CONTENT_TYPE]);
        expect(parts[0].content).to.equal(NODECONFIG);
        expect(mergedGates(userData)).to.deep.equal({ FastImagePull: true });
        expect(nodeConfigs(userData)[0].spec.kubelet.config.shutdownGracePeriod).to.equal("30s");
    });

    it("AL2023: keeps every part of its MIME archive, shell scripts included, in order", async () => {
        const userData: string = spec(
            await pools({ ...AL2023, userData: fixture("mime_valid.txt") }),
            "al2023",
        ).userData;
        expect(parseMimeArchive(userData)).to.deep.equal([
            { contentType: NODECONFIG_CONTENT_TYPE, content: fixture("nodeconfig.txt") },
            { contentType: SHELL_SCRIPT_CONTENT_TYPE, content: fixture("shell.txt") },
            { contentType: NODECONFIG_CONTENT_TYPE, content: parseMimeArchive(AL2023_USERDATA)[0].content },
        ]);
    });

    it("AL2023: adds nothing where its own NodeConfig already turns the gate on", async () => {
        const own = `${NODECONFIG}  featureGates:\n    FastImagePull: true\n`;
        const r = await pools({ name: "gpu", userData: own });
        expect(spec(r, "gpu").userData).to.equal(own);
        // It is parallel pull all the same: the volume gets its throughput, the plan and pack see it.
        expect(spec(r, "gpu").blockDeviceMappings[0].ebs.throughput).to.equal(600);
        expect(imageArrivalOf(spec(r, "gpu"))).to.deep.equal({ parallelPull: true, snapshot: false });
    });

    it("Bottlerocket: keeps its settings, its own tuning of parallel pull included, and adds the two it needs", async () => {
        const own = `[settings.kernel.sysctl]
"vm.max_map_count" = "262144"

[settings.container-runtime]
max-concurrent-downloads = 3

[settings.container-runtime-plugins.soci-snapshotter.parallel-pull-unpack]
max-concurrent-downloads-per-image = 20
concurrent-download-chunk-size = "16mb"
`;
        const userData: string = spec(await pools({ ...BOTTLEROCKET, userData: own }), "bottlerocket").userData;
        expect(parseToml(userData)).to.deep.equal({
            settings: {
                kernel: { sysctl: { "vm.max_map_count": "262144" } },
                "container-runtime": { "max-concurrent-downloads": 3, snapshotter: "soci" },
                "container-runtime-plugins": {
                    "soci-snapshotter": {
                        "parallel-pull-unpack": {
                            "max-concurrent-downloads-per-image": 20,
                            "concurrent-download-chunk-size": "16mb",
                        },
                        "pull-mode": "parallel-pull-unpack",
                    },
                },
            },
        });
    });

    it("Bottlerocket: writes its values back with their TOML types: a float stays a float, a 64-bit integer exact", async () => {
        const own = `[settings.kernel]\nexample-float = 1.0\nexample-int = 9007199254740993\n`;
        const userData: string = spec(await pools({ ...BOTTLEROCKET, userData: own }), "bottlerocket").userData;
        expect(userData).to.contain("example-float = 1.0\n").and.to.contain("example-int = 9007199254740993\n");
    });

    const refused: [string, object, string][] = [
        [
            "an AL2023 gate set false while fastImagePull is true",
            { ...AL2023, userData: `${NODECONFIG}  featureGates:\n    FastImagePull: false\n` },
            `gpuPools[0].userData: turns nodeadm's featureGates.FastImagePull off (another value), and fastImagePull is true`,
        ],
        [
            "an AL2023 gate set true while fastImagePull is false",
            { name: "gpu", fastImagePull: false, userData: `${NODECONFIG}  featureGates:\n    FastImagePull: true\n` },
            `gpuPools[0].userData: turns nodeadm's featureGates.FastImagePull on, and fastImagePull is false`,
        ],
        [
            "another Bottlerocket snapshotter while fastImagePull is true",
            { ...BOTTLEROCKET, userData: `[settings.container-runtime]\nsnapshotter = "overlayfs"\n` },
            `gpuPools[0].userData: turns settings.container-runtime.snapshotter "soci" with the soci-snapshotter pull-mode "parallel-pull-unpack" off`,
        ],
        [
            "a MIME archive with a malformed header, which Karpenter cannot read",
            {
                name: "gpu",
                userData: fixture("mime_valid.txt").replace("Content-Type: multipart", "Content-Type multipart"),
            },
            `gpuPools[0].userData: is not user data Karpenter reads as a MIME multi-part archive: malformed MIME header line: "Content-Type multipart/mixed; boundary=\\"//\\""`,
        ],
        [
            "a MIME archive that is not multipart",
            { name: "gpu", userData: `Content-Type: text/plain\n\n${fixture("shell.txt")}` },
            `gpuPools[0].userData: is not user data Karpenter reads as a MIME multi-part archive: its Content-Type is text/plain, not multipart`,
        ],
        [
            "Bottlerocket settings that make a table parallel pull writes into something else",
            { ...BOTTLEROCKET, userData: `[settings]\ncontainer-runtime = "overlayfs"\n` },
            `gpuPools[0].userData: is not user data Karpenter reads as Bottlerocket's TOML: its settings.container-runtime is not a table`,
        ],
        [
            "Bottlerocket user data that is not TOML",
            { ...BOTTLEROCKET, userData: "[settings.kubernetes\nmax-pods = 110\n" },
            `gpuPools[0].userData: is not user data Karpenter reads as Bottlerocket's TOML`,
        ],
    ];
    for (const [what, pool, message] of refused) {
        it(`refuses ${what}, before anything is registered`, async () => {
            const e = await runError(pools(pool));
            expect(e.message).to.contain(naming(message, pool));
            expect((e as any).resources).to.be.empty;
        });
    }
});

describe("a pinned AMI older than parallel pull", () => {
    const refused: [string, object, RegExp][] = [
        [
            "AL2023 v20250801: its nodeadm ignores the unknown gate",
            { name: "gpu", amiAlias: "al2023@v20250801", fastImagePull: true },
            /gpuPools\[0\] "gpu"\.fastImagePull: AL2023 v20250801 predates nodeadm's FastImagePull gate: its nodeadm ignores a gate it does not know, so nodes would join and pull images as before, silently\. FastImagePull is in AMI release v20250821 and later \(amazon-eks-ami CHANGELOG\)/,
        ],
        [
            "AL2023 v20250813, which named it AggressiveImagePull",
            { name: "gpu", amiAlias: "al2023@v20250813", fastImagePull: true },
            /v20250813 named the gate AggressiveImagePull; v20250821 renamed it/,
        ],
        [
            "Bottlerocket 1.43.0: it refuses the unknown settings and never boots",
            { name: "gpu", amiAlias: "bottlerocket@v1.43.0", fastImagePull: true },
            /gpuPools\[0\] "gpu"\.fastImagePull: Bottlerocket v1\.43\.0 predates the SOCI snapshotter: it refuses user data with settings it does not know .* so nodes would never finish booting\. Parallel pull is in Bottlerocket 1\.44\.0 and later \(bottlerocket CHANGELOG, #4593\)/,
        ],
        [
            "AL2023 v20250801 turned on through the pool's own userData",
            {
                name: "gpu",
                amiAlias: "al2023@v20250801",
                userData:
                    "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  featureGates:\n    FastImagePull: true\n",
            },
            /gpuPools\[0\] "gpu"\.userData: AL2023 v20250801 predates nodeadm's FastImagePull gate/,
        ],
    ];
    for (const [what, pool, message] of refused) {
        it(`is refused with its reason and first release: ${what}`, async () => {
            const e = await runError(pools(pool));
            expect(e.message).to.match(message);
        });
    }

    it("the first releases with it, and @latest, are accepted", async () => {
        const r = await pools(
            { name: "a", amiAlias: "al2023@v20250821", fastImagePull: true },
            { name: "b", amiAlias: "bottlerocket@v1.44.0", fastImagePull: true },
            { name: "c", amiAlias: "al2023@latest", fastImagePull: true },
        );
        expect(expectValidKarpenter(r)).to.have.lengthOf(6);
    });
});

describe("imageSnapshot's checks", () => {
    const refused: [string, object, string][] = [
        [
            "an id that is not a snapshot's",
            { name: "gpu", amiAlias: "bottlerocket@latest", imageSnapshot: { snapshotId: "ami-0123456789abcdef0" } },
            `gpuPools[0].imageSnapshot.snapshotId: "ami-0123456789abcdef0" is not an EBS snapshot id; use one like "snap-0123456789abcdef0"`,
        ],
        [
            "no id",
            { name: "gpu", amiAlias: "bottlerocket@latest", imageSnapshot: { initializationRate: 200 } },
            `gpuPools[0].imageSnapshot.snapshotId: is required`,
        ],
        [
            "a rate under EBS's 100 MiB/s",
            {
                name: "gpu",
                amiAlias: "bottlerocket@latest",
                imageSnapshot: { snapshotId: SNAPSHOT, initializationRate: 50 },
            },
            `gpuPools[0].imageSnapshot.initializationRate: 50 is not allowed; use a whole number of MiB/s from 100 to 300`,
        ],
        [
            "an AL2023 pool",
            { name: "gpu", imageSnapshot: { snapshotId: SNAPSHOT } },
            `gpuPools[0].imageSnapshot: is for Bottlerocket pools`,
        ],
        [
            "RAID0 set with it",
            {
                name: "gpu",
                amiAlias: "bottlerocket@latest",
                instanceStorePolicy: "RAID0",
                imageSnapshot: { snapshotId: SNAPSHOT },
            },
            `gpuPools[0].instanceStorePolicy: "RAID0" cannot go with imageSnapshot`,
        ],
        [
            "a misspelt key",
            { name: "gpu", amiAlias: "bottlerocket@latest", imageSnapshot: { snapshotID: SNAPSHOT } },
            `gpuPools[0].imageSnapshot.snapshotID: unknown setting (did you mean "snapshotId"?)`,
        ],
    ];
    for (const [what, pool, message] of refused) {
        it(`refuses ${what}`, async () => {
            expect((await runError(pools(pool))).message).to.contain(naming(message, pool));
        });
    }

    it("refuses a rate on Karpenter before 1.5.0, whose CRD would drop it, and takes the snapshot alone there", async () => {
        const pool = {
            name: "gpu",
            amiAlias: "bottlerocket@latest",
            imageSnapshot: { snapshotId: SNAPSHOT, initializationRate: 200 },
        };
        // Karpenter 1.4 runs Kubernetes up to 1.32 (its compatibility matrix).
        const cluster132 = () => fakeCluster(c => (c.cluster.version = "1.32"));
        const e = await runError(run("dev", { karpenterVersion: "1.4.0", gpuPools: [pool] }, cluster132()));
        expect(e.message).to.contain(
            `gpuPools[0] "gpu".imageSnapshot.initializationRate: needs Karpenter 1.5.0 or later, whose EC2NodeClass has volumeInitializationRate (karpenterVersion is "1.4.0")`,
        );
        const r = await run(
            "dev",
            {
                karpenterVersion: "1.4.0",
                gpuPools: [{ ...pool, imageSnapshot: { snapshotId: SNAPSHOT } }],
            },
            cluster132(),
        );
        expect(spec(r, "gpu").blockDeviceMappings[1].ebs).to.include({ snapshotID: SNAPSHOT });
        expect(spec(r, "gpu").blockDeviceMappings[1].ebs).not.to.have.property("volumeInitializationRate");
        expect(r.warnings.join("\n")).to.contain(`GPU pool "gpu": imageSnapshot has no initializationRate`);
    });

    it("takes instanceStorePolicy none with it, and parallel pull for images not on the snapshot", async () => {
        const r = await pools({ ...FROM_SNAPSHOT, instanceStorePolicy: "none", fastImagePull: true });
        expect(imageArrivalOf(spec(r, "snapshot"))).to.deep.equal({ parallelPull: true, snapshot: true });
        expectValidKarpenter(r);
    });
});

describe("what parallel pull will not do on some nodes, as deployment warnings", () => {
    it("names the types nodeadm skips below its size threshold at a release before v20251016", async () => {
        const r = await pools({
            name: "gpu",
            instanceFamilies: ["g5"],
            amiAlias: "al2023@v20251007",
            fastImagePull: true,
        });
        expect(r.warnings).to.include(
            `GPU pool "gpu": nodeadm at al2023@v20251007 ignores FastImagePull on instances with fewer than 8 vCPUs or 8 GiB, ` +
                `so images reach g5.xlarge by the usual pull (from v20251016 the threshold is 4 vCPUs and 7 GiB)`,
        );
        expect(r.warnings.join("\n")).to.contain(
            `GPU pool "gpu": at al2023@v20251007 the SOCI snapshotter keeps the unpacked images on the root volume, not on the RAID0 instance store (AL2023 v20251217 puts them there)`,
        );
        const latest = await pools({ name: "gpu", instanceFamilies: ["g5"], fastImagePull: true });
        expect(latest.warnings).to.deep.equal([]);
    });

    it("keeps an explicit throughput under 600 MiB/s, and says what it costs", async () => {
        const r = await pools({ ...AL2023, rootVolumeThroughput: 250 });
        expect(spec(r, "al2023").blockDeviceMappings[0].ebs.throughput).to.equal(250);
        expect(r.warnings.join("\n")).to.contain(
            `GPU pool "al2023": rootVolumeThroughput 250 MiB/s is below the 600 MiB/s nodeadm's documentation asks for with parallel pull`,
        );
    });
});

describe("the plan's GPU pools table", () => {
    it("says per pool how its images arrive: pull, parallel pull, a snapshot and its rate", async () => {
        const r = await pools(AL2023, BOTTLEROCKET, FROM_SNAPSHOT, { name: "plain" });
        const objects = r.resources.filter(x => x.type === NODECLASS || x.type === NODEPOOL).map(x => x.inputs as any);
        const rows = gpuPoolRows(objects, costReport(objects, r.region));
        expect(Object.fromEntries(rows.map(row => [row.pool, row.images]))).to.deep.equal({
            al2023: "parallel pull",
            bottlerocket: "parallel pull",
            snapshot: "snapshot@300MiB/s",
            plain: "pull",
        });
    });
});

describe("the examples use the fast paths where they fit", () => {
    const ROOT = path.join(__dirname, "..");
    const prodPools = () =>
        parseYaml(readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")).config["gpu-karpenter:gpuPools"];

    it("examples/: the inference deployment and the training job run on prod pools that pull in parallel", () => {
        for (const [file, pool] of [
            ["inference-deployment.yaml", "inference"],
            ["training-job.yaml", "training"],
        ]) {
            const manifest: any = parseYaml(readFileSync(path.join(ROOT, "examples", file), "utf8"));
            const pod = manifest.spec.template.spec;
            expect(pod.nodeSelector, file).to.deep.equal({ "karpenter.sh/nodepool": pool });
            expect(pod.tolerations, file).to.deep.include({
                key: "nvidia.com/gpu",
                operator: "Exists",
                effect: "NoSchedule",
            });
            expect(
                prodPools().find((p: any) => p.name === pool),
                file,
            ).to.include({ fastImagePull: true });
        }
    });

    it("docs/training.md's recommended training and inference pools are valid, and take parallel pull and a snapshot", async () => {
        const training = readFileSync(path.join(ROOT, "docs", "training.md"), "utf8");
        const block = training.split("Recommended, in a stack's config file")[1].split("```yaml\n")[1].split("```")[0];
        const recommended = parseYaml(block)["gpu-karpenter:gpuPools"];
        const r = await run("dev", { gpuPools: recommended });
        expectValidKarpenter(r);
        expect(imageArrivalOf(spec(r, "training"))).to.deep.equal({ parallelPull: true, snapshot: false });
        expect(imageArrivalOf(spec(r, "inference"))).to.deep.equal({ parallelPull: true, snapshot: true });
    });
});
