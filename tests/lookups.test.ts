// Look-ups tell "there is none" from every other failure, in the AWS provider's own words.
import { expect } from "chai";
import { isNotFound } from "../components/lookups";
import { fakeCluster, run, runError } from "./helpers";

describe("a subnet or security group that does not exist", () => {
    // The subnets and groups the account has: the node groups' and the cluster's, and these.
    const vpc = fakeCluster(f => {
        f.subnets = ["subnet-0d4444444444444dd"];
        f.securityGroups = [];
    });

    it("is reported as missing, as terraform-provider-aws words it (no matching EC2 Subnet found)", async () => {
        const subnet = await runError(
            run("dev", { discovery: "tags", subnetIds: ["subnet-0d4444444444444dd", "subnet-0e5555555555555ee"] }, vpc),
        );
        expect(subnet.message).to.contain(
            `discovery: "tags": there is no subnet subnet-0e5555555555555ee in this account and region`,
        );
        const group = await runError(
            run("dev", { discovery: "tags", securityGroupIds: ["sg-0f6666666666666ff"] }, vpc),
        );
        expect(group.message).to.contain(
            `discovery: "tags": there is no security group sg-0f6666666666666ff in this account and region`,
        );
        // The ones that exist are found.
        await run("dev", { discovery: "tags", subnetIds: ["subnet-0d4444444444444dd"] }, vpc);
    });

    it("is told apart from a malformed id, which EC2 refuses with its own error", async () => {
        const e = await runError(run("dev", { discovery: "tags", subnetIds: ["subnet-xyz"] }, vpc));
        expect(e.message).to.contain(
            `discovery: "tags": reading the tags of subnet subnet-xyz failed: ` +
                `invocation of aws:ec2/getSubnet:getSubnet returned an error: reading EC2 Subnet:`,
        );
        expect(e.message).to.contain(`api error InvalidSubnetID.Malformed: Invalid id: "subnet-xyz"`);
    });

    it("matches only the provider's not-found wording, not its too-many-matches one", () => {
        expect(isNotFound(new Error("invoking aws:ec2/getSubnet:getSubnet: no matching EC2 Subnet found"))).to.equal(
            true,
        );
        expect(isNotFound(new Error("no matching EC2 Security Group found"))).to.equal(true);
        expect(
            isNotFound(
                new Error(
                    "multiple EC2 Subnets matched; use additional constraints to reduce matches to a single EC2 Subnet",
                ),
            ),
        ).to.equal(false);
    });
});
