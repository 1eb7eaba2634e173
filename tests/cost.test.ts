import { expect } from "chai";
import {
    FRACTIONAL_GPU_FAMILIES,
    Requirement,
    admittedGpuInstanceTypes,
    familyInstanceTypes,
    poolCost,
    priceBasis,
    priceRegionOf,
    stackHourlyCeiling,
} from "../components/cost";
import { resolveArgs } from "../components/args";
import { GpuKarpenterConfigError } from "../components/checks";
import { ProgramFailure } from "../offline/run-program";
import { ofType, run, runError } from "./helpers";

const req = (key: string, operator: string, ...values: string[]): Requirement => ({ key, operator, values });
const FAMILY = "karpenter.k8s.aws/instance-family";
const TYPE = "node.kubernetes.io/instance-type";
const families = (...f: string[]) => [
    req(FAMILY, "In", ...f),
    req("karpenter.k8s.aws/instance-gpu-manufacturer", "In", "nvidia"),
];
const admitted = (...requirements: Requirement[]) => admittedGpuInstanceTypes(requirements).types.map(t => t.type);

describe("cost: the instance types a pool's requirements admit", () => {
    it("reads families, types, categories and GPU labels in Karpenter's and EKS Auto Mode's spellings alike", () => {
        expect(admitted(req(TYPE, "In", "p5.48xlarge", "p4d.24xlarge", "m5.large"))).to.deep.equal([
            "p4d.24xlarge",
            "p5.48xlarge",
        ]);
        expect(admitted(req("beta.kubernetes.io/instance-type", "In", "g5.xlarge"))).to.deep.equal(["g5.xlarge"]);
        for (const prefix of ["karpenter.k8s.aws/instance-", "eks.amazonaws.com/instance-"]) {
            expect(admitted(req(`${prefix}family`, "In", "p5"))).to.deep.equal(["p5.4xlarge", "p5.48xlarge"]);
            expect(admitted(req(`${prefix}gpu-name`, "In", "h100", "h200"))).to.deep.equal([
                "p5.4xlarge",
                "p5.48xlarge",
                "p5e.48xlarge",
                "p5en.48xlarge",
            ]);
            expect(admitted(req(`${prefix}category`, "In", "p"), req(`${prefix}gpu-count`, "Lt", "8"))).to.deep.equal([
                "p5.4xlarge",
            ]);
            expect(admitted(req(`${prefix}category`, "In", "gr"))).to.deep.equal([
                "gr6.4xlarge",
                "gr6.8xlarge",
                "gr6f.4xlarge",
            ]);
            expect(admitted(req(`${prefix}generation`, "Gt", "5"), req(`${prefix}category`, "In", "p"))).to.deep.equal([
                "p6-b200.48xlarge",
                "p6-b300.48xlarge",
            ]);
            expect(admitted(req(`${prefix}size`, "In", "metal"))).to.deep.equal(["g4dn.metal", "g5g.metal"]);
            expect(
                admitted(
                    req(`${prefix}gpu-memory`, "Gte", "144384"),
                    req(`${prefix}cpu`, "Lte", "192"),
                    req(`${prefix}memory`, "Lt", "4194304"),
                ),
            ).to.deep.equal(["p5e.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge"]);
        }
    });

    it("applies NotIn, Exists and DoesNotExist as Karpenter does, and ANDs the requirements", () => {
        expect(admitted(req(FAMILY, "In", "g5", "g5g"), req("kubernetes.io/arch", "NotIn", "arm64")))
            .to.have.length(8)
            .and.to.satisfy((types: string[]) => types.every(t => t.startsWith("g5.")));
        expect(
            admitted(req(FAMILY, "In", "g6e"), req("karpenter.k8s.aws/instance-gpu-count", "Exists")),
        ).to.have.length(8);
        // Every GPU instance has the GPU labels.
        expect(admitted(req("karpenter.k8s.aws/instance-gpu-count", "DoesNotExist"))).to.deep.equal([]);
        // Gt on a label that is not a number matches nothing.
        expect(admitted(req(FAMILY, "Gt", "1"))).to.deep.equal([]);
        // Requirements on labels the table does not describe restrict nothing here.
        expect(
            admitted(
                req(FAMILY, "In", "p5"),
                req("topology.kubernetes.io/zone", "In", "us-east-1a"),
                req("example.com/team", "DoesNotExist"),
            ),
        ).to.deep.equal(["p5.4xlarge", "p5.48xlarge"]);
        // Labels are lower-case: an upper-case value matches nothing.
        expect(admitted(req(FAMILY, "In", "G5"))).to.deep.equal([]);
        expect(admitted()).to.have.length(59);
    });

    it("lists GPU types and families newer than the table, named by In, as unlisted", () => {
        expect(admittedGpuInstanceTypes(families("g5", "p6e-gb200")).unlisted).to.deep.equal(["p6e-gb200.*"]);
        expect(
            admittedGpuInstanceTypes([req(TYPE, "In", "p5.48xlarge", "p6e-gb200.36xlarge", "m5.large", "g4ad.xlarge")])
                .unlisted,
        ).to.deep.equal(["p6e-gb200.36xlarge"]);
        // ... unless another requirement rules them out.
        expect(
            admittedGpuInstanceTypes([
                req(FAMILY, "In", "p6e-gb200"),
                req("karpenter.k8s.aws/instance-category", "In", "g"),
            ]).unlisted,
        ).to.deep.equal([]);
    });
});

describe("cost: a pool's hourly ceiling", () => {
    it("is gpuLimit x the highest per-GPU price among the admitted types that fit under the limit", () => {
        // The example: 16 x $7.57719 for g6e.16xlarge's one L40S.
        const inference = poolCost(families("g6", "g6e"), 16, "us-east-1");
        expect(inference).to.deep.include({
            region: "us-east-1",
            priceRegion: "us-east-1",
            gpuLimit: 16,
            ceilingInstanceType: "g6e.16xlarge",
            unpricedTypes: [],
        });
        expect(inference.hourlyCeiling).to.be.closeTo(121.23504, 1e-9);
        // prod's training pool: 64 GPUs of p5.48xlarge at $55.04 / 8 each; p5e.48xlarge has no price.
        const training = poolCost([req(TYPE, "In", "p5.48xlarge", "p5e.48xlarge", "p4d.24xlarge")], 64);
        expect(training).to.deep.include({
            ceilingInstanceType: "p5.48xlarge",
            unpricedTypes: ["p5e.48xlarge"],
            gpuHourlyPrice: 6.88,
        });
        expect(training.hourlyCeiling).to.be.closeTo(440.32, 1e-9);
    });

    it("leaves out types with more GPUs than the limit, which Karpenter would not launch", () => {
        // g5.48xlarge ($2.036/GPU) and g5.12xlarge are over a limit of 2; g5.16xlarge ($4.096, one GPU) sets it.
        const cost = poolCost([req(TYPE, "In", "g5.48xlarge", "g5.12xlarge", "g5.16xlarge")], 2);
        expect(cost).to.deep.include({ ceilingInstanceType: "g5.16xlarge", gpuHourlyPrice: 4.096 });
        expect(cost.hourlyCeiling).to.be.closeTo(8.192, 1e-9);
        expect(cost.smallestGpuCount).to.equal(undefined);
    });

    it("says when no admitted type fits under the limit, and the smallest GPU count admitted", () => {
        const cost = poolCost([req(TYPE, "In", "p5.48xlarge")], 4);
        expect(cost).to.deep.include({ smallestGpuCount: 8, hourlyCeiling: 0, ceilingInstanceType: null });
    });

    it("is unknown (null), never 0, when every type that could set it is unpriced; null too without a GPU limit", () => {
        expect(poolCost([req(TYPE, "In", "p5e.48xlarge")], 16)).to.deep.include({
            hourlyCeiling: null,
            unpricedTypes: ["p5e.48xlarge"],
        });
        expect(poolCost(families("p6e-gb200"), 16)).to.deep.include({
            hourlyCeiling: null,
            unpricedTypes: ["p6e-gb200.*"],
        });
        expect(poolCost(families("g5"), undefined)).to.deep.include({ hourlyCeiling: null, gpuLimit: undefined });
        expect(stackHourlyCeiling([{ hourlyCeiling: 1.5 }, { hourlyCeiling: 2 }])).to.equal(3.5);
        expect(stackHourlyCeiling([{ hourlyCeiling: 1.5 }, { hourlyCeiling: null }])).to.equal(null);
    });

    it("reports fractional-GPU types apart: the GPU limit does not count them", () => {
        expect(FRACTIONAL_GPU_FAMILIES).to.deep.equal(["g6f", "gr6f"]);
        const cost = poolCost([req("karpenter.k8s.aws/instance-gpu-name", "In", "l4")], 8);
        expect(cost.fractionalTypes).to.deep.equal(
            [...familyInstanceTypes("g6f"), ...familyInstanceTypes("gr6f")].map(t => t.type),
        );
        expect(cost.ceilingInstanceType).to.equal("g6.16xlarge");
        expect(poolCost([req("karpenter.k8s.aws/instance-gpu-count", "Gt", "0")], 8).fractionalTypes).to.deep.equal([]);
    });

    it("prices GovCloud regions with their own prices, and any other region with us-east-1's, saying so", () => {
        const gov = poolCost(families("p5"), 8, "us-gov-west-1");
        expect(gov).to.deep.include({
            priceRegion: "us-gov-west-1",
            ceilingInstanceType: "p5.4xlarge",
            gpuHourlyPrice: 8.256,
        });
        // us-gov-east-1 has no p5 prices at all.
        expect(poolCost(families("p5"), 8, "us-gov-east-1")).to.deep.include({
            hourlyCeiling: null,
            unpricedTypes: ["p5.4xlarge", "p5.48xlarge"],
        });
        expect(priceRegionOf("eu-west-1")).to.equal("us-east-1");
        expect(priceRegionOf(undefined)).to.equal("us-east-1");
        const oregon = poolCost(families("g5"), 4, "us-west-2");
        expect(oregon).to.deep.include({ region: "us-west-2", priceRegion: "us-east-1" });
        expect(priceBasis(oregon)).to.equal(
            "us-east-1 on-demand prices (the table has no us-west-2 prices; AWS's prices differ by region)",
        );
        expect(priceBasis(gov)).to.equal("us-gov-west-1 on-demand prices");
    });
});

describe("cost: the component checks families and types against the table", function () {
    this.timeout(60000);
    const poolProblems = (pool: Record<string, unknown>): string => {
        try {
            resolveArgs({ clusterName: "demo", gpuPools: [{ name: "gpu", ...pool }] as never });
        } catch (e) {
            expect(e).to.be.instanceOf(GpuKarpenterConfigError);
            return (e as Error).message;
        }
        return "";
    };
    const problemLines = (pool: Record<string, unknown>): string[] =>
        poolProblems(pool)
            .split("\n")
            .slice(1)
            .map(l => l.trim());

    it("refuses a type the table does not list in a family it knows, with the nearest names", () => {
        expect(poolProblems({ instanceTypes: ["p5.48xl"] })).to.contain(
            `gpuPools[0] "gpu".instanceTypes[0]: "p5.48xl" is not a p5 instance type (did you mean "p5.48xlarge"?); p5 types: p5.4xlarge, p5.48xlarge`,
        );
        expect(poolProblems({ instanceTypes: ["g6e.3xlarge"] })).to.match(
            /"g6e\.3xlarge" is not a g6e instance type \(did you mean "g6e\.xlarge", .*"g6e\.4xlarge"/,
        );
    });

    it("refuses upper-case families and types, which no NodePool label could ever match", () => {
        expect(poolProblems({ instanceFamilies: ["G5"] })).to.contain(
            `gpuPools[0] "gpu".instanceFamilies[0]: "G5" is not lower-case, and Karpenter's instance-family labels are, so a NodePool with it could never launch a node; use "g5"`,
        );
        expect(poolProblems({ instanceTypes: ["P5.48xlarge"] }))
            .to.contain(`"P5.48xlarge" is not lower-case`)
            .and.to.contain(`use "p5.48xlarge"`);
    });

    it("refuses fractional-GPU families and their types, with the reason", () => {
        expect(poolProblems({ instanceFamilies: ["g6", "g6f"] })).to.contain(
            `gpuPools[0] "gpu".instanceFamilies[1]: "g6f" has fractional GPUs (a share of one NVIDIA L4): Karpenter gives its instances ` +
                `instance-gpu-count 0 and no nvidia.com/gpu, so the pool's GPU limit cannot cap them and no pod asking for nvidia.com/gpu ` +
                `can run on them; use "g6" for whole L4 GPUs`,
        );
        expect(poolProblems({ instanceTypes: ["gr6f.4xlarge"] }))
            .to.contain(`"gr6f" has fractional GPUs`)
            .and.to.contain(`use "gr6"`);
    });

    it("refuses a pool none of whose types fits under its GPU limit, naming the smallest GPU count", () => {
        expect(poolProblems({ instanceTypes: ["p5.48xlarge"], gpuLimit: 4 })).to.contain(
            'gpuPools[0] "gpu".gpuLimit: 4 is fewer GPUs than any instance type the pool admits has (the smallest, p5.48xlarge, has 8), ' +
                "so Karpenter could never launch a node for it; set gpuLimit to at least 8, or admit types with fewer GPUs",
        );
        expect(poolProblems({ instanceTypes: ["p5.48xlarge", "p5.4xlarge"], gpuLimit: 4 })).to.equal("");
        expect(poolProblems({ instanceTypes: ["p5.48xlarge", "p5e.48xlarge", "p4d.24xlarge"], gpuLimit: 64 })).to.equal(
            "",
        );
        expect(poolProblems({ instanceFamilies: ["p4d", "p5en"], gpuLimit: 7 })).to.contain(
            "(the smallest, p4d.24xlarge and p5en.48xlarge, have 8)",
        );
    });

    it("still refuses non-GPU, AMD and legacy families as before", () => {
        expect(poolProblems({ instanceFamilies: ["m5"] })).to.contain(`"m5" is not a GPU instance family`);
        expect(poolProblems({ instanceFamilies: ["g4ad"] })).to.contain(`"g4ad" has AMD GPUs`);
        expect(poolProblems({ instanceTypes: ["g5"] })).to.contain(`"g5" is not an EC2 instance type`);
    });

    it("refuses a family or type the table does not list, with the nearest family: a misspelling cannot pass", () => {
        expect(problemLines({ instanceFamilies: ["g5", "g6ee"] })).to.deep.equal([
            `gpuPools[0] "gpu".instanceFamilies[1]: instance family "g6ee" is not in the instance-type table (Karpenter v1.14.1 data, prices of 2026-07-06) (did you mean "g6e"?), ` +
                "so a NodePool with it may never launch a node; its GPU families: g4dn, g5, g5g, g6, g6e, g6f, g7e, gr6, gr6f, p3dn, p4d, p4de, p5, p5e, p5en, p6-b200, p6-b300. " +
                "If it is newer than the table, list it in the pool's unlistedInstances too",
        ]);
        expect(problemLines({ instanceTypes: ["g7.2xlarge"] })).to.deep.equal([
            `gpuPools[0] "gpu".instanceTypes[0]: instance type "g7.2xlarge" is not in the instance-type table (Karpenter v1.14.1 data, prices of 2026-07-06) (did you mean family "g5", "g6" or "g7e"?), ` +
                "so a NodePool with it may never launch a node. If it is newer than the table, list it in the pool's unlistedInstances too",
        ]);
    });

    it("admits a family newer than the table only when the pool lists it in unlistedInstances, warning that its cost is unknown", async () => {
        const r = await run("dev", {
            gpuPools: [{ name: "gpu", instanceFamilies: ["g6e", "p6e-gb200"], unlistedInstances: ["p6e-gb200"] }],
        });
        expect(ofType(r, "kubernetes:karpenter.sh/v1:NodePool")).to.have.length(1);
        expect(r.warnings).to.deep.equal([
            `GPU pool "gpu": instance family "p6e-gb200" is not in the instance-type table (Karpenter v1.14.1 data, prices of 2026-07-06): ` +
                "its cost is unknown, so the pool's hourly ceiling leaves it out and lists it as unpriced",
        ]);
        const clean = await run("dev");
        expect(clean.warnings).to.deep.equal([]);
    });

    it("refuses an unlistedInstances entry the pool does not admit, or that the table lists", () => {
        expect(problemLines({ instanceFamilies: ["g6e"], unlistedInstances: ["p6e-gb200", "g6e"] })).to.deep.equal([
            `gpuPools[0] "gpu".unlistedInstances[0]: "p6e-gb200" is not in the pool's instanceFamilies; unlistedInstances only vouches for what the pool admits`,
            `gpuPools[0] "gpu".unlistedInstances[1]: "g6e" is in the instance-type table; take it out of unlistedInstances`,
        ]);
    });

    it("stops the stack on these before anything is registered", async () => {
        const e = await runError(run("dev", { gpuPools: [{ name: "gpu", instanceTypes: ["p5.48xl"] }] }));
        expect(e).to.be.instanceOf(ProgramFailure);
        expect(e.message).to.contain(
            `gpu-karpenter:gpuPools[0] "gpu".instanceTypes[0]: "p5.48xl" is not a p5 instance type (did you mean "p5.48xlarge"?)`,
        );
        expect((e as ProgramFailure).resources).to.be.empty;
    });
});
