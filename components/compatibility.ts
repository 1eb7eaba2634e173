// What works with what: a Karpenter version against the cluster's Kubernetes version (Karpenter's
// compatibility matrix), and against what the pools ask of it (reserved capacity). Pure: the args
// and the component share it.
import { Problems, show } from "./checks";
import { VOLUME_INITIALIZATION_RATE_SINCE } from "./image-args";
import { poolKey } from "./key-path";
import type { ResolvedGpuPool } from "./pool-args";
import { DEFAULT_KARPENTER_VERSION, SEMVER, compareVersions } from "./versions";

/**
 * The first Karpenter that supports each Kubernetes minor: upgrading/compatibility.md, generated from
 * hack/docs/compatibilitymatrix_gen/compatibility.yaml, in karpenter-provider-aws v1.14.1.
 */
export const KARPENTER_FOR_KUBERNETES: Readonly<Record<string, string>> = {
    "1.31": "1.0.5",
    "1.32": "1.2.0",
    "1.33": "1.5.0",
    "1.34": "1.6.0",
    "1.35": "1.9.0",
    "1.36": "1.13.0",
};
/** The same file's minK8sVersion: 1.25 for Karpenter 1.0 to 1.4, 1.26 from 1.5 on. */
const OLDEST_KUBERNETES: readonly { since: string; kubernetes: string }[] = [
    { since: "1.5.0", kubernetes: "1.26" },
    { since: "1.0.0", kubernetes: "1.25" },
];
const MATRIX_SOURCE = "Karpenter's compatibility matrix, upgrading/compatibility.md";

/** "1.34", "v1.34" or "1.34.2" -> [1, 34]; undefined for anything else. */
function minor(version: string): [number, number] | undefined {
    const m = /^v?(\d+)\.(\d+)(\.\d+)?$/.exec(version);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compareMinor(a: [number, number], b: [number, number]): number {
    return a[0] - b[0] || a[1] - b[1];
}

export interface Compatibility {
    /** The pair cannot work: refuse it. */
    error?: string;
    /** The pair is outside what the matrix knows: go on, but say so. */
    warning?: string;
}

/**
 * Whether Karpenter `karpenterVersion` runs on Kubernetes `kubernetesVersion` (the cluster's, from
 * getCluster's `version`, or `kubernetesVersion` of a created one); `where` names the cluster.
 */
export function kubernetesCompatibility(
    karpenterVersion: string,
    kubernetesVersion: string,
    where: string,
): Compatibility {
    const k8s = minor(kubernetesVersion);
    if (!k8s || !SEMVER.test(karpenterVersion)) return {};
    const k8sText = `${k8s[0]}.${k8s[1]}`;
    const needed = KARPENTER_FOR_KUBERNETES[k8sText];
    if (needed && compareVersions(karpenterVersion, needed) < 0) {
        return {
            error:
                `karpenterVersion: Karpenter ${karpenterVersion} does not support Kubernetes ${k8sText} (${where}): ` +
                `Kubernetes ${k8sText} needs Karpenter ${needed} or later (${MATRIX_SOURCE}); ` +
                `set karpenterVersion to ${needed} or later (default ${DEFAULT_KARPENTER_VERSION})`,
        };
    }
    const oldest = OLDEST_KUBERNETES.find(o => compareVersions(karpenterVersion, o.since) >= 0);
    if (oldest && compareMinor(k8s, minor(oldest.kubernetes)!) < 0) {
        return {
            error:
                `karpenterVersion: Karpenter ${karpenterVersion} does not support Kubernetes ${k8sText} (${where}): ` +
                `it needs Kubernetes ${oldest.kubernetes} or later (${MATRIX_SOURCE}); upgrade the cluster`,
        };
    }
    const known = Object.keys(KARPENTER_FOR_KUBERNETES).map(v => minor(v)!);
    const newest = known.reduce((a, b) => (compareMinor(a, b) >= 0 ? a : b));
    if (compareMinor(k8s, newest) > 0) {
        return {
            warning:
                `Kubernetes ${k8sText} (${where}) is newer than ${MATRIX_SOURCE} as this package knows it ` +
                `(up to ${newest.join(".")}); check that Karpenter ${karpenterVersion} supports it`,
        };
    }
    return {};
}

/** Capacity type "reserved" and capacityReservationSelectorTerms arrive in Karpenter 1.3.0, behind the alpha gate. */
export const RESERVED_CAPACITY_SINCE = "1.3.0";
/** From 1.6.0 the ReservedCapacity gate is beta and on in the chart (values.yaml settings.featureGates). */
export const RESERVED_CAPACITY_ON_SINCE = "1.6.0";

const usesReserved = (pools: readonly ResolvedGpuPool[]) => pools.some(pool => pool.capacityTypes.includes("reserved"));

/**
 * Refuses pools Karpenter `karpenterVersion` cannot run: capacity type "reserved" before 1.3.0, an
 * image snapshot's initialization rate before 1.5.0.
 */
export function checkPoolsAgainstKarpenter(p: Problems, karpenterVersion: string, pools: readonly ResolvedGpuPool[]) {
    if (!SEMVER.test(karpenterVersion)) return;
    const before = (version: string) => compareVersions(karpenterVersion, version) < 0;
    pools.forEach((pool, i) => {
        if (pool.imageSnapshot?.initializationRate !== undefined && before(VOLUME_INITIALIZATION_RATE_SINCE)) {
            // An older EC2NodeClass CRD prunes the field it does not know, so the rate would silently not apply.
            p.add(
                `${poolKey(i, pool)}.imageSnapshot.initializationRate`,
                `needs Karpenter ${VOLUME_INITIALIZATION_RATE_SINCE} or later, whose EC2NodeClass has volumeInitializationRate ` +
                    `(karpenterVersion is ${show(karpenterVersion)}); use a newer karpenterVersion, or leave the rate out`,
            );
        }
        if (pool.capacityTypes.includes("reserved") && before(RESERVED_CAPACITY_SINCE)) {
            p.add(
                `${poolKey(i, pool)}.capacityTypes`,
                `"reserved" needs Karpenter ${RESERVED_CAPACITY_SINCE} or later (karpenterVersion is ` +
                    `${show(karpenterVersion)}): before it Karpenter has no reserved capacity type and its ` +
                    `EC2NodeClass no capacityReservationSelectorTerms; use "spot" or "on-demand", or a newer karpenterVersion`,
            );
        }
    });
}

/**
 * Feature gates the pools need that the chart leaves off: ReservedCapacity is alpha and off from
 * 1.3.0 to 1.5.x, where a reserved pool would never launch into its reservations without it.
 */
export function impliedFeatureGates(
    karpenterVersion: string,
    pools: readonly ResolvedGpuPool[],
): Record<string, boolean> {
    const alphaReserved =
        usesReserved(pools) &&
        compareVersions(karpenterVersion, RESERVED_CAPACITY_SINCE) >= 0 &&
        compareVersions(karpenterVersion, RESERVED_CAPACITY_ON_SINCE) < 0;
    return alphaReserved ? { reservedCapacity: true } : {};
}
