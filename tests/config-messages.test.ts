// The config errors a new user meets first: each names the setting as written, the pool by its name,
// and what to write instead.
import { expect } from "chai";
import { resolveArgs } from "../components/args";
import { GpuKarpenterConfigError } from "../components/checks";
import { readStackConfig } from "../components/stack-config";
import { evaluateResources, resourceFromManifest } from "../policies/rules";
import { errorMessage } from "./helpers";

/** The problem lines of the error `run` throws. */
function problems(run: () => unknown): string[] {
    return errorMessage(GpuKarpenterConfigError, run)
        .split("\n")
        .slice(1)
        .map(l => l.trim());
}

const stack = (config: Record<string, unknown>) => () =>
    readStackConfig(
        Object.fromEntries(
            Object.entries(config).map(([k, v]) => [
                `gpu-karpenter:${k}`,
                typeof v === "string" ? v : JSON.stringify(v),
            ]),
        ),
    );
const args = (a: Record<string, unknown>) => () => resolveArgs({ clusterName: "demo", ...a });

describe("config messages", () => {
    it("names a misspelt top-level key with its did-you-mean, not as the key it meant missing", () => {
        const lines = problems(stack({ clustername: "dev-ai" }));
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(
            /^gpu-karpenter:clustername: unknown setting \(did you mean "clusterName"\?\); allowed: clusterName, /,
        );
        // Unset, and not misspelt: still required.
        expect(problems(stack({ namespace: "karpenter" }))).to.deep.equal([
            "gpu-karpenter:clusterName: is required: the name of the EKS cluster to add GPU capacity to",
        ]);
        // The component's own args too.
        const component = problems(() => resolveArgs({ clustername: "demo" } as never));
        expect(component).to.have.length(1);
        expect(component[0]).to.match(/^clustername: unknown setting \(did you mean "clusterName"\?\)/);
    });

    it("shows the duration examples for a duration given as a number", () => {
        expect(
            problems(
                args({
                    gpuPools: [
                        {
                            name: "gpu",
                            consolidateAfter: 60,
                            expireAfter: 720,
                            terminationGracePeriod: 3600,
                            disruptionBudgets: [{ nodes: "0", schedule: "@daily", duration: 10 }],
                        },
                    ],
                }),
            ),
        ).to.deep.equal([
            'gpuPools[0] "gpu".consolidateAfter: 60 is a number, not a duration; use a string: a whole number of hours, minutes and seconds such as "30s", "1m", "1h30m" or "720h", or "Never"',
            'gpuPools[0] "gpu".expireAfter: 720 is a number, not a duration; use a string: a whole number of hours, minutes and seconds such as "30s", "1m", "1h30m" or "720h", or "Never"',
            'gpuPools[0] "gpu".terminationGracePeriod: 3600 is a number, not a duration; use a string: a whole number of hours, minutes and seconds such as "30s", "1m", "1h30m" or "720h"',
            'gpuPools[0] "gpu".disruptionBudgets[0].duration: 10 is a number, not a duration; use a string: hours and minutes only, such as "10h", "90m" or "1h30m"',
        ]);
    });

    it("names the pool an error is about by its name as well as its place", () => {
        expect(
            problems(stack({ clusterName: "dev-ai", gpuPools: [{ name: "train" }, { name: "serve", gpuLimit: 0 }] })),
        ).to.deep.equal([
            'gpu-karpenter:gpuPools[1] "serve".gpuLimit: 0 is not allowed; use a whole number of GPUs from 1 to 10000',
        ]);
        // A pool with no usable name is named by its place alone.
        expect(problems(args({ gpuPools: [{ gpuLimit: 4 }] }))[0]).to.match(/^gpuPools\[0\]\.name: undefined /);
    });

    it("says which value is listed twice, and lists no allowed value twice", () => {
        expect(problems(args({ gpuPools: [{ name: "gpu", capacityTypes: ["spot", "spot"] }] }))).to.deep.equal([
            'gpuPools[0] "gpu".capacityTypes: ["spot","spot"] lists "spot" more than once; list each value once',
        ]);
        const bad: Record<string, unknown>[] = [
            { identity: "kiam" },
            { nodeAccess: "x" },
            { discovery: "x" },
            { controller: { logLevel: "x" } },
            { gpuPools: [{ name: "a", capacityTypes: ["x", "spot"] }] },
            { gpuPools: [{ name: "a", consolidationPolicy: "whenempty" }] },
            { gpuPools: [{ name: "a", instanceStorePolicy: "x" }] },
            { gpuPools: [{ name: "a", amiAlias: "foo@latest" }] },
            { gpuPools: [{ name: "a", disruptionBudgets: [{ nodes: "1", reasons: ["Empty", "x"] }] }] },
            { gpuPools: [{ name: "a", disruptionBudgets: [{ nodes: "1", schedule: "@often", duration: "1h" }] }] },
            { gpuPools: [{ name: "a", instanceFamilies: ["g6ee"] }] },
            { gpuPools: [{ name: "a", expireAfter: "soon" }] },
            { gpuPools: [{ name: "a", wieght: 1 }] },
        ];
        for (const a of bad) {
            for (const line of problems(args(a))) {
                // The list of what is allowed: after "use one of", "allowed:", "its GPU families:", ...
                const list =
                    /(?:use one of|distinct values from|allowed:|GPU families:|is not one of|such as) ([^;(]*)/.exec(
                        line,
                    );
                expect(list, line).not.to.equal(null);
                const allowed = list![1].split(/, | or | and /).map(v => v.trim().replace(/\.$/, ""));
                expect(new Set(allowed).size, line).to.equal(allowed.length);
            }
        }
    });

    it("a policy fix for a pool GpuKarpenter made names its stack setting and the policy config knob too", () => {
        const manifest = {
            apiVersion: "karpenter.sh/v1",
            kind: "NodePool",
            metadata: { name: "ondemand" },
            spec: {
                template: {
                    spec: {
                        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "ondemand" },
                        requirements: [
                            { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
                            { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["g5", "g6"] },
                        ],
                        taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }],
                        expireAfter: "Never",
                    },
                },
                limits: { "nvidia.com/gpu": "4" },
                disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "1m" },
            },
        };
        const component = {
            ...resourceFromManifest(manifest),
            urn: "urn:pulumi:dev::gpu-karpenter::gpu-karpenter:index:GpuKarpenter$kubernetes:karpenter.sh/v1:NodePool::gpu-karpenter-ondemand-nodepool",
        };
        const handWritten = {
            ...resourceFromManifest(manifest),
            urn: "urn:pulumi:dev::infra::kubernetes:karpenter.sh/v1:NodePool::ondemand",
        };
        const spotOnly = (r: typeof component) =>
            evaluateResources([r]).find(v => v.policy === "gpu-nodepool-spot-only")!.message;
        const fix = "Fix: give it the requirement {key: karpenter.sh/capacity-type, operator: In, values: [spot]}.";
        expect(spotOnly(component)).to.contain(
            `${fix} GpuKarpenter made this pool: set capacityTypes: [spot] in its gpuPools entry (gpu-karpenter:gpuPools in the stack config), or allowedCapacityTypes of gpu-nodepool-spot-only in the policy pack config.`,
        );
        expect(spotOnly(handWritten).endsWith(fix)).to.equal(true);
    });
});
