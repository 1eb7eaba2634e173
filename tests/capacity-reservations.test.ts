// Reserved capacity (On-Demand Capacity Reservations, Capacity Blocks for ML) on a GPU pool: the
// pool names its reservations, the EC2NodeClass selects them, and the NodePool admits `reserved`.
import { expect } from "chai";
import { asEngineResources } from "../offline/plan-stack";
import { ProgramFailure } from "../offline/run-program";
import { validatePolicyPackConfig } from "../policies/policy-config";
import { evaluateResources } from "../policies/rules";
import {
    NODECLASS,
    NODEPOOL,
    controllerStatements,
    expectValidKarpenter,
    json,
    ofType,
    one,
    run,
    runError,
} from "./helpers";

const training = {
    name: "training",
    instanceTypes: ["p5.48xlarge"],
    capacityTypes: ["reserved", "spot"],
    capacityReservations: { ids: ["cr-0123456789abcdef0", "cr-0fedcba9876543210"], tags: { purpose: "training" } },
    gpuLimit: 16,
};

describe("GPU pools on reserved capacity", function () {
    it("renders the reservations as the EC2NodeClass's capacityReservationSelectorTerms, valid for the 1.14.1 CRDs", async () => {
        const r = await run("dev", { gpuPools: [training] });
        const nodeClass = one(r, NODECLASS, "gpu-karpenter-training-nodeclass").inputs as any;
        expect(nodeClass.spec.capacityReservationSelectorTerms).to.deep.equal([
            { id: "cr-0123456789abcdef0" },
            { id: "cr-0fedcba9876543210" },
            { tags: { purpose: "training" } },
        ]);
        const nodePool = one(r, NODEPOOL, "gpu-karpenter-training-nodepool").inputs as any;
        expect(nodePool.spec.template.spec.requirements[0]).to.deep.equal({
            key: "karpenter.sh/capacity-type",
            operator: "In",
            values: ["reserved", "spot"],
        });
        expectValidKarpenter(r);
    });

    it("renders no selector terms for a pool without reservations", async () => {
        const r = await run("dev");
        for (const nodeClass of ofType(r, NODECLASS)) {
            expect((nodeClass.inputs as any).spec).to.not.have.property("capacityReservationSelectorTerms");
        }
    });

    it("passes the pack with allowedCapacityTypes [spot, reserved], and fails it on the spot-only default", async () => {
        const r = await run("dev", { gpuPools: [training] });
        const resources = asEngineResources(r.resources);
        const { config, problems } = validatePolicyPackConfig({
            "gpu-nodepool-spot-only": { allowedCapacityTypes: ["spot", "reserved"] },
        });
        expect(problems).to.deep.equal([]);
        expect(evaluateResources(resources, config).filter(v => v.enforcement === "mandatory")).to.deep.equal([]);
        expect(
            evaluateResources(resources)
                .filter(v => v.enforcement === "mandatory")
                .map(v => `${v.policy} ${v.name}`),
        ).to.deep.equal(["gpu-nodepool-spot-only training"]);
    });

    it("keeps the permissions and interruption rule Karpenter 1.14.1's reference gives reservations", async () => {
        // cloudformation.yaml at v1.14.1: RunInstances/CreateFleet on capacity-reservation/*,
        // ec2:DescribeCapacityReservations, and the capacity reservation interruption rule.
        const r = await run("dev", { gpuPools: [training] });
        const statements = controllerStatements(r);
        const launch = statements.find(s => s.Sid === "AllowScopedEC2InstanceAccessActions");
        expect(launch.Action).to.deep.equal(["ec2:RunInstances", "ec2:CreateFleet"]);
        expect(launch.Resource).to.include("arn:aws:ec2:us-west-2:*:capacity-reservation/*");
        expect(statements.find(s => s.Sid === "AllowRegionalReadActions").Action).to.include(
            "ec2:DescribeCapacityReservations",
        );
        expect(
            ofType(r, "aws:cloudwatch/eventRule:EventRule").map(
                rule => json(rule.inputs.eventPattern)["detail-type"][0],
            ),
        ).to.include("EC2 Capacity Reservation Instance Interruption Warning");
    });

    const refusals: [string, Record<string, unknown>, string[]][] = [
        [
            "reserved without reservations",
            { name: "gpu", capacityTypes: ["reserved", "spot"] },
            [
                'gpu-karpenter:gpuPools[0] "gpu".capacityTypes: "reserved" needs gpuPools[0] "gpu".capacityReservations: the capacity reservations the pool may launch into, as ids (e.g. {"ids": ["cr-0123456789abcdef0"]}) and/or tags (e.g. {"tags": {"purpose": "training"}}); without them Karpenter never uses a reservation',
            ],
        ],
        [
            "reservations the capacity types never use",
            { name: "gpu", capacityReservations: { ids: ["cr-0123456789abcdef0"] } },
            [
                'gpu-karpenter:gpuPools[0] "gpu".capacityReservations: is set, but gpuPools[0] "gpu".capacityTypes does not include "reserved", so Karpenter would never launch into these reservations; add "reserved" to capacityTypes',
            ],
        ],
        [
            "bad ids, empty tags and unknown keys",
            {
                name: "gpu",
                capacityTypes: ["reserved"],
                capacityReservations: {
                    ids: ["cr-0123456789abcdef0", "odcr-1", "cr-0123456789abcdef0"],
                    tags: { purpose: "" },
                    owner: "me",
                },
            },
            [
                'gpu-karpenter:gpuPools[0] "gpu".capacityReservations.owner: unknown setting; allowed: ids, tags',
                'gpu-karpenter:gpuPools[0] "gpu".capacityReservations.ids[1]: "odcr-1" is not a capacity reservation id; use one like "cr-0123456789abcdef0"',
                'gpu-karpenter:gpuPools[0] "gpu".capacityReservations.ids[2]: "cr-0123456789abcdef0" is listed twice',
                'gpu-karpenter:gpuPools[0] "gpu".capacityReservations.tags: "purpose": empty tag keys and values are not allowed; use "*" for any value',
            ],
        ],
        [
            "no reservation named",
            { name: "gpu", capacityTypes: ["reserved"], capacityReservations: {} },
            [
                'gpu-karpenter:gpuPools[0] "gpu".capacityReservations: name at least one reservation: ids (e.g. ["cr-0123456789abcdef0"]) and/or tags (e.g. {"purpose": "training"})',
            ],
        ],
        [
            "more selector terms than the CRD takes",
            {
                name: "gpu",
                capacityTypes: ["reserved"],
                capacityReservations: {
                    ids: Array.from({ length: 30 }, (_, i) => `cr-${i}a`),
                    tags: { purpose: "training" },
                },
            },
            [
                'gpu-karpenter:gpuPools[0] "gpu".capacityReservations.ids: lists 30 reservations; an EC2NodeClass takes at most 30 selector terms (each id is one, the tags one more)',
            ],
        ],
    ];
    for (const [what, pool, messages] of refusals) {
        it(`stops on ${what}, naming the key, before registering anything`, async () => {
            const e = await runError(run("dev", { gpuPools: [pool] }));
            expect(e).to.be.instanceOf(ProgramFailure);
            expect((e as ProgramFailure).resources).to.be.empty;
            const lines = e.message
                .split("\n")
                .map(l => l.trim())
                .filter(l => l.startsWith("gpu-karpenter:gpuPools"));
            expect(lines).to.deep.equal(messages);
        });
    }
});
