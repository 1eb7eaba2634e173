import { createHash } from "crypto";

/** The component's type token; the pack recognises the NodePools it made by it (their URNs hold it). */
export const GPU_KARPENTER_TYPE = "gpu-karpenter:index:GpuKarpenter";

/**
 * A physical name within an AWS length limit: kept whole when it fits, otherwise cut and given a
 * short hash of the whole, so names stay unique per cluster however long the cluster name is.
 */
export function boundedName(name: string, max: number): string {
    if (name.length <= max) {
        return name;
    }
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
    return `${name.slice(0, max - hash.length - 1).replace(/[-_.]+$/, "")}-${hash}`;
}
