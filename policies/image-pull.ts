// The advisory policy for GPU pools whose nodes pull every image the usual way: no parallel pull and
// no image snapshot on the EC2NodeClass they launch from. A stack policy, since a NodePool says how
// it launches only through the EC2NodeClass it names; read by the one reader the plan uses too
// (components/image-pull.ts).
import { DEFAULT_PRICE_REGION, instanceTypeInfo } from "../components/cost";
import { imageArrivalOf } from "../components/image-pull";
import { nodePoolCost } from "./cost";
import type { EngineResource } from "./karpenter";
import { EC2NODECLASS_TYPE, NODEPOOL_TYPE, isGpuPool, mayBeAutoModePool, poolLabel } from "./nodepool";
import type { StackRule } from "./rule-types";
import { displayName, isUnknown, knownString, valueAt } from "./values";

/** Whether any value inside is not known yet. */
function hasUnknown(value: unknown): boolean {
    if (isUnknown(value)) return true;
    if (value === null || typeof value !== "object") return false;
    return Object.values(value).some(hasUnknown);
}

/** The EC2NodeClass fields that say how images arrive. */
const ARRIVAL_FIELDS = ["amiFamily", "amiSelectorTerms", "userData", "blockDeviceMappings"];

/** What a minute of waiting costs on the pool's priciest type that fits its GPU limit, at us-east-1 on-demand prices. */
function waitingCost(pool: EngineResource): string {
    const cost = nodePoolCost(pool.props, DEFAULT_PRICE_REGION)?.cost;
    if (!cost) return "";
    let priciest: { type: string; hourly: number } | undefined;
    for (const type of cost.admittedTypes) {
        const info = instanceTypeInfo(type);
        const hourly = info?.hourlyPrice[cost.priceRegion];
        if (!info || hourly === undefined || info.gpus === 0) continue;
        if (cost.gpuLimit !== undefined && info.gpus > cost.gpuLimit) continue;
        if (!priciest || hourly > priciest.hourly) priciest = { type, hourly };
    }
    return priciest
        ? `; its priciest type, ${priciest.type}, bills $${(priciest.hourly / 60).toFixed(2)} for each minute it waits (${cost.priceRegion} on-demand)`
        : "";
}

/**
 * What each fast path costs and saves, with the public figures: AWS's karpenter-blueprints,
 * blueprints/soci-snapshotter README (commit be1fe4f, June 2026), on CPU instances with over
 * 8,000 Mbps of network and EBS bandwidth, RAID0 instance store and gp3 at 1,000 MiB/s and 16,000 IOPS.
 */
const FAST_PATHS =
    "Parallel pull (AL2023 v20250821 and later: nodeadm's FastImagePull feature gate; Bottlerocket 1.44.0 and later: " +
    "the SOCI snapshotter's parallel-pull-unpack mode) takes more CPU, memory and disk throughput while a node pulls " +
    "(nodeadm asks for 600 MiB/s of volume throughput); AWS's karpenter-blueprints (soci-snapshotter) measured a 9.4 GB " +
    "image at 2m10.8s pulled the usual way against 39.6s with it on AL2023 and 23.2s on Bottlerocket, on instances with " +
    "over 8,000 Mbps of network and EBS bandwidth and gp3 at 1,000 MiB/s and 16,000 IOPS. An image snapshot (Bottlerocket: " +
    "the data volume restored from an EBS snapshot with the images already pulled) skips the pull, for the snapshot's " +
    "storage and a new snapshot whenever the images change.";

export const imagePull: StackRule = {
    name: "gpu-nodepool-image-pull",
    description:
        "GPU NodePools launch from an EC2NodeClass with parallel image pull or an image snapshot, so a new GPU node does not bill for minutes while multi-GB AI images are pulled layer by layer.",
    enforcementLevel: "advisory",
    appliesTo: type => type === NODEPOOL_TYPE || type === EC2NODECLASS_TYPE,
    checkStack: resources => {
        const nodeClasses = resources.filter(r => r.type === EC2NODECLASS_TYPE);
        // A class whose name is not known yet could be any pool's.
        if (nodeClasses.some(c => knownString(valueAt(c.props, "metadata", "name")) === undefined)) return [];
        return resources.flatMap(pool => {
            // EKS Auto Mode pulls in parallel on its own (on by default since November 2025).
            if (pool.type !== NODEPOOL_TYPE || isGpuPool(pool.props) !== true || mayBeAutoModePool(pool.props)) {
                return [];
            }
            const ref = valueAt(pool.props, "spec", "template", "spec", "nodeClassRef", "name");
            const nodeClass = nodeClasses.find(c => valueAt(c.props, "metadata", "name") === ref);
            // A class from outside the stack, or not known yet, cannot be judged.
            const spec = valueAt(nodeClass?.props, "spec");
            if (!nodeClass || isUnknown(ref) || ARRIVAL_FIELDS.some(f => hasUnknown(valueAt(spec, f)))) return [];
            const arrival = imageArrivalOf(spec);
            if (!arrival || arrival.parallelPull || arrival.snapshot) return [];
            return [
                {
                    resource: pool,
                    message:
                        `${poolLabel(pool)} pulls its images layer after layer: EC2NodeClass "${displayName(nodeClass)}" turns on ` +
                        `neither parallel pull nor an image snapshot, so each new GPU node waits for its pods' whole images` +
                        `${waitingCost(pool)}. ${FAST_PATHS} Fix: with gpu-karpenter set the pool's fastImagePull or imageSnapshot; ` +
                        `otherwise add them to the EC2NodeClass's userData or blockDeviceMappings.`,
                },
            ];
        });
    },
};
