// What a real `pulumi up`, day-2 change and `pulumi destroy` depend on: the CLI accepting the stack,
// first launches in a fresh account, cluster login, and what replacement and deletion do.
import { expect } from "chai";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { resolveArgs } from "../components/args";
import { kubeconfig, loginIdentity } from "../components/gpu-karpenter";
import { STACK_CONFIG_KEYS } from "../components/stack-config";
import { validateKarpenterObject } from "../offline/karpenter-schema";
import { mergeStackConfig, validateProject, PulumiProjectError } from "../offline/pulumi-project";
import { stackConfig } from "../offline/stack";
import { awaitCreate, parseJsonPath, type AwaitOutcome } from "../offline/kubernetes-await";
import type { ProgramRun, RecordedResource } from "../offline/run-program";
import {
    NODECLASS,
    NODEPOOL,
    RELEASE,
    expectValidKarpenter,
    fakeCluster,
    ofType,
    one,
    planCli,
    planCliIn,
    projectCopy,
    run,
    runError,
} from "./helpers";
import { fromYaml } from "../components/yaml";

const ROOT = path.resolve(__dirname, "..");
const PROVIDER = "pulumi:providers:kubernetes";
const project = () => validateProject(fromYaml(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")));

function thrown(fn: () => unknown): Error {
    try {
        fn();
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected it to throw");
}

describe("the Pulumi CLI's rules for Pulumi.yaml and stack config (pkg/workspace/config.go mergeConfig)", () => {
    it("accepts Pulumi.yaml against the project schema, every key it declares with a default", () => {
        const config = project().config;
        const required = Object.keys(config).filter(
            k => config[k].default === undefined && config[k].value === undefined,
        );
        // clusterName is required by the program, which names a misspelt one; the CLI would only say it is missing.
        expect(required).to.deep.equal([]);
        expect(config).not.to.have.property("clusterName");
        expect(config.controller.type).to.equal("object");
        expect(config.gpuPools).to.deep.include({ type: "array", items: { type: "object" } });
    });

    it("accepts every stack file in the repo, and one that sets only clusterName and aws:region", () => {
        const stacks = readdirSync(ROOT)
            .filter(f => /^Pulumi\.[^.]+\.yaml$/.test(f))
            .map(f => f.split(".")[1]);
        expect(stacks).to.include.members(["dev", "prod"]);
        for (const stack of stacks) expect(() => stackConfig(stack), stack).not.to.throw();
        const minimal = mergeStackConfig("minimal", project(), {
            "aws:region": "us-west-2",
            "gpu-karpenter:clusterName": "c",
        });
        expect(minimal["gpu-karpenter:gpuPools"]).to.equal(JSON.stringify([{ name: "gpu" }]));
    });

    it("names missing required keys as the CLI does, one or several", () => {
        const p = project();
        p.config.teamName = { type: "string" };
        expect(thrown(() => mergeStackConfig("dev", p, {})).message).to.equal(
            "Stack 'dev' is missing configuration value 'teamName'",
        );
        p.config.budget = { type: "integer" };
        p.config.costCenter = { type: "string" };
        expect(thrown(() => mergeStackConfig("dev", p, {})).message).to.equal(
            "Stack 'dev' is missing configuration values 'budget', 'costCenter' and 'teamName'",
        );
        expect(
            thrown(() => mergeStackConfig("dev", p, { "gpu-karpenter:costCenter": "c", "gpu-karpenter:budget": 5 }))
                .message,
        ).to.equal("Stack 'dev' is missing configuration value 'teamName'");
    });

    it("stops at the first key, in key order, whose value is not of its declared type", () => {
        const e = thrown(() =>
            mergeStackConfig("dev", project(), {
                "gpu-karpenter:clusterName": "c",
                "gpu-karpenter:tags": ["a"],
                "gpu-karpenter:controller": "big",
            }),
        );
        expect(e).to.be.instanceOf(PulumiProjectError);
        expect(e.message).to.equal("Stack 'dev' with configuration key 'controller' must be of type 'object'");
        expect(
            thrown(() =>
                mergeStackConfig("dev", project(), {
                    "gpu-karpenter:clusterName": "c",
                    "gpu-karpenter:gpuPools": ["gpu"],
                }),
            ).message,
        ).to.equal("Stack 'dev' with configuration key 'gpuPools' must be of type 'array<object>'");
        // YAML scalars reach the CLI as text: "true" is a boolean, a number is a string.
        expect(() =>
            mergeStackConfig("dev", project(), {
                "gpu-karpenter:clusterName": 1234,
                "gpu-karpenter:createCluster": "true",
                "gpu-karpenter:karpenterVersion": 1.14,
            }),
        ).not.to.throw();
    });

    it("refuses what Project.Validate refuses: an array without items, a default of the wrong type, a stack key without namespace", () => {
        expect(
            thrown(() => validateProject({ name: "p", runtime: "nodejs", config: { a: { type: "array" } } })).message,
        ).to.contain("declares an array but does not specify the underlying type via the 'items' attribute");
        expect(
            thrown(() =>
                validateProject({ name: "p", runtime: "nodejs", config: { a: { type: "boolean", default: "yes" } } }),
            ).message,
        ).to.equal("The default value specified for configuration key 'a' is not of the expected type 'boolean'");
        expect(
            thrown(() => validateProject({ name: "p", runtime: "nodejs", config: { a: { type: "map" } } })).message,
        ).to.contain("does not match the Pulumi project schema");
        expect(thrown(() => mergeStackConfig("dev", project(), { clusterName: "c" })).message).to.contain(
            "could not parse clusterName as a configuration key",
        );
    });

    it("declares each key with the type the program reads it as, and the README lists every key", () => {
        const config = project().config;
        const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
        for (const [key, type] of Object.entries(STACK_CONFIG_KEYS)) {
            if (config[key]) expect(config[key].type, key).to.equal(type);
            expect(readme.includes(`| \`${key}\` |`) || readme.includes(`| \`${key}.`), key).to.equal(true);
        }
        for (const key of Object.keys(config)) expect(STACK_CONFIG_KEYS, key).to.have.property(key);
    });

    it("declares defaults the program treats exactly as unset", () => {
        const config = project().config;
        const defaults = Object.fromEntries(
            Object.entries(config)
                .filter(([k, d]) => d.default !== undefined && k in STACK_CONFIG_KEYS)
                .filter(([k]) => k !== "createCluster")
                .map(([k, d]) => [k, d.default]),
        );
        expect(Object.keys(defaults)).to.include.members([
            "gpuPools",
            "controller",
            "tags",
            "karpenterVersion",
            "discovery",
        ]);
        const withDefaults = resolveArgs({ clusterName: "c", ...defaults });
        expect(withDefaults).to.deep.equal(resolveArgs({ clusterName: "c" }));
    });
});

describe("the plan applies the CLI's rules before the program runs", function () {
    this.timeout(60000);
    let tmp: string;
    let copy: string;
    before(() => {
        tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-project-"));
        // A copy of the project, whose Pulumi.yaml may be changed.
        copy = projectCopy(tmp);
    });
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it("exits 2 with the CLI's message when Pulumi.yaml declares a key the stack does not set", async () => {
        const file = path.join(copy, "Pulumi.yaml");
        writeFileSync(
            file,
            readFileSync(file, "utf8") + "  costCenter:\n    type: string\n    description: required of every stack\n",
        );
        const result = await planCliIn(copy, ["--stack", "dev", "--out", path.join(copy, "out")]);
        expect(result.code).to.equal(2);
        expect(result.stderr.trim()).to.equal("error: Stack 'dev' is missing configuration value 'costCenter'");
    });
});

describe("reading stack config as the program receives it", () => {
    it("keeps a string key a string: karpenterVersion 1.14 is named as not a release version", async () => {
        const e = await runError(run("dev", { karpenterVersion: "1.14" }));
        expect(e.message).to.contain(
            `gpu-karpenter:karpenterVersion: "1.14" is not a release version; use one like "1.14.1"`,
        );
    });

    it("names a near miss of the project's namespace instead of ignoring it", async () => {
        const e = await runError(run("dev", { "gpu-karptener:identity": "podIdentity" }));
        expect(e.message).to.contain(
            `gpu-karptener:identity: unknown namespace "gpu-karptener" (did you mean "gpu-karpenter:identity"?)`,
        );
    });

    it("reads booleans as Pulumi hands them over, and names one that is not", async () => {
        const r = await run("dev", { interruptionQueue: "false" });
        expect(ofType(r, "aws:sqs/queue:Queue")).to.be.empty;
        const e = await runError(run("dev", { interruptionQueue: "nope" }));
        expect(e.message).to.contain(`gpu-karpenter:interruptionQueue: "nope" is not a boolean; use true or false`);
    });
});

describe("createCluster", () => {
    const subnets = ["subnet-0a1111111111111aa", "subnet-0b2222222222222bb"];

    it("puts the cluster in the subnets' VPC, or the vpcId given", async () => {
        const r = await run("dev", { createCluster: true, subnetIds: subnets });
        expect(one(r, "eks:index:Cluster", "dev-ai").inputs).to.deep.include({
            vpcId: "vpc-0a1b2c3d4e5f60718",
            subnetIds: subnets,
        });
        const given = await run("dev", { createCluster: true, subnetIds: subnets, vpcId: "vpc-0fedcba9876543210" });
        expect(one(given, "eks:index:Cluster", "dev-ai").inputs.vpcId).to.equal("vpc-0fedcba9876543210");
    });

    it("gives GPU nodes EKS's cluster security group, the one the managed node group's nodes have", async () => {
        const r = await run("dev", { createCluster: true, subnetIds: subnets });
        const nodeClass = one(r, NODECLASS, "gpu-karpenter-gpu-nodeclass").inputs as any;
        expect(nodeClass.spec.securityGroupSelectorTerms).to.deep.equal([{ id: "sg-0c1a2b3c4d5e6f708" }]);
    });

    it("refuses vpcId without createCluster", async () => {
        const e = await runError(run("dev", { vpcId: "vpc-0fedcba9876543210" }));
        expect(e.message).to.contain("gpu-karpenter:vpcId: only applies with createCluster: true");
    });
});

describe("a first launch in a fresh account", () => {
    it("creates EC2's spot service-linked role where the account has none, and keeps it on destroy", async () => {
        const r = await run(
            "dev",
            {},
            fakeCluster(f => {
                f.spotServiceLinkedRole = false;
            }),
        );
        const role = one(r, "aws:iam/serviceLinkedRole:ServiceLinkedRole", "gpu-karpenter-spot-service-role");
        expect(role.inputs.awsServiceName).to.equal("spot.amazonaws.com");
        expect(role.options.retainOnDelete).to.equal(true);
        expect(one(r, RELEASE, "gpu-karpenter-karpenter").dependencies).to.include(role.urn);
    });

    it("leaves the role alone where it exists, and asks nothing of an account without spot pools", async () => {
        expect(ofType(await run("dev"), "aws:iam/serviceLinkedRole:ServiceLinkedRole")).to.be.empty;
        const onDemand = await run(
            "dev",
            { gpuPools: [{ name: "gpu", capacityTypes: ["on-demand"] }] },
            fakeCluster(f => {
                f.spotServiceLinkedRole = false;
                f.deniedLookups = ["aws:iam/getRole:getRole"];
            }),
        );
        expect(ofType(onDemand, "aws:iam/serviceLinkedRole:ServiceLinkedRole")).to.be.empty;
    });

    it("reports a look-up it may not make as a failure, not as a missing role or OIDC provider", async () => {
        const denied = (token: string) =>
            runError(
                run(
                    "dev",
                    {},
                    fakeCluster(f => void (f.deniedLookups = [token])),
                ),
            );
        const role = await denied("aws:iam/getRole:getRole");
        expect(role.message).to.contain(
            "looking up the IAM role AWSServiceRoleForEC2Spot (spot GPU pools need it) failed",
        );
        expect(role.message).to.contain("AccessDenied");
        const oidc = await denied("aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider");
        expect(oidc.message).to.contain(
            `identity: "irsa": looking up the IAM OIDC provider for https://oidc.eks.us-west-2.amazonaws.com/id/`,
        );
        expect(oidc.message).to.contain("AccessDenied").and.not.to.contain("and there is none");
    });

    it("says there is no OIDC provider only when the look-up finds none", async () => {
        const e = await runError(
            run(
                "dev",
                {},
                fakeCluster(f => {
                    f.cluster.oidcProvider = false;
                }),
            ),
        );
        expect(e.message)
            .to.contain(`identity: "irsa" needs an IAM OIDC provider`)
            .and.to.contain(`or use "podIdentity"`);
    });
});

describe("node access for a role that already has it", () => {
    const arn = "arn:aws:iam::111122223333:role/eks-managed-gpu-nodes";
    const withEntry = () =>
        fakeCluster(f => {
            f.cluster.accessEntries = [arn];
        });

    it("reuses the access entry EKS made for a managed node group's role (nodeAccess auto)", async () => {
        const r = await run("dev", { nodeRoleArn: arn }, withEntry());
        expect(ofType(r, "aws:eks/accessEntry:AccessEntry")).to.be.empty;
        const fresh = await run("dev", { nodeRoleArn: arn });
        expect(one(fresh, "aws:eks/accessEntry:AccessEntry", "gpu-karpenter-node-access").inputs.principalArn).to.equal(
            arn,
        );
    });

    it("creates nothing with nodeAccess none, refuses an entry that exists, and none for a role it creates", async () => {
        const none = await run("dev", { nodeRoleArn: arn, nodeAccess: "none" });
        expect(ofType(none, "aws:eks/accessEntry:AccessEntry")).to.be.empty;
        expect(ofType(none, "kubernetes:core/v1:ConfigMapPatch")).to.be.empty;
        const exists = await runError(run("dev", { nodeRoleArn: arn, nodeAccess: "accessEntry" }, withEntry()));
        expect(exists.message).to.contain(
            `nodeAccess: "accessEntry": ${arn} already has an access entry in cluster dev-ai`,
        );
        const created = await runError(run("dev", { nodeAccess: "none" }));
        expect(created.message).to.contain(`gpu-karpenter:nodeAccess: "none" needs nodeRoleArn`);
    });

    const PATCH = "kubernetes:core/v1:ConfigMapPatch";
    const mapRoles = (r: ProgramRun) =>
        fromYaml((one(r, PATCH, "gpu-karpenter-aws-auth").inputs.data as any).mapRoles) as { rolearn: string }[];
    const configMapOnly = (changes: (c: ReturnType<typeof fakeCluster>["cluster"]) => void = () => undefined) =>
        fakeCluster(f => {
            f.cluster.authenticationMode = "CONFIG_MAP";
            f.cluster.nodeGroups = [];
            changes(f.cluster);
        });

    it("on a CONFIG_MAP cluster without aws-auth (no managed node group made it), creates it, then reads it, and maps the node role", async () => {
        const bare = configMapOnly(c => {
            delete c.awsAuth;
        });
        for (const nodeAccess of ["auto", "awsAuth"]) {
            const r = await run("dev", { subnetIds: ["subnet-0a1111111111111aa"], nodeAccess }, bare);
            const present = one(r, PATCH, "gpu-karpenter-aws-auth-present");
            // Sets no field: where aws-auth exists the apply changes nothing, where it is missing it creates it.
            expect(present.inputs).to.deep.equal({
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "aws-auth", namespace: "kube-system" },
            });
            expect(present.options.retainOnDelete).to.equal(true);
            expect(mapRoles(r).map(m => m.rolearn)).to.deep.equal([
                "arn:aws:iam::111122223333:role/gpu-karpenter-node-role-abb0d61",
            ]);
            expect(r.warnings).to.be.empty;
        }
    });

    it("on a CONFIG_MAP cluster whose self-managed nodes made aws-auth, keeps their mappings", async () => {
        const selfManaged = configMapOnly(c => {
            c.awsAuth = {
                mapRoles:
                    "- rolearn: arn:aws:iam::111122223333:role/self-managed-nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n",
            };
        });
        const r = await run("dev", { subnetIds: ["subnet-0a1111111111111aa"], nodeAccess: "awsAuth" }, selfManaged);
        expect(mapRoles(r).map(m => m.rolearn)).to.deep.equal([
            "arn:aws:iam::111122223333:role/self-managed-nodes",
            "arn:aws:iam::111122223333:role/gpu-karpenter-node-role-abb0d61",
        ]);
    });
});

describe("Karpenter's CRDs", () => {
    let dev: ProgramRun;
    before(async () => {
        dev = await run("dev");
    });

    it("are adopted where kubectl or the karpenter chart installed them, and kept when the release is uninstalled", () => {
        const crds = one(dev, RELEASE, "gpu-karpenter-karpenter-crd").inputs as any;
        expect(crds.takeOwnership).to.equal(true);
        expect(crds.values).to.deep.equal({ additionalAnnotations: { "helm.sh/resource-policy": "keep" } });
        expect(crds.namespace).to.equal("kube-system");
    });

    it("move with the controller, adopted by the new release and kept by the old; the old controller goes first", async () => {
        const moved = await run("dev", { namespace: "karpenter" });
        const crds = one(moved, RELEASE, "gpu-karpenter-karpenter-crd");
        expect(crds.inputs).to.deep.include({ namespace: "karpenter", createNamespace: true, takeOwnership: true });
        // Created before the old release is deleted, so the CRDs always have an owner.
        expect(crds.options.deleteBeforeReplace).to.equal(undefined);
        const controller = one(moved, RELEASE, "gpu-karpenter-karpenter");
        expect(controller.inputs).to.deep.include({ namespace: "karpenter", createNamespace: true });
        expect(controller.options.deleteBeforeReplace).to.equal(true);
    });
});

describe("logging in to the cluster as the stack's AWS identity", () => {
    function user(r: ProgramRun) {
        const provider = one(r, PROVIDER, "gpu-karpenter-k8s").inputs as any;
        return JSON.parse(provider.kubeconfig).users[0].user.exec;
    }

    it("runs aws eks get-token with the stack's aws:profile and the last of its aws:assumeRoles", async () => {
        const r = await run("dev", {
            "aws:profile": "ml-platform",
            "aws:assumeRoles": [
                { roleArn: "arn:aws:iam::111122223333:role/hub" },
                { roleArn: "arn:aws:iam::111122223333:role/deployer" },
            ],
        });
        const getToken = ["eks", "get-token", "--cluster-name", "dev-ai", "--region", "us-west-2", "--output", "json"];
        expect(user(r).args).to.deep.equal([
            ...getToken,
            "--profile",
            "ml-platform",
            "--role-arn",
            "arn:aws:iam::111122223333:role/deployer",
        ]);
        expect(user(await run("dev")).args).to.deep.equal(getToken);
    });

    it("lets a caller of the component name the profile and role", () => {
        const aws = { get: () => "stack-profile", getObject: () => undefined } as any;
        expect(loginIdentity({ roleArn: "arn:aws:iam::111122223333:role/ci" }, aws)).to.deep.equal({
            profileName: "stack-profile",
            roleArn: "arn:aws:iam::111122223333:role/ci",
        });
        const config = JSON.parse(kubeconfig("c", "https://x", "ca", "eu-west-1", { profileName: "p" }));
        expect(config.users[0].user.exec.args.slice(-2)).to.deep.equal(["--profile", "p"]);
    });

    it("gives the provider a clusterIdentifier known at preview, so only another cluster replaces it", async () => {
        const r = await run("dev");
        expect(one(r, PROVIDER, "gpu-karpenter-k8s").inputs.clusterIdentifier).to.equal("dev-ai");
    });
});

describe("day-2 changes", () => {
    const checksum = (r: ProgramRun) =>
        (one(r, RELEASE, "gpu-karpenter-karpenter").inputs.values as any).podAnnotations[
            "gpu-karpenter.io/identity-checksum"
        ];

    it("rolls the controller pods when the identity mode or the controller role changes, and only then", async () => {
        const irsa = checksum(await run("dev"));
        expect(irsa).to.match(/^[0-9a-f]{16}$/);
        expect(checksum(await run("dev", { tags: { environment: "dev" } }))).to.equal(irsa);
        expect(checksum(await run("dev", { identity: "podIdentity" }))).not.to.equal(irsa);
        expect(checksum(await run("dev", { controllerRoleName: "karpenter-dev" }))).not.to.equal(irsa);
    });

    it("accepts the Balanced consolidation policy from Karpenter 1.14, and refuses it before", async () => {
        const r = await run("dev", { gpuPools: [{ name: "gpu", consolidationPolicy: "Balanced" }] });
        const pool = one(r, NODEPOOL, "gpu-karpenter-gpu-nodepool").inputs as any;
        expect(pool.spec.disruption.consolidationPolicy).to.equal("Balanced");
        expect(validateKarpenterObject(pool)).to.deep.equal([]);
        const old = await runError(
            run("dev", { karpenterVersion: "1.13.2", gpuPools: [{ name: "gpu", consolidationPolicy: "Balanced" }] }),
        );
        expect(old.message).to.contain(
            `gpu-karpenter:gpuPools[0] "gpu".consolidationPolicy: "Balanced" needs Karpenter 1.14.0 or later`,
        );
    });
});

// The states Karpenter 1.14's nodeclass controller writes (awslabs/operatorpkg status.ConditionSet: each
// condition carries the generation it judged; Ready's message lists the unhealthy conditions).
interface Judged {
    status: "False" | "Unknown";
    reason?: string;
    message?: string;
}
const NODE_CLASS_CONDITIONS = [
    "AMIsReady",
    "CapacityReservationsReady",
    "InstanceProfileReady",
    "SecurityGroupsReady",
    "SubnetsReady",
    "ValidationSucceeded",
];

function karpenterWrites(
    nodeClass: { inputs: Record<string, unknown> },
    generation: number,
    unhealthy: Record<string, Judged> = {},
    judgedGeneration = generation,
): Record<string, any> {
    const condition = (type: string, status: string, reason: string, message = "") => ({
        type,
        status,
        reason,
        message,
        observedGeneration: judgedGeneration,
        lastTransitionTime: "2026-12-01T10:00:00Z",
    });
    const dependents = NODE_CLASS_CONDITIONS.map(type =>
        unhealthy[type]
            ? condition(
                  type,
                  unhealthy[type].status,
                  unhealthy[type].reason ?? "AwaitingReconciliation",
                  unhealthy[type].message,
              )
            : condition(type, "True", type),
    );
    const bad = dependents.filter(c => c.status !== "True");
    const ready =
        bad.length === 0
            ? condition("Ready", "True", "Ready")
            : bad.some(c => c.status === "False")
              ? condition("Ready", "False", "UnhealthyDependents", bad.map(c => `${c.type}=${c.status}`).join(", "))
              : condition(
                    "Ready",
                    "Unknown",
                    "ReconcilingDependents",
                    bad.map(c => `${c.type}=${c.status}`).join(", "),
                );
    return {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { ...(nodeClass.inputs.metadata as object), generation, uid: "5d3c2f1e" },
        spec: nodeClass.inputs.spec,
        status: {
            instanceProfile: "gpu-karpenter_1234",
            subnets: [{ id: "subnet-0a1", zone: "us-west-2a" }],
            conditions: [...dependents, ready],
        },
    };
}

const NO_SUBNETS: Judged = {
    status: "False",
    reason: "SubnetsNotFound",
    message: "SubnetSelector did not match any Subnets",
};
const errorOf = (outcome: AwaitOutcome) => {
    if (outcome.ready) throw new Error("expected the wait to fail");
    return outcome.error;
};

describe("pulumi up waits for each EC2NodeClass to be Ready (pulumi-kubernetes await/condition/jsonpath.go)", () => {
    let nodeClass: RecordedResource;
    let annotation: string;
    before(async () => {
        nodeClass = one(await run("dev"), NODECLASS, "gpu-karpenter-gpu-nodeclass");
        annotation = (nodeClass.inputs.metadata as any).annotations["pulumi.com/waitFor"];
    });
    const up = (...states: Record<string, any>[]) => awaitCreate(nodeClass.urn, annotation, states);

    it("gives the provider a JSONPath it parses, waiting at most 5 minutes", () => {
        expect(parseJsonPath(annotation)).to.include({ value: "True" });
        expect(nodeClass.options.customTimeouts).to.deep.equal({ create: "5m", update: "5m" });
    });

    it("finishes once Karpenter has judged the pool Ready", () => {
        const reconciling = karpenterWrites(nodeClass, 1, {
            AMIsReady: { status: "Unknown" },
            SubnetsReady: { status: "Unknown" },
        });
        const ready = karpenterWrites(nodeClass, 1);
        expect(up(reconciling, ready)).to.deep.equal({ ready: true, live: ready });
    });

    it("fails with each condition's message when the pool cannot launch, not just a timeout", () => {
        const error = errorOf(
            up(
                karpenterWrites(nodeClass, 1, { SubnetsReady: { status: "Unknown" } }),
                karpenterWrites(nodeClass, 1, { SubnetsReady: NO_SUBNETS }),
            ),
        );
        expect(error).to.match(
            /^resource "urn:pulumi:dev::gpu-karpenter::.*EC2NodeClass::gpu-karpenter-gpu-nodeclass" was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: /,
        );
        expect(error).to.contain(
            "message:SubnetSelector did not match any Subnets observedGeneration:1 reason:SubnetsNotFound status:False type:SubnetsReady",
        );
        expect(error).to.contain(
            "message:SubnetsReady=False observedGeneration:1 reason:UnhealthyDependents status:False type:Ready",
        );
    });

    it("recovers when the failing condition clears before the timeout", () => {
        const noProfile = karpenterWrites(nodeClass, 1, {
            InstanceProfileReady: { status: "False", reason: "InstanceProfileCreationFailed", message: "AccessDenied" },
        });
        expect(up(noProfile, karpenterWrites(nodeClass, 1)).ready).to.equal(true);
    });

    it("does not take conditions judged on the previous spec for this one", () => {
        const staleReady = karpenterWrites(nodeClass, 2, {}, 1);
        expect(errorOf(up(staleReady))).to.match(/become live: timed out waiting for the condition$/);
        expect(up(staleReady, karpenterWrites(nodeClass, 2)).ready).to.equal(true);
        const staleFailure = karpenterWrites(nodeClass, 2, { SubnetsReady: NO_SUBNETS }, 1);
        expect(errorOf(up(staleFailure))).to.match(/become live: timed out waiting for the condition$/);
    });

    it("times out plainly while the controller has written no status", () => {
        expect(errorOf(up({ ...karpenterWrites(nodeClass, 1), status: {} }))).to.match(
            /become live: timed out waiting for the condition$/,
        );
    });
});

describe("destroy", () => {
    it("waits for each pool's drain, bounded by its terminationGracePeriod, and its instances to terminate", async () => {
        const r = await run("dev", { gpuPools: [{ name: "gpu" }, { name: "train", terminationGracePeriod: "8h" }] });
        const pool = (name: string) => one(r, NODEPOOL, `gpu-karpenter-${name}-nodepool`);
        expect((pool("gpu").inputs.spec as any).template.spec.terminationGracePeriod).to.equal("1h");
        expect(pool("gpu").options.customTimeouts).to.deep.equal({ delete: "75m" });
        expect((pool("train").inputs.spec as any).template.spec.terminationGracePeriod).to.equal("8h");
        expect(pool("train").options.customTimeouts).to.deep.equal({ delete: "495m" });
        expectValidKarpenter(r);
    });

    it("refuses a grace period that never ends", async () => {
        const e = await runError(run("dev", { gpuPools: [{ name: "gpu", terminationGracePeriod: "Never" }] }));
        expect(e.message).to.contain(`gpu-karpenter:gpuPools[0] "gpu".terminationGracePeriod: "Never" is not allowed`);
    });
});

describe("discovery tags on subnets and security groups the stack does not own", () => {
    it("are only added with discovery tags, selected by tag, and kept on destroy", async () => {
        const r = await run("dev", { discovery: "tags" });
        const tags = ofType(r, "aws:ec2/tag:Tag");
        expect(tags.map(t => t.inputs.resourceId)).to.deep.equal([
            "subnet-0a1111111111111aa",
            "subnet-0b2222222222222bb",
            "subnet-0c3333333333333cc",
            "sg-0c1a2b3c4d5e6f708",
        ]);
        for (const t of tags) {
            expect(t.inputs).to.deep.include({ key: "karpenter.sh/discovery", value: "dev-ai" });
            expect(t.options.retainOnDelete).to.equal(true);
        }
        const nodeClass = one(r, NODECLASS, "gpu-karpenter-gpu-nodeclass").inputs as any;
        expect(nodeClass.spec.subnetSelectorTerms).to.deep.equal([{ tags: { "karpenter.sh/discovery": "dev-ai" } }]);
        expect(one(r, RELEASE, "gpu-karpenter-karpenter").dependencies).to.include.members(tags.map(t => t.urn));
    });

    it("never overwrite another cluster's discovery tag", async () => {
        const shared = fakeCluster(f => {
            f.resourceTags = { "subnet-0b2222222222222bb": { "karpenter.sh/discovery": "batch" } };
        });
        const e = await runError(run("dev", { discovery: "tags" }, shared));
        expect(e.message).to.contain(
            `discovery: "tags" would overwrite another cluster's discovery tag on ` +
                `subnet-0b2222222222222bb (karpenter.sh/discovery=batch)`,
        );
        expect((await run("dev", {}, shared)).resources.some(x => x.type === "aws:ec2/tag:Tag")).to.equal(false);
    });
});

describe("the --cluster file", function () {
    this.timeout(60000);
    const tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-cluster-"));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    async function planWith(content: string) {
        const file = path.join(tmp, `c${Math.random().toString(36).slice(2)}.json`);
        writeFileSync(file, content);
        const result = await planCli("--cluster", file, "--out", path.join(tmp, "out"));
        return { code: result.code, stderr: result.stderr.replace(file, "FILE") };
    }

    it("refuses unknown keys and anything but an object, naming what is wrong", async () => {
        const unknown = await planWith(JSON.stringify({ acountId: "111122223333", cluster: { nodegroups: [] } }));
        expect(unknown.code).to.equal(2);
        expect(unknown.stderr).to.contain("--cluster FILE: acountId unknown; allowed: accountId");
        const nested = await planWith(JSON.stringify({ cluster: { nodegroups: [] } }));
        expect(nested.stderr).to.contain("--cluster FILE: cluster.nodegroups unknown; allowed:");
        const list = await planWith("[]");
        expect(list.code).to.equal(2);
        expect(list.stderr).to.contain("--cluster FILE: (the whole file) must be a JSON object");
        expect(list.stderr).not.to.match(/TypeError|\n\s+at /);
    });
});
