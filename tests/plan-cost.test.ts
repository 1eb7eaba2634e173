import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PRICE_SOURCE } from "../components/cost";
import { parsePlanArgs } from "../offline/plan-usage";
import { loadPolicyPackConfig } from "../offline/policy-pack-config";
import { validatePolicyPackConfig } from "../policies/policy-config";
import { planCli, planOwnStack, readJson } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

describe("npm run plan: what the GPU pools can cost", function () {
    this.timeout(60000);
    const tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-plan-cost-"));
    const file = (name: string, content: string) => {
        const f = path.join(tmp, name);
        writeFileSync(f, content);
        return f;
    };
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it("prod: each pool's ceiling in the table, the stack total, and cost.json exactly as specified", async () => {
        const out = path.join(tmp, "prod");
        const result = await planCli("--stack", "prod", "--out", out);
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.match(
            /^\s+stack total: \$561\.56\/h at most \(nominal\), at us-east-1 on-demand prices$/m,
        );
        expect(result.stdout).to.match(/^\s+training: no us-east-1 price for p5e\.48xlarge, left out of its ceiling$/m);
        expect(result.stdout).to.contain("resources.json, cost.json, manifests/");
        expect(readFileSync(path.join(out, "cost.json"), "utf8")).to.equal(
            JSON.stringify(
                {
                    currency: "USD",
                    region: "us-east-1",
                    priceRegion: "us-east-1",
                    priceSource: PRICE_SOURCE,
                    pools: [
                        {
                            pool: "inference",
                            gpuLimit: 16,
                            hourlyCeiling: 121.24,
                            ceilingInstanceType: "g6e.16xlarge",
                            unpricedTypes: [],
                        },
                        {
                            pool: "training",
                            gpuLimit: 64,
                            hourlyCeiling: 440.32,
                            ceilingInstanceType: "p5.48xlarge",
                            unpricedTypes: ["p5e.48xlarge"],
                        },
                    ],
                    stackHourlyCeiling: 561.56,
                },
                null,
                2,
            ) + "\n",
        );
    });

    it("dev (us-west-2): priced at us-east-1's prices, and says so plainly", async () => {
        const out = path.join(tmp, "dev");
        const result = await planCli("--out", out);
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.contain(
            "stack total: $16.38/h at most (nominal), at us-east-1 on-demand prices (the table has no " +
                "us-west-2 prices; AWS's prices differ by region)",
        );
        expect(readJson(path.join(out, "cost.json"))).to.deep.include({
            region: "us-west-2",
            priceRegion: "us-east-1",
            stackHourlyCeiling: 16.38,
        });
        // The README shows this very output (written to the default folder).
        const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
        const sample = /`npm run plan` on a fresh clone prints:\n\n```\n([\s\S]*?)```/.exec(readme)![1];
        expect(sample).to.equal(
            result.stdout.replace(
                /^Wrote .*$/m,
                "Wrote plan/dev/: plan.json, resources.json, cost.json, manifests/, helm/, iam/",
            ),
        );
    });

    describe("with a stack of its own", () => {
        it("a GovCloud stack is priced at its own region's prices", async () => {
            const { out, result } = await planOwnStack(tmp, "testcostgov", [
                "aws:region: us-gov-west-1",
                "gpu-karpenter:gpuPools: [{name: h100, instanceFamilies: [p5], gpuLimit: 16}]",
            ]);
            expect(result.code, result.stderr + result.stdout).to.equal(0);
            expect(result.stdout).to.match(/^\s+h100\s.*\s132\.10 \(p5\.4xlarge\)$/m);
            expect(result.stdout).to.contain(
                "stack total: $132.10/h at most (nominal), at us-gov-west-1 on-demand prices\n",
            );
            expect(readJson(path.join(out, "cost.json"))).to.deep.include({
                region: "us-gov-west-1",
                priceRegion: "us-gov-west-1",
                stackHourlyCeiling: 132.1,
            });
        });

        it("shows the component's warning for a family newer than the table (listed in unlistedInstances), and lists it as unpriced", async () => {
            const { out, result } = await planOwnStack(tmp, "testcostnew", [
                "gpu-karpenter:gpuPools: [{name: gpu, instanceFamilies: [g6e, p6e-gb200], unlistedInstances: [p6e-gb200], gpuLimit: 8}, {name: next, instanceFamilies: [p6e-gb200], unlistedInstances: [p6e-gb200], gpuLimit: 8}]",
            ]);
            expect(result.code, result.stderr + result.stdout).to.equal(0);
            expect(result.stdout).to.contain(
                '\nWarnings:\n  GPU pool "gpu": instance family "p6e-gb200" is not in the instance-type table',
            );
            expect(result.stdout).to.match(/^\s+next\s.*\sunknown$/m);
            expect(result.stdout).to.contain("stack total: unknown (next unknown; the rest $60.62/h at most)");
            const cost = readJson(path.join(out, "cost.json"));
            expect(cost.pools).to.deep.equal([
                {
                    pool: "gpu",
                    gpuLimit: 8,
                    hourlyCeiling: 60.62,
                    ceilingInstanceType: "g6e.16xlarge",
                    unpricedTypes: ["p6e-gb200.*"],
                },
                {
                    pool: "next",
                    gpuLimit: 8,
                    hourlyCeiling: null,
                    ceilingInstanceType: null,
                    unpricedTypes: ["p6e-gb200.*"],
                },
            ]);
            expect(cost.stackHourlyCeiling).to.equal(null);
        });
    });

    it("applies --policy-pack-config as pulumi preview does: a budget the prod stack is over fails the plan", async () => {
        const config = file(
            "budget.json",
            JSON.stringify({
                "gpu-nodepool-hourly-cost": { maxHourlyCost: 300 },
                "gpu-stack-hourly-cost": { maxHourlyCost: 600 },
                "gpu-nodepool-taint": "disabled",
            }),
        );
        const result = await planCli(
            "--stack",
            "prod",
            "--out",
            path.join(tmp, "budget"),
            "--policy-pack-config",
            config,
        );
        expect(result.code).to.equal(1);
        expect(result.stdout).to.match(
            /^\s+gpu-nodepool-hourly-cost mandatory NodePool\/training: GPU NodePool "training" can cost up to \$440\.32\/h .*Fix: lower spec\.limits\["nvidia\.com\/gpu"\] to 43 or less/m,
        );
        expect(result.stdout).not.to.contain("gpu-stack-hourly-cost mandatory");
        expect(result.stdout).to.contain("1 mandatory violation");
        const advisory = await planCli(
            "--stack",
            "prod",
            "--out",
            path.join(tmp, "budget2"),
            "--policy-pack-config",
            file(
                "advisory.json",
                JSON.stringify({ "gpu-nodepool-hourly-cost": { enforcementLevel: "advisory", maxHourlyCost: 300 } }),
            ),
        );
        expect(advisory.code).to.equal(0);
        expect(advisory.stdout).to.contain("gpu-nodepool-hourly-cost advisory NodePool/training");
    });

    it("exits 2 on a policy pack config the engine would refuse, naming each problem, and writes nothing", async () => {
        const config = file(
            "bad.json",
            JSON.stringify({
                "gpu-nodepool-hourly-cost": { maxHourlyCost: "300" },
                "gpu-nodepool-consolidation": { allowedPolicies: [] },
                "gpu-nodepool-tiant": "advisory",
                "gpu-nodepool-taint": { enforcementLevel: "loud" },
            }),
        );
        const out = path.join(tmp, "bad");
        const result = await planCli("--out", out, "--policy-pack-config", config);
        expect(result.code).to.equal(2);
        expect(result.stderr).to.contain(
            `error: --policy-pack-config ${config}: invalid policy pack config:\n  gpu-nodepool-taint: enforcementLevel "loud" is not allowed; use one of advisory, mandatory, remediate, disabled`,
        );
        expect(existsSync(out)).to.equal(false);
        const knobs = await planCli(
            "--out",
            out,
            "--policy-pack-config",
            file(
                "knobs.json",
                JSON.stringify({
                    "gpu-nodepool-hourly-cost": { maxHourlyCost: "300" },
                    "gpu-nodepool-tiant": "advisory",
                }),
            ),
        );
        expect(knobs.code).to.equal(2);
        expect(knobs.stderr)
            .to.contain(`gpu-nodepool-hourly-cost: maxHourlyCost: must be a number, got "300"`)
            .and.to.contain("gpu-nodepool-tiant: no such policy in this pack");
        const missing = await planCli("--out", out, "--policy-pack-config", path.join(tmp, "nope.json"));
        expect(missing.code).to.equal(2);
        expect(missing.stderr).to.contain("nope.json: cannot read");
        expect(existsSync(out)).to.equal(false);
    });

    it("reads the config file as the engine does", () => {
        expect(parsePlanArgs(["--policy-pack-config", "x.json"], "/somewhere").policyPackConfig).to.equal(
            path.resolve("/somewhere", "x.json"),
        );
        expect(loadPolicyPackConfig(file("empty.json", "  \n"))).to.deep.equal({});
        expect(() => loadPolicyPackConfig(file("broken.json", "{"))).to.throw(/invalid JSON/);
        expect(validatePolicyPackConfig([]).problems).to.deep.equal([
            "a policy pack config is a JSON object keyed by policy name",
        ]);
        expect(validatePolicyPackConfig({ environments: ["prod/budgets"] }).problems[0]).to.match(
            /^environments: ESC environments are resolved by Pulumi Cloud/,
        );
        expect(validatePolicyPackConfig({ "gpu-nodepool-taint": 3 }).problems).to.deep.equal([
            "gpu-nodepool-taint: 3 is not allowed; use an enforcement level (advisory, mandatory, remediate, disabled) or an object of settings",
        ]);
        expect(
            validatePolicyPackConfig({ "gpu-nodepool-consolidation": { allowedPolicies: ["WhenEmpty", "WhenEmpty"] } })
                .problems,
        ).to.deep.equal([
            'gpu-nodepool-consolidation: allowedPolicies: lists "WhenEmpty" more than once, got ["WhenEmpty","WhenEmpty"] (The spec.disruption.consolidationPolicy values a GPU NodePool may use.)',
        ]);
        expect(
            validatePolicyPackConfig({
                all: "advisory",
                "gpu-stack-hourly-cost": { maxHourlyCost: 100, region: "us-gov-east-1" },
            }).problems,
        ).to.deep.equal([]);
    });
});
