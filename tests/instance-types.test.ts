import { expect } from "chai";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { GPU_INSTANCE_TYPES, PRICED_REGIONS, PRICE_SOURCE, TABLE_SOURCE, instanceTypeInfo } from "../components/cost";
import { TABLE_FILE, buildTable, formatTable, main, RefreshError } from "../scripts/refresh-instance-types";

// A few real rows of Karpenter v1.14.1's data files, cut down whole (see the fixture's README).
const FIXTURE = path.join(__dirname, "fixtures", "karpenter-data", "v1.14.1");
const FIXTURE_DATA = path.join(FIXTURE, "data");

describe("the instance-type table (components/data/gpu-instance-types.json)", () => {
    const committed = JSON.parse(readFileSync(TABLE_FILE, "utf8"));

    it("records where it came from: Karpenter's AWS provider at tag v1.14.1, its commit, each file's path and SHA-256", () => {
        expect(TABLE_SOURCE).to.deep.include({
            repository: "https://github.com/aws/karpenter-provider-aws",
            license: "Apache-2.0",
            tag: "v1.14.1",
            commit: "bde00654cd316fddb3dccfba3f5ac07039865429",
        });
        expect(TABLE_SOURCE.files.map(f => [f.path, f.sha256])).to.deep.equal([
            [
                "website/content/en/docs/reference/instance-types.md",
                "77e6367535b16d0ecf6e27f8d7cf8bd801889b1f75db488d25ce3247ae8fb863",
            ],
            [
                "pkg/providers/pricing/zz_generated.pricing_aws.go",
                "b21ecff198deb4484882fdf01b06352a964281772d08b9633a7bb8ba984da421",
            ],
            [
                "pkg/providers/pricing/zz_generated.pricing_aws_us_gov.go",
                "a99978a3712df62f7eae5e51eb98297c97974452cd4f2da39380ba758dc8ffa5",
            ],
        ]);
        expect(committed.generatedAt).to.match(/^\d{4}-\d{2}-\d{2}$/);
        expect(PRICED_REGIONS).to.deep.equal(["us-east-1", "us-gov-east-1", "us-gov-west-1"]);
        expect(PRICE_SOURCE).to.equal(
            "Karpenter v1.14.1 data (aws/karpenter-provider-aws bde00654cd31): on-demand Linux prices " +
                `generated 2026-07-06 for us-east-1 and 2026-06-15 for us-gov-east-1, us-gov-west-1; table generated ${committed.generatedAt}`,
        );
    });

    it("holds the 59 NVIDIA types in 17 families, each row well-formed", () => {
        expect(GPU_INSTANCE_TYPES).to.have.length(59);
        expect(new Set(GPU_INSTANCE_TYPES.map(t => t.family)).size).to.equal(17);
        expect(new Set(GPU_INSTANCE_TYPES.map(t => t.type)).size).to.equal(59);
        for (const t of GPU_INSTANCE_TYPES) {
            expect(t.type.startsWith(`${t.family}.`), t.type).to.equal(true);
            expect(Number.isInteger(t.gpus) && t.gpus >= 0 && t.gpus <= 16, t.type).to.equal(true);
            expect(t.vcpus, t.type).to.be.above(0);
            expect(t.memoryMiB, t.type).to.be.above(0);
            expect(t.gpuMemoryMiB, t.type).to.be.above(0);
            expect(t.gpuName, t.type).to.match(/^[a-z0-9-]+$/);
            expect(["amd64", "arm64"], t.type).to.include(t.arch);
            for (const [region, price] of Object.entries(t.hourlyPrice)) {
                expect(PRICED_REGIONS, t.type).to.include(region);
                expect(price, `${t.type} ${region}`).to.be.above(0).and.below(1000);
            }
        }
        // No AMD (g4ad) or Habana (dl1) types, and none of the legacy NVIDIA ones.
        expect(GPU_INSTANCE_TYPES.map(t => t.family)).to.not.include.members(["g4ad", "dl1", "p2", "p3", "g3"]);
    });

    it("has the rows a user would check against AWS's own pages", () => {
        expect(instanceTypeInfo("p5.48xlarge")).to.deep.equal({
            type: "p5.48xlarge",
            family: "p5",
            gpus: 8,
            gpuName: "h100",
            gpuMemoryMiB: 81920,
            vcpus: 192,
            memoryMiB: 2097152,
            arch: "amd64",
            hourlyPrice: { "us-east-1": 55.04, "us-gov-west-1": 66.048 },
        });
        expect(instanceTypeInfo("g6e.16xlarge")).to.include({ gpus: 1, gpuName: "l40s" });
        expect(instanceTypeInfo("g6e.16xlarge")!.hourlyPrice["us-east-1"]).to.equal(7.57719);
        expect(instanceTypeInfo("g5g.xlarge")).to.include({ arch: "arm64", gpuName: "t4g" });
        // Karpenter's data has no price for p5e.48xlarge anywhere.
        expect(instanceTypeInfo("p5e.48xlarge")).to.include({ gpus: 8, gpuName: "h200" });
        expect(instanceTypeInfo("p5e.48xlarge")!.hourlyPrice).to.deep.equal({});
        // Fractional L4: Karpenter counts 0 GPUs.
        expect(instanceTypeInfo("g6f.large")).to.include({ gpus: 0, gpuName: "l4", gpuMemoryMiB: 2861 });
        expect(instanceTypeInfo("gr6f.4xlarge")).to.include({ gpus: 0 });
    });

    it("is what the refresh script makes of the same rows: the fixture's types come out as the committed table has them", () => {
        const fromFixture = buildTable(FIXTURE_DATA, committed.generatedAt);
        expect(fromFixture.instanceTypes.map(r => r.type)).to.deep.equal([
            "g5.xlarge",
            "g5.48xlarge",
            "g6f.large",
            "p5.48xlarge",
            "p5e.48xlarge",
        ]);
        // The fixture keeps whole rows and every price of its types, so each row comes out exactly as committed.
        expect(fromFixture.instanceTypes).to.deep.equal(
            fromFixture.instanceTypes.map(r =>
                committed.instanceTypes.find((c: { type: string }) => c.type === r.type),
            ),
        );
        const { instanceTypes: _rows, ...head } = fromFixture;
        const { instanceTypes: _committedRows, ...committedHead } = committed;
        // Same source, same shape; only the files' checksums are the fixture's own.
        expect({
            ...head,
            source: { ...head.source, files: head.source.files.map(f => ({ ...f, sha256: "" })) },
        }).to.deep.equal({
            ...committedHead,
            source: {
                ...committedHead.source,
                files: committedHead.source.files.map((f: object) => ({ ...f, sha256: "" })),
            },
        });
    });

    describe("npm run refresh-instance-types", () => {
        const tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-refresh-"));
        after(() => rmSync(tmp, { recursive: true, force: true }));

        it("writes the table to --out, one type a line, with the date given and the fixture files' checksums", () => {
            const out = path.join(tmp, "table.json");
            const logged: string[] = [];
            expect(main([FIXTURE_DATA, "--out", out, "--generated-at", "2026-12-01"], l => logged.push(l))).to.equal(0);
            const text = readFileSync(out, "utf8");
            expect(text).to.equal(formatTable(buildTable(FIXTURE_DATA, "2026-12-01")));
            expect(text).to.contain(
                '\n    {"type":"p5.48xlarge","family":"p5","gpus":8,"gpuName":"h100","gpuMemoryMiB":81920,"vcpus":192,' +
                    '"memoryMiB":2097152,"arch":"amd64","hourlyPrice":{"us-east-1":55.04,"us-gov-west-1":66.048}},\n',
            );
            const table = JSON.parse(text);
            expect(table.generatedAt).to.equal("2026-12-01");
            expect(table.source.files.map((f: { sha256: string }) => f.sha256)).to.deep.equal([
                "4f2b180fcfe4abbe732c02d739cf693193056c85cf82910f50646f9fc3c828d5",
                "63cee778d3727651090732f87b0847fba3455fd7aef28aa9019bea341b081ad7",
                "ddf17ee6427301dbda0c229161af3afb739280ab7ec0c7eeb38804127663fa0d",
            ]);
            expect(table.source.files[1]).to.include({ generatedAt: "2026-07-06T14:20:29Z" });
            expect(logged[0]).to.match(
                /5 NVIDIA instance types in 4 families .* v1\.14\.1 \(bde00654cd31\).*; no price for p5e\.48xlarge$/,
            );
        });

        it("refuses a data file that differs from the checksum its README records", () => {
            const copy = path.join(tmp, "edited");
            cpSync(FIXTURE, copy, { recursive: true });
            const pricing = path.join(copy, "data", "zz_generated.pricing_aws.go");
            writeFileSync(pricing, readFileSync(pricing, "utf8").replace("55.040000", "5.040000"));
            expect(() => main([path.join(copy, "data"), "--out", path.join(tmp, "x.json")], () => undefined)).to.throw(
                RefreshError,
                /zz_generated\.pricing_aws\.go: SHA-256 \w+ is not the 63cee778\w+ its README records/,
            );
        });

        it("refuses a folder without a README saying where the files came from, and bad arguments", () => {
            const bare = path.join(tmp, "bare", "data");
            mkdirSync(bare, { recursive: true });
            expect(() => main([bare], () => undefined)).to.throw(RefreshError, /no README\.md in it or above it/);
            expect(() => main([], () => undefined)).to.throw(
                RefreshError,
                /^usage: npm run refresh-instance-types -- <data folder>/,
            );
            expect(() => main([FIXTURE_DATA, "--generated-at", "yesterday"], () => undefined)).to.throw(
                RefreshError,
                /not a date/,
            );
        });
    });
});
