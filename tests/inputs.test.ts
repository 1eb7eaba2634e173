// The component's arguments as another program passes them: Outputs of its own resources, checked
// when their values are known, and a clear error where a value must be known to decide resources.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { Addon, Cluster } from "@pulumi/aws/eks";
import { Role } from "@pulumi/aws/iam";
import { Subnet } from "@pulumi/aws/ec2";
import { GpuKarpenter } from "../components/gpu-karpenter";
import { type GpuKarpenterArgs, resolveArgs } from "../components/args";
import { ProgramFailure } from "../offline/run-program";
import {
    NODECLASS,
    changes,
    controllerStatements,
    fakeCluster,
    json,
    ofType,
    one,
    runError,
    runOffline,
    runTwice,
} from "./helpers";
import type { FakeCluster } from "../offline/fake-cluster";

/** A program that creates a cluster, a node role and subnets, and hands their Outputs to the component. */
function withResources(
    more: (r: { cluster: Cluster; role: Role; subnets: Subnet[] }) => Partial<GpuKarpenterArgs> = () => ({}),
) {
    return () => {
        const subnets = ["a", "b"].map(
            zone => new Subnet(`gpu-${zone}`, { vpcId: "vpc-0a1b2c3d4e5f60718", cidrBlock: "10.0.0.0/20" }),
        );
        const cluster = new Cluster("ai", {
            roleArn: "arn:aws:iam::111122223333:role/eks",
            vpcConfig: { subnetIds: subnets.map(s => s.id) },
        });
        const role = new Role("gpu-nodes", { assumeRolePolicy: "{}" });
        // A new cluster has no Pod Identity agent until the program adds it.
        const agent = new Addon("pod-identity-agent", {
            clusterName: cluster.name,
            addonName: "eks-pod-identity-agent",
        });
        const gpu = new GpuKarpenter(
            "gpu",
            {
                clusterName: cluster.name,
                cluster: {
                    endpoint: cluster.endpoint,
                    certificateAuthority: cluster.certificateAuthority.data,
                    oidcIssuerUrl: cluster.identities.apply(ids => ids[0].oidcs?.[0]?.issuer ?? ""),
                    clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
                    authenticationMode: "API",
                    version: cluster.version,
                },
                nodeRoleArn: role.arn,
                subnetIds: subnets.map(s => s.id),
                tags: { owner: role.name },
                identity: "podIdentity",
                podIdentityAgent: "selfManaged",
                ...more({ cluster, role, subnets }),
            },
            { dependsOn: [agent] },
        );
        return { nodeRoleName: gpu.nodeRoleName };
    };
}

const plan = (program: () => unknown, fake?: FakeCluster) => runOffline("inputs", program, fake);

describe("arguments from other resources", () => {
    it("take Outputs for the cluster, its details, the node role, the subnets and tag values", async () => {
        const r = await plan(withResources());
        const role = one(r, "aws:iam/role:Role", "gpu-nodes");
        // The cluster's physical name, which only the created cluster knows.
        const clusterName = String(one(r, "aws:eks/accessEntry:AccessEntry", "gpu-node-access").inputs.clusterName);
        expect(clusterName).to.match(/^ai-[0-9a-f]{7}$/);
        expect(
            one(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "gpu-pod-identity").inputs.clusterName,
        ).to.equal(clusterName);
        const nodeClass = one(r, NODECLASS, "gpu-gpu-nodeclass").inputs as any;
        expect(nodeClass.spec.role)
            .to.equal(r.outputs.nodeRoleName)
            .and.to.match(/^gpu-nodes-/);
        expect(nodeClass.spec.subnetSelectorTerms.map((t: any) => t.id))
            .to.have.length(2)
            .and.satisfy((ids: string[]) => ids.every(id => id.startsWith("subnet-")));
        expect(nodeClass.spec.securityGroupSelectorTerms).to.deep.equal([{ id: "sg-0c1a2b3c4d5e6f708" }]);
        expect(nodeClass.spec.tags).to.deep.equal({ owner: r.outputs.nodeRoleName });
        const controllerPolicy = controllerStatements(r).find(s => s.Sid === "AllowPassingInstanceRole");
        expect(controllerPolicy.Resource).to.equal(`arn:aws:iam::111122223333:role/${r.outputs.nodeRoleName}`);
        const rules = ofType(r, "aws:cloudwatch/eventRule:EventRule").map(x => x.inputs.name);
        expect(rules).to.include(`${clusterName}-karpenter-spot-interruption`);
        expect(role.inputs.assumeRolePolicy).to.equal("{}");
    });

    // The README's second "Use the component" example: run twice, the second run changes nothing.
    it("change nothing on a second run against the cloud the first left", async () => {
        const { second, steps } = await runTwice(cloud => runOffline("inputs", withResources(), fakeCluster(), cloud));
        expect(changes(steps)).to.deep.equal([]);
        one(second, "aws:eks/accessEntry:AccessEntry", "gpu-node-access");
    });

    it("finds the IAM OIDC provider from the issuer when cluster details leave it out (IRSA)", async () => {
        const r = await plan(withResources(() => ({ identity: "irsa" as const, podIdentityAgent: undefined })));
        const trust = json(one(r, "aws:iam/role:Role", "gpu-controller-role").inputs.assumeRolePolicy);
        expect(trust.Statement[0].Principal.Federated).to.equal(
            "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6",
        );
    });

    it("says how to get an IAM OIDC provider when cluster details leave it out and there is none (IRSA)", async () => {
        const e = await runError(
            plan(
                withResources(() => ({ identity: "irsa" as const, podIdentityAgent: undefined })),
                fakeCluster(f => {
                    f.cluster.oidcProvider = false;
                }),
            ),
        );
        expect(e).to.be.instanceOf(ProgramFailure);
        expect(e.message).to.match(
            /identity: "irsa" needs an IAM OIDC provider for https:\/\/oidc\.eks\.us-west-2\.amazonaws\.com\/id\/\w+, and there is none; create one \(eksctl utils associate-iam-oidc-provider --cluster ai-[0-9a-f]{7} --approve\) or use "podIdentity"/,
        );
    });

    it("checks an Output's value once known, failing with the same message as a plain value", async () => {
        const e = await runError(plan(withResources(() => ({ nodeRoleArn: pulumi.output("gpu-nodes") }))));
        expect(e).to.be.instanceOf(ProgramFailure);
        expect(e.message).to.contain(
            `invalid GpuKarpenter settings:\n  nodeRoleArn: "gpu-nodes" is not an IAM role ARN`,
        );
        const plain = await runError(plan(withResources(() => ({ nodeRoleArn: "gpu-nodes" }))));
        expect(plain.message).to.contain(`nodeRoleArn: "gpu-nodes" is not an IAM role ARN`);
        expect((plain as ProgramFailure).resources.filter(x => x.type.startsWith("gpu-karpenter"))).to.be.empty;
    });

    it("checks a created cluster's Kubernetes version once known, failing before the CRD chart installs", async () => {
        const e = await runError(plan(withResources(() => ({ karpenterVersion: "1.5.3" }))));
        expect(e).to.be.instanceOf(ProgramFailure);
        expect(e.message).to.contain(
            "karpenterVersion: Karpenter 1.5.3 does not support Kubernetes 1.34 (the cluster): Kubernetes 1.34 needs Karpenter 1.6.0 or later",
        );
        const crds = (e as ProgramFailure).resources.filter(x => x.name === "gpu-karpenter-crd");
        expect(crds).to.be.empty;
    });

    it("needs podIdentityAgent selfManaged for a cluster created in the program, whose add-on it cannot look up", async () => {
        const e = await runError(plan(withResources(() => ({ podIdentityAgent: undefined }))));
        expect(e.message).to.contain(
            `podIdentityAgent: "addon": clusterName is an Output, so the component cannot look up the eks-pod-identity-agent add-on`,
        );
    });

    it("refuses cluster details whose authenticationMode is missing or not one of EKS's three", () => {
        const details = {
            endpoint: "https://A1B2C3D4.gr7.us-west-2.eks.amazonaws.com",
            certificateAuthority: "Q0E=",
            oidcIssuerUrl: "https://oidc.eks.us-west-2.amazonaws.com/id/A1B2C3D4",
            clusterSecurityGroupId: "sg-0c1a2b3c4d5e6f708",
        };
        const error = (cluster: object) => {
            try {
                resolveArgs({ clusterName: "dev-ai", cluster } as unknown as GpuKarpenterArgs);
            } catch (e) {
                return e as Error;
            }
            return undefined;
        };
        expect(error({ ...details, authenticationMode: "api" })?.message).to.contain(
            `cluster.authenticationMode: "api" is not allowed (did you mean "API"?); use one of "API", "API_AND_CONFIG_MAP", "CONFIG_MAP"`,
        );
        expect(error(details)?.message).to.contain(
            `cluster.authenticationMode: is required: the cluster's accessConfig.authenticationMode, one of "API", "API_AND_CONFIG_MAP", "CONFIG_MAP"`,
        );
        expect(error({ ...details, authenticationMode: "API_AND_CONFIG_MAP" })).to.equal(undefined);
    });

    it("says what to pass when a value needed to decide resources is an Output", async () => {
        const noCluster = await runError(plan(withResources(() => ({ cluster: undefined }))));
        expect(noCluster.message).to.contain(
            "clusterName: it is an Output, not known until deployment, so the component cannot look up the cluster; pass cluster (endpoint",
        );
        const noSubnets = await runError(plan(withResources(() => ({ subnetIds: undefined }))));
        expect(noSubnets.message).to.contain("cannot look up its node groups' subnets; pass subnetIds");
        const tags = await runError(
            plan(
                withResources(({ cluster }) => ({
                    clusterName: "dev-ai",
                    discovery: "tags" as const,
                    subnetIds: [cluster.id],
                })),
            ),
        );
        expect(tags.message).to.contain(
            `subnetIds: discovery "tags" needs ids known before deployment (one tag per id)`,
        );
    });
});
