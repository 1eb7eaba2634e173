// The stack's region, found where pulumi-aws finds it and checked against AWS's regions.
import { expect } from "chai";
import * as path from "path";
import { AWS_REGIONS, NO_REGION_MESSAGE, RegionError, stackRegion } from "../offline/region";
import { errorMessage, readJson } from "./helpers";

const HOME = "/home/user";

/** `stackRegion` with only `files` on disk (by path) and `env` as the environment. */
function regionWith(
    config: Record<string, string>,
    env: Record<string, string> = {},
    files: Record<string, string> = {},
) {
    return stackRegion(config, env, file => files[file], HOME);
}

const regionError = (run: () => unknown) => errorMessage(RegionError, run);

describe("the stack's region", () => {
    it("is AWS's list as pulumi-aws has it: the Region enum of the @pulumi/aws the project pins", () => {
        // The source, recorded: pulumi-aws generates `aws:index/Region:Region` into each SDK.
        const pinned = readJson(path.join(__dirname, "..", "package.json")).devDependencies["@pulumi/aws"];
        const installed = readJson(require.resolve("@pulumi/aws/package.json")).version;
        expect(installed).to.equal(pinned);
        expect(AWS_REGIONS).to.deep.equal(Object.values(require("@pulumi/aws").Region));
        expect(AWS_REGIONS).to.include.members([
            "us-east-1",
            "us-west-2",
            "eu-central-1",
            "us-gov-west-1",
            "cn-north-1",
        ]);
    });

    it("comes from aws:region first, then AWS_REGION, then AWS_DEFAULT_REGION", () => {
        const env = { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-2" };
        expect(regionWith({ "aws:region": "us-east-1" }, env)).to.deep.equal({
            region: "us-east-1",
            from: "aws:region",
        });
        expect(regionWith({}, env)).to.deep.equal({ region: "eu-west-1", from: "AWS_REGION" });
        expect(regionWith({}, { AWS_DEFAULT_REGION: "eu-west-2" })).to.deep.equal({
            region: "eu-west-2",
            from: "AWS_DEFAULT_REGION",
        });
    });

    it("then from the profile's region: aws:profile, AWS_PROFILE or default, credentials files over config files", () => {
        const config = `${HOME}/.aws/config`;
        const credentials = `${HOME}/.aws/credentials`;
        const files = {
            [config]:
                "[default]\nregion = us-east-2\n\n[profile ml]\nregion=ap-south-1 # Mumbai\n[profile other]\nregion = sa-east-1\n",
        };
        expect(regionWith({}, {}, files)).to.deep.equal({
            region: "us-east-2",
            from: `profile "default" in ${config}`,
        });
        expect(regionWith({}, { AWS_PROFILE: "ml" }, files)).to.deep.equal({
            region: "ap-south-1",
            from: `profile "ml" in ${config}`,
        });
        expect(regionWith({ "aws:profile": "other" }, { AWS_PROFILE: "ml" }, files).region).to.equal("sa-east-1");
        expect(
            regionWith({ "aws:profile": "ml" }, {}, { ...files, [credentials]: "[ml]\nregion = eu-north-1\n" }),
        ).to.deep.equal({ region: "eu-north-1", from: `profile "ml" in ${credentials}` });
        // The files the provider is told to read, by config or environment, instead of ~/.aws's.
        const elsewhere = { "/etc/aws.ini": "[profile ml]\nregion = ca-central-1\n" };
        expect(regionWith({ "aws:profile": "ml" }, { AWS_CONFIG_FILE: "/etc/aws.ini" }, elsewhere).region).to.equal(
            "ca-central-1",
        );
        expect(
            regionWith({ "aws:profile": "ml", "aws:sharedConfigFiles": '["/etc/aws.ini"]' }, {}, elsewhere).region,
        ).to.equal("ca-central-1");
    });

    it("is required: with none anywhere it stops with pulumi-aws's own message, naming aws:region", () => {
        const message = regionError(() =>
            regionWith({ "aws:profile": "ml" }, {}, { [`${HOME}/.aws/config`]: "[default]\nregion = us-east-1\n" }),
        );
        expect(message).to.equal(
            `aws:region: ${NO_REGION_MESSAGE}\n(pulumi-aws stops with this message too. The plan looked in ` +
                `aws:region, AWS_REGION, AWS_DEFAULT_REGION and the region of profile "ml".)`,
        );
        // pulumi-aws's provider/errors/no_region.txt, word for word.
        expect(NO_REGION_MESSAGE).to.equal(
            "Missing region information\nMake sure you have set your AWS region, e.g. `pulumi config set aws:region us-west-2`.",
        );
    });

    it("is one of AWS's regions: a misspelt one is named with where it came from and its nearest region", () => {
        expect(regionError(() => regionWith({ "aws:region": "us-est-1" }))).to.match(
            /^aws:region: "us-est-1" is not an AWS region \(did you mean "us-east-1"\?\); the regions pulumi-aws knows: af-south-1, /,
        );
        expect(regionError(() => regionWith({}, { AWS_REGION: "eu-wset-1" }))).to.match(
            /^aws:region \(from AWS_REGION\): "eu-wset-1" is not an AWS region \(did you mean "eu-west-1"\?\)/,
        );
        expect(regionError(() => regionWith({ "aws:region": "mars" }))).to.match(
            /^aws:region: "mars" is not an AWS region; the regions/,
        );
    });
});
