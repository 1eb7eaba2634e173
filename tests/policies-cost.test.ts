import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { validatePolicyPackConfig } from "../policies/policy-config";
import { EngineResource, PolicyPackConfig, UNKNOWN, evaluateResources } from "../policies/rules";
import { nodePoolCost } from "../policies/cost";
import { checkManifests } from "./helpers";
import { SPOT, byName, engineReports, nodePool as gpuPool, req, stackReports } from "./policy-resources";

const POOL_POLICY = "gpu-nodepool-hourly-cost";
const STACK_POLICY = "gpu-stack-hourly-cost";
const types = (...t: string[]) => req("node.kubernetes.io/instance-type", "In", ...t);
const families = (...f: string[]) => req("karpenter.k8s.aws/instance-family", "In", ...f);

/** A GPU pool of these requirements, with no GPU limit unless one is given. */
const nodePool = (name: string, requirements: unknown, limit?: unknown): EngineResource =>
    gpuPool(name, { requirements, limits: limit === undefined ? undefined : { "nvidia.com/gpu": limit } });

// prod's two pools: $121.24/h and $440.32/h at us-east-1 prices.
const inference = nodePool("inference", [SPOT, families("g6", "g6e")], 16);
const training = nodePool("training", [SPOT, types("p5.48xlarge", "p5e.48xlarge", "p4d.24xlarge")], 64);

const messages = (policy: string, resources: EngineResource[], config: PolicyPackConfig) =>
    evaluateResources(resources, config)
        .filter(v => v.policy === policy)
        .map(v => `${v.name}: ${v.message}`);

describe("policies: gpu-nodepool-hourly-cost", () => {
    it("passes everything without maxHourlyCost", () => {
        expect(messages(POOL_POLICY, [inference, training, nodePool("nolimit", [SPOT])], {})).to.deep.equal([]);
        expect(messages(POOL_POLICY, [training], { [POOL_POLICY]: { unpricedTypes: "deny" } })).to.deep.equal([]);
    });

    it("flags a pool whose ceiling is over the maximum, naming the ceiling, the type that sets it and the fix", () => {
        expect(messages(POOL_POLICY, [inference, training], { [POOL_POLICY]: { maxHourlyCost: 300 } })).to.deep.equal([
            `training: GPU NodePool "training" can cost up to $440.32/h (64 GPUs x $6.88 per GPU-hour of p5.48xlarge, at us-east-1 ` +
                "on-demand prices), above the $300.00/h maximum. p5e.48xlarge has no us-east-1 price in the table and is not counted. " +
                `Fix: lower spec.limits["nvidia.com/gpu"] to 43 or less, or leave p5.48xlarge out of the types it admits ` +
                "({key: node.kubernetes.io/instance-type, operator: NotIn, values: [p5.48xlarge]}).",
        ]);
        // 121.24 is within 121.24 (the ceiling rounds to the cent) but not within 121.
        expect(messages(POOL_POLICY, [inference], { [POOL_POLICY]: { maxHourlyCost: 121.24 } })).to.deep.equal([]);
        expect(messages(POOL_POLICY, [inference], { [POOL_POLICY]: { maxHourlyCost: 121 } })[0])
            .to.contain("can cost up to $121.24/h (16 GPUs x $7.58 per GPU-hour of g6e.16xlarge")
            .and.to.contain('lower spec.limits["nvidia.com/gpu"] to 15 or less');
    });

    it("offers no lower limit when none would let the pool launch under the maximum", () => {
        const [message] = messages(POOL_POLICY, [nodePool("big", [types("p5.48xlarge")], 8)], {
            [POOL_POLICY]: { maxHourlyCost: 40 },
        });
        expect(message)
            .to.contain("can cost up to $55.04/h")
            .and.to.contain("Fix: leave p5.48xlarge out")
            .and.not.to.contain("lower spec.limits");
    });

    it('with unpricedTypes "deny", flags a pool with unpriced types even under the maximum', () => {
        const config = { [POOL_POLICY]: { maxHourlyCost: 500, unpricedTypes: "deny" } };
        expect(messages(POOL_POLICY, [inference, training], config)).to.deep.equal([
            `training: GPU NodePool "training" admits p5e.48xlarge, which the table has no us-east-1 price for, so its ceiling is ` +
                `unknown (its priced types alone come to $440.32/h, within the $500.00/h maximum) and unpricedTypes is "deny". Fix: leave ` +
                `p5e.48xlarge out of its instance types, or set unpricedTypes to "allow". Prices: Karpenter v1.14.1 data ` +
                `(aws/karpenter-provider-aws bde00654cd31): on-demand Linux prices generated 2026-07-06 for us-east-1 and 2026-06-15 for ` +
                `us-gov-east-1, us-gov-west-1; table generated ${require("../components/data/gpu-instance-types.json").generatedAt}.`,
        ]);
        // "allow" (the default) passes a pool that has only unpriced types: its ceiling is unknown, not over.
        expect(
            messages(POOL_POLICY, [nodePool("h200", [types("p5e.48xlarge")], 16)], {
                [POOL_POLICY]: { maxHourlyCost: 1 },
            }),
        ).to.deep.equal([]);
        expect(
            messages(POOL_POLICY, [nodePool("h200", [types("p5e.48xlarge")], 16)], {
                [POOL_POLICY]: { maxHourlyCost: 1, unpricedTypes: "deny" },
            })[0],
        ).to.contain("so its ceiling is unknown (no admitted type has a price)");
    });

    it("prices by the region the config names: GovCloud's own prices, any other region at us-east-1's, said plainly", () => {
        const pool = nodePool("h100", [families("p5")], 8);
        expect(
            messages(POOL_POLICY, [pool], { [POOL_POLICY]: { maxHourlyCost: 60, region: "us-gov-west-1" } })[0],
        ).to.contain(
            "can cost up to $66.05/h (8 GPUs x $8.26 per GPU-hour of p5.4xlarge, at us-gov-west-1 on-demand prices)",
        );
        expect(
            messages(POOL_POLICY, [pool], { [POOL_POLICY]: { maxHourlyCost: 50, region: "eu-west-1" } })[0],
        ).to.contain(
            "can cost up to $55.04/h (8 GPUs x $6.88 per GPU-hour of p5.4xlarge, at us-east-1 on-demand prices " +
                "(the table has no eu-west-1 prices; AWS's prices differ by region))",
        );
    });

    it("flags a pool with no GPU limit, or with fractional-GPU types, as having no ceiling", () => {
        const config = { [POOL_POLICY]: { maxHourlyCost: 100 } };
        expect(messages(POOL_POLICY, [nodePool("nolimit", [families("g5")])], config)).to.deep.equal([
            `nolimit: GPU NodePool "nolimit" sets no spec.limits["nvidia.com/gpu"], so nothing caps what it can spend, against a ` +
                `$100.00/h maximum. Fix: set spec.limits["nvidia.com/gpu"].`,
        ]);
        expect(messages(POOL_POLICY, [nodePool("l4", [families("g6", "g6f")], 4)], config)[0]).to.equal(
            `l4: GPU NodePool "l4" admits g6f.large, g6f.xlarge, g6f.2xlarge and g6f.4xlarge (fractional GPUs), which its ` +
                `spec.limits["nvidia.com/gpu"] does not cap, so nothing caps what it can spend, against a $100.00/h maximum. Fix: add ` +
                `the requirement {key: karpenter.k8s.aws/instance-gpu-count, operator: Gt, values: ["0"]}.`,
        );
    });

    it("reads Auto Mode's label spellings and a quantity GPU limit", () => {
        const auto = nodePool(
            "auto",
            [
                req("eks.amazonaws.com/instance-family", "In", "p5"),
                req("eks.amazonaws.com/instance-gpu-count", "Gt", "4"),
            ],
            "16",
        );
        expect(nodePoolCost(auto.props)!.cost).to.deep.include({
            gpuLimit: 16,
            ceilingInstanceType: "p5.48xlarge",
            hourlyCeiling: 110.08,
        });
        expect(messages(POOL_POLICY, [auto], { [POOL_POLICY]: { maxHourlyCost: 100 } })[0]).to.contain(
            "can cost up to $110.08/h",
        );
    });

    it("checks nothing it cannot know yet, and skips CPU pools", () => {
        const config = { [POOL_POLICY]: { maxHourlyCost: 1 } };
        expect(
            messages(
                POOL_POLICY,
                [
                    nodePool("u", UNKNOWN, 8),
                    nodePool("v", [families(UNKNOWN)], 8),
                    nodePool("w", [families("p5")], UNKNOWN),
                ],
                config,
            ),
        ).to.deep.equal([]);
        // An unknown requirement on a label that does not narrow instance types does not hide the cost.
        expect(
            messages(
                POOL_POLICY,
                [nodePool("zone", [families("p5"), req("topology.kubernetes.io/zone", "In", UNKNOWN)], 8)],
                config,
            ),
        ).to.have.length(1);
        expect(
            messages(
                POOL_POLICY,
                [nodePool("cpu", [req("karpenter.k8s.aws/instance-category", "In", "c", "m")])],
                config,
            ),
        ).to.deep.equal([]);
    });
});

describe("policies: gpu-nodepool-gpu-limit and fractional GPUs", () => {
    it("tells a NodePool from elsewhere that admits g6f or gr6f that its GPU limit does not cap them", () => {
        const l4 = nodePool("l4", [SPOT, req("karpenter.k8s.aws/instance-gpu-name", "In", "l4")], 8);
        expect(messages("gpu-nodepool-gpu-limit", [l4], {})).to.deep.equal([
            `l4: GPU NodePool "l4" admits g6f.large, g6f.xlarge, g6f.2xlarge and 2 more, which have a fraction of a GPU each ` +
                `(Karpenter counts no nvidia.com/gpu on them), so its spec.limits["nvidia.com/gpu"] does not cap how many it launches. ` +
                `Fix: add the requirement {key: karpenter.k8s.aws/instance-gpu-count, operator: Gt, values: ["0"]}, or leave out g6f and gr6f.`,
        ]);
        const whole = nodePool(
            "l4",
            [
                SPOT,
                req("karpenter.k8s.aws/instance-gpu-name", "In", "l4"),
                req("karpenter.k8s.aws/instance-gpu-count", "Gt", "0"),
            ],
            8,
        );
        expect(messages("gpu-nodepool-gpu-limit", [whole, inference, training], {})).to.deep.equal([]);
    });
});

describe("policies: gpu-stack-hourly-cost", () => {
    it("passes without maxHourlyCost, and a stack within it", () => {
        expect(messages(STACK_POLICY, [inference, training], {})).to.deep.equal([]);
        expect(
            messages(STACK_POLICY, [inference, training], { [STACK_POLICY]: { maxHourlyCost: 561.56 } }),
        ).to.deep.equal([]);
    });

    it("flags the sum of the GPU pools' ceilings over the maximum, on the most expensive pool, naming each", () => {
        expect(messages(STACK_POLICY, [inference, training], { [STACK_POLICY]: { maxHourlyCost: 500 } })).to.deep.equal(
            [
                `training: The stack's 2 GPU NodePools can cost up to $561.56/h together ("training" $440.32/h, "inference" $121.24/h, ` +
                    "at us-east-1 on-demand prices), above the stack's $500.00/h maximum. p5e.48xlarge has no us-east-1 price and is not " +
                    `counted. Fix: lower the pools' spec.limits["nvidia.com/gpu"] (gpuLimit), starting with "training", whose p5.48xlarge ` +
                    "sets its ceiling, or leave their most expensive types out, until the sum is $500.00/h or less.",
            ],
        );
    });

    it("flags unbounded pools, and unpriced ones with unpricedTypes deny", () => {
        expect(
            messages(STACK_POLICY, [inference, nodePool("nolimit", [families("g5")])], {
                [STACK_POLICY]: { maxHourlyCost: 1000 },
            })[0],
        ).to.match(
            /^nolimit: The stack's GPU spend has no ceiling: GPU NodePool "nolimit" sets no spec\.limits\["nvidia\.com\/gpu"\]/,
        );
        expect(
            messages(STACK_POLICY, [inference, training], {
                [STACK_POLICY]: { maxHourlyCost: 1000, unpricedTypes: "deny" },
            })[0],
        ).to.contain(`training: The stack's GPU ceiling is unknown: GPU NodePool "training" admits p5e.48xlarge`);
    });

    it("reports a known sum over the maximum even while another pool is unknown, and otherwise waits", () => {
        const unknown = nodePool("later", UNKNOWN, 8);
        expect(messages(STACK_POLICY, [training, unknown], { [STACK_POLICY]: { maxHourlyCost: 400 } })).to.have.length(
            1,
        );
        expect(
            messages(STACK_POLICY, [training, unknown], {
                [STACK_POLICY]: { maxHourlyCost: 1000, unpricedTypes: "deny" },
            }),
        ).to.deep.equal([]);
    });
});

describe("policies: the budget policies' config and the engine", () => {
    it("declares both as mandatory, with config schemas whose defaults are the policies' own", () => {
        for (const name of [POOL_POLICY, STACK_POLICY]) {
            const p = byName(name);
            expect(p.enforcementLevel).to.equal("mandatory");
            expect(p.configSchema!.properties.maxHourlyCost).to.include({ type: "number", minimum: 0 });
            expect(p.configSchema!.properties.unpricedTypes).to.deep.include({
                enum: ["allow", "deny"],
                default: "allow",
            });
            expect(p.configSchema!.properties.region).to.include({ default: "us-east-1" });
        }
    });

    it("refuses knob values the policies cannot use, every one at once", () => {
        const problems = (config: unknown) => validatePolicyPackConfig(config).problems;
        expect(
            problems({ [POOL_POLICY]: { maxHourlyCost: 10, unpricedTypes: "deny", region: "us-gov-east-1" } }),
        ).to.deep.equal([]);
        // Each line ends with the setting's description in brackets.
        const withoutDescriptions = problems({
            [POOL_POLICY]: { maxHourlyCost: "10", unpricedTypes: "maybe", region: "Mars" },
            [STACK_POLICY]: { maxHourlyCost: -1 },
        }).map(p => p.slice(0, p.indexOf(" (")));
        expect(withoutDescriptions).to.deep.equal([
            `${POOL_POLICY}: maxHourlyCost: must be a number, got "10"`,
            `${POOL_POLICY}: unpricedTypes: must be one of "allow", "deny", got "maybe"`,
            `${POOL_POLICY}: region: must match pattern "^[a-z]{2}(-[a-z]+)+-[0-9]+$", got "Mars"`,
            `${STACK_POLICY}: maxHourlyCost: must be >= 0, got -1`,
        ]);
        // A caller that skips the check still gets the policy's own refusal.
        expect(() => evaluateResources([], { [STACK_POLICY]: { maxHourlyCost: -1 } })).to.throw(
            `${STACK_POLICY}: maxHourlyCost must be a number of US dollars per hour, 0 or more, got -1`,
        );
    });

    it("runs under the engine's proxies with the config it passes", async () => {
        const reports = engineReports(POOL_POLICY, training, {
            maxHourlyCost: 400,
            unpricedTypes: "allow",
            region: "us-east-1",
        });
        expect(reports)
            .to.have.length(1)
            .and.to.satisfy((r: string[]) => r[0].includes("$440.32/h"));

        const stack = await stackReports(
            STACK_POLICY,
            [inference, training],
            { maxHourlyCost: 500 },
            r => `urn:${r.name}`,
        );
        expect(stack.map(r => r.urn)).to.deep.equal(["urn:training-nodepool"]);
    });
});

describe("check-manifests prices NodePools too", function () {
    this.timeout(60000);
    const tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-cost-manifests-"));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it("at us-east-1 prices by default, at the config's region when it names one", async () => {
        const manifest = path.join(tmp, "training.yaml");
        writeFileSync(manifest, JSON.stringify(training.props));
        const budget = (config: object) => {
            const file = path.join(tmp, `config-${Object.keys(config).length}-${JSON.stringify(config).length}.json`);
            writeFileSync(file, JSON.stringify(config));
            return file;
        };
        const east = await checkManifests(
            "--policy-pack-config",
            budget({ [POOL_POLICY]: { maxHourlyCost: 400 } }),
            manifest,
        );
        expect(east.code).to.equal(1);
        expect(east.stdout)
            .to.contain(`${POOL_POLICY} mandatory NodePool/training: GPU NodePool "training" can cost up to $440.32/h`)
            .and.to.contain("at us-east-1 on-demand prices)");
        const gov = await checkManifests(
            "--policy-pack-config",
            budget({ [POOL_POLICY]: { maxHourlyCost: 500, region: "us-gov-west-1" } }),
            manifest,
        );
        expect(gov.stdout).to.contain(
            "can cost up to $528.38/h (64 GPUs x $8.26 per GPU-hour of p5.48xlarge, at us-gov-west-1 on-demand prices)",
        );
    });
});
