// A GPU pool's image settings (fastImagePull, imageSnapshot, userData): their checks, what each
// needs of the AMI release and Karpenter version, and what they mean for the pool's volumes. The
// userData they render, and how any EC2NodeClass is read back, are in image-pull.ts.
import { Integer, Problems, show } from "./checks";
import { admittedGpuInstanceTypes, listTypes } from "./cost";
import { instanceRequirement } from "./gpu";
import { UserDataFamily, userDataParallelPull, userDataProblem } from "./image-pull";
import { compareVersions } from "./versions";

/**
 * The first AL2023 EKS AMI whose nodeadm knows the FastImagePull gate. awslabs/amazon-eks-ami
 * CHANGELOG, "AMI Release v20250821": "chore(nodeadm): rename feature flag" (#2381), which renamed
 * v20250813's AggressiveImagePull (added with "feat(nodeadm) add SOCI snapshotter support", #2352).
 */
export const FAST_IMAGE_PULL_AL2023_SINCE = "v20250821";
export const AGGRESSIVE_IMAGE_PULL_RELEASE = "v20250813";
/**
 * The first Bottlerocket with the SOCI snapshotter and its parallel pull: bottlerocket-os/bottlerocket
 * CHANGELOG v1.44.0 (2025-08-04): "Add soci-snapshotter support to kubernetes variants" (#4593),
 * "Configure soci-snapshotter for parallel pull unpack feature" (bottlerocket-core-kit#569).
 */
export const FAST_IMAGE_PULL_BOTTLEROCKET_SINCE = "1.44.0";
/**
 * nodeadm turns the SOCI snapshotter on only where the instance has this much
 * (nodeadm/internal/containerd/config.go, UseSOCISnapshotter, which compares the memory the kernel
 * reports, a little less than the type's): 4 vCPUs and 7 GiB from v20251016 ("feat: allow parallel
 * image pull on more instance types", #2461), 8 and 8 before.
 */
export const FAST_IMAGE_PULL_THRESHOLDS = [
    { since: "v20251016", vcpus: 4, memoryGiB: 7 },
    { since: FAST_IMAGE_PULL_AL2023_SINCE, vcpus: 8, memoryGiB: 8 },
] as const;
/**
 * From this AL2023 release the AMI binds the SOCI snapshotter's data directory
 * (/var/lib/soci-snapshotter-grpc) onto the RAID0 instance store with the others
 * (CHANGELOG "AMI Release v20251217": "feat: mount soci directory to instance store", #2548);
 * before, it stays on the root volume.
 */
export const SOCI_ON_INSTANCE_STORE_SINCE = "v20251217";
/**
 * The root-volume throughput nodeadm's documentation asks for with FastImagePull ("We recommend at
 * least 600MiB/s throughput. Below that value, you may see longer image pull times with this flag";
 * nodeadm/doc/examples.md, "Enabling fast image pull"). AWS's karpenter-blueprints
 * (blueprints/soci-snapshotter) give Bottlerocket's data volume the same.
 */
export const FAST_IMAGE_PULL_MIN_THROUGHPUT = 600;
/** The first Karpenter whose EC2NodeClass takes an EBS volumeInitializationRate (#8048). */
export const VOLUME_INITIALIZATION_RATE_SINCE = "1.5.0";

const AL2023_RELEASE = /^v([0-9]{8})$/;
const BOTTLEROCKET_RELEASE = /^v([0-9]+\.[0-9]+\.[0-9]+)$/;

/** Compares two AL2023 AMI releases ("v20251016"); both must match vYYYYMMDD. */
function compareAl2023(a: string, b: string): number {
    return Number(AL2023_RELEASE.exec(a)![1]) - Number(AL2023_RELEASE.exec(b)![1]);
}

/** Whether an AL2023 alias version is this release or later: `latest` always is; undefined when it is not a release. */
export function al2023AtLeast(version: string, since: string): boolean | undefined {
    if (version === "latest") return true;
    return AL2023_RELEASE.test(version) ? compareAl2023(version, since) >= 0 : undefined;
}

/**
 * Why a pool on `family@version` cannot have parallel pull, with the release that first has it;
 * undefined when it can. An older nodeadm ignores a gate it does not know (feature gates are a plain
 * map it looks names up in: nodeadm/internal/api/featuregates.go), so the node joins and pulls as
 * before, silently; an older Bottlerocket refuses user data with a setting it does not know, so the
 * node never finishes booting (bottlerocket-os/bottlerocket#1346).
 */
export function fastImagePullReleaseProblem(family: string, version: string): string | undefined {
    if (family === "al2023") {
        const ok = al2023AtLeast(version, FAST_IMAGE_PULL_AL2023_SINCE);
        if (ok === undefined) {
            return `cannot tell whether AL2023 "${version}" has FastImagePull; use "al2023@latest" or a release "al2023@vYYYYMMDD", ${FAST_IMAGE_PULL_AL2023_SINCE} or later`;
        }
        if (ok) return undefined;
        const renamed =
            version === AGGRESSIVE_IMAGE_PULL_RELEASE
                ? ` (${AGGRESSIVE_IMAGE_PULL_RELEASE} named the gate AggressiveImagePull; ${FAST_IMAGE_PULL_AL2023_SINCE} renamed it)`
                : "";
        return (
            `AL2023 ${version} predates nodeadm's FastImagePull gate${renamed}: its nodeadm ignores a gate it does not know, ` +
            `so nodes would join and pull images as before, silently. FastImagePull is in AMI release ` +
            `${FAST_IMAGE_PULL_AL2023_SINCE} and later (amazon-eks-ami CHANGELOG); use "al2023@latest" or a release from ${FAST_IMAGE_PULL_AL2023_SINCE} on`
        );
    }
    if (family === "bottlerocket") {
        const ok = bottlerocketAtLeast(version, FAST_IMAGE_PULL_BOTTLEROCKET_SINCE);
        if (ok === undefined) {
            return `cannot tell whether Bottlerocket "${version}" has the SOCI snapshotter; use "bottlerocket@latest" or a release "bottlerocket@vX.Y.Z", ${FAST_IMAGE_PULL_BOTTLEROCKET_SINCE} or later`;
        }
        if (ok) return undefined;
        return (
            `Bottlerocket ${version} predates the SOCI snapshotter: it refuses user data with settings it does not know ` +
            `(settings.container-runtime.snapshotter, settings.container-runtime-plugins), so nodes would never finish booting. ` +
            `Parallel pull is in Bottlerocket ${FAST_IMAGE_PULL_BOTTLEROCKET_SINCE} and later (bottlerocket CHANGELOG, #4593); ` +
            `use "bottlerocket@latest" or "bottlerocket@v${FAST_IMAGE_PULL_BOTTLEROCKET_SINCE}" or later`
        );
    }
    return undefined;
}

/** The vCPUs and memory below which nodeadm at this AL2023 release ignores FastImagePull. */
export function fastImagePullThreshold(version: string): { vcpus: number; memoryGiB: number } {
    const found = FAST_IMAGE_PULL_THRESHOLDS.find(t => al2023AtLeast(version, t.since) !== false);
    return found ?? FAST_IMAGE_PULL_THRESHOLDS[FAST_IMAGE_PULL_THRESHOLDS.length - 1];
}

/**
 * From this Bottlerocket release Karpenter (1.8.0 and later) lets Bottlerocket choose the
 * directories it binds onto a RAID0 instance store (`apiclient ephemeral-storage bind` without
 * --dirs; karpenter-provider-aws pkg/providers/version, SupportsDefaultBind, #8478), the SOCI
 * snapshotter's among them; before, it names /var/lib/containerd, /var/lib/kubelet and
 * /var/log/pods only.
 */
export const BOTTLEROCKET_DEFAULT_BIND_SINCE = "1.46.0";

function bottlerocketAtLeast(version: string, since: string): boolean | undefined {
    if (version === "latest") return true;
    const m = BOTTLEROCKET_RELEASE.exec(version);
    return m ? compareVersions(m[1], since) >= 0 : undefined;
}

/** A Bottlerocket data volume with the pool's images already pulled, restored from an EBS snapshot. */
export interface ImageSnapshot {
    /** The EBS snapshot of a Bottlerocket data volume with the images pulled, e.g. "snap-0123456789abcdef0". */
    snapshotId: string;
    /**
     * How fast the new volume fetches the snapshot's blocks, in MiB/s, 100-300: EBS's Provisioned
     * Rate for Volume Initialization (Karpenter 1.5.0 and later). Default: none, so blocks load from
     * S3 as they are first read (or at once, where the snapshot has fast snapshot restore).
     */
    initializationRate?: Integer;
}

export interface ResolvedImageSnapshot {
    snapshotId: string;
    initializationRate?: number;
}

// EC2 snapshot ids: "snap-" and 8 (older) or 17 hexadecimal digits.
const SNAPSHOT_ID = /^snap-([0-9a-f]{8}|[0-9a-f]{17})$/;
const IMAGE_SNAPSHOT_KEYS: (keyof ImageSnapshot)[] = ["snapshotId", "initializationRate"];
const INITIALIZATION_RATE = { min: 100, max: 300 };

export interface ResolvedImageSettings {
    fastImagePull: boolean;
    imageSnapshot?: ResolvedImageSnapshot;
    userData?: string;
    /** What these settings make of the pool's volume throughput and instance-store policy where they are unset. */
    defaults: { rootVolumeThroughput?: number; instanceStorePolicy?: "none" };
}

/** What each family calls parallel pull, for messages. */
const PARALLEL_PULL_NAME: Record<UserDataFamily, string> = {
    al2023: "nodeadm's featureGates.FastImagePull",
    bottlerocket: `settings.container-runtime.snapshotter "soci" with the soci-snapshotter pull-mode "parallel-pull-unpack"`,
};

/**
 * fastImagePull, imageSnapshot and userData of the pool at `key`, checked against each other, the
 * AMI family and release (`amiFamily` undefined when the alias was refused already).
 */
export function resolveImageSettings(
    p: Problems,
    key: string,
    raw: Record<string, unknown>,
    amiFamily: UserDataFamily | undefined,
    aliasVersion: string | undefined,
): ResolvedImageSettings {
    const userData = p.str(`${key}.userData`, raw.userData);
    let userOn: boolean | undefined;
    if (userData !== undefined && amiFamily) {
        const problem = userDataProblem(amiFamily, userData);
        if (problem) p.add(`${key}.userData`, problem);
        else userOn = userDataParallelPull(amiFamily, userData);
    }
    const explicit =
        raw.fastImagePull === undefined ? undefined : p.bool(`${key}.fastImagePull`, raw.fastImagePull, false);
    if (amiFamily && explicit !== undefined && userOn !== undefined && explicit !== userOn) {
        p.add(
            `${key}.userData`,
            explicit
                ? `turns ${PARALLEL_PULL_NAME[amiFamily]} off (another value), and fastImagePull is true: ` +
                      `remove that from userData, or set fastImagePull to false`
                : `turns ${PARALLEL_PULL_NAME[amiFamily]} on, and fastImagePull is false: remove it from userData ` +
                      `and set fastImagePull to true (which also sizes the volume for it), or drop fastImagePull: false`,
        );
    }
    const fastImagePull = explicit ?? userOn === true;
    if (fastImagePull && amiFamily && aliasVersion) {
        const problem = fastImagePullReleaseProblem(amiFamily, aliasVersion);
        if (problem) {
            p.add(
                `${key}.${explicit ? "fastImagePull" : "userData"}`,
                `${problem} (amiAlias is "${amiFamily}@${aliasVersion}")`,
            );
        }
    }

    let imageSnapshot: ResolvedImageSnapshot | undefined;
    let instanceStorePolicy: "none" | undefined;
    const at = `${key}.imageSnapshot`;
    if (raw.imageSnapshot !== undefined && p.object(at, raw.imageSnapshot)) {
        const snapshot = raw.imageSnapshot;
        p.unknownKeys(at, snapshot, IMAGE_SNAPSHOT_KEYS);
        if (typeof snapshot.snapshotId !== "string" || !SNAPSHOT_ID.test(snapshot.snapshotId)) {
            p.add(
                `${at}.snapshotId`,
                snapshot.snapshotId === undefined
                    ? `is required: the EBS snapshot of a Bottlerocket data volume with the images pulled, e.g. "snap-0123456789abcdef0"`
                    : `${show(snapshot.snapshotId)} is not an EBS snapshot id; use one like "snap-0123456789abcdef0" ("snap-" and 8 or 17 hexadecimal digits)`,
            );
        }
        const rate =
            snapshot.initializationRate === undefined
                ? undefined
                : p.int(
                      `${at}.initializationRate`,
                      snapshot.initializationRate,
                      INITIALIZATION_RATE.min,
                      INITIALIZATION_RATE.min,
                      INITIALIZATION_RATE.max,
                      " of MiB/s",
                  );
        if (amiFamily === "al2023") {
            p.add(
                at,
                `is for Bottlerocket pools ("bottlerocket@..."), which keep images on a data volume of their own; ` +
                    `an AL2023 node keeps them on its root volume, which the AMI's own snapshot fills`,
            );
        }
        if (raw.instanceStorePolicy === "RAID0") {
            p.add(
                `${key}.instanceStorePolicy`,
                `"RAID0" cannot go with imageSnapshot: Karpenter then binds containerd's storage onto the instance store ` +
                    `(its bootstrap command "000-mount-instance-storage"), so the images on the snapshot's volume would never be used; ` +
                    `leave instanceStorePolicy unset (imageSnapshot makes it "none") or set "none"`,
            );
        } else if (raw.instanceStorePolicy === undefined) {
            instanceStorePolicy = "none";
        }
        imageSnapshot = {
            snapshotId: String(snapshot.snapshotId),
            ...(rate === undefined ? {} : { initializationRate: rate }),
        };
    }
    return {
        fastImagePull,
        ...(imageSnapshot ? { imageSnapshot } : {}),
        ...(userData === undefined ? {} : { userData }),
        defaults: {
            ...(fastImagePull && raw.rootVolumeThroughput === undefined
                ? { rootVolumeThroughput: FAST_IMAGE_PULL_MIN_THROUGHPUT }
                : {}),
            ...(instanceStorePolicy ? { instanceStorePolicy } : {}),
        },
    };
}

/** What `imageWarnings` reads of a resolved pool. */
export interface PoolImageSettings {
    amiFamily: UserDataFamily;
    amiAlias: string;
    fastImagePull: boolean;
    imageSnapshot?: ResolvedImageSnapshot;
    rootVolumeThroughput?: number;
    instanceStorePolicy: string;
    instanceTypes?: string[];
    instanceFamilies?: string[];
}

/** What a valid pool's image settings will not do on some of its nodes, for the deployment's warnings. */
export function imageWarnings(pool: PoolImageSettings): string[] {
    const warnings: string[] = [];
    const version = pool.amiAlias.slice(pool.amiAlias.indexOf("@") + 1);
    if (pool.fastImagePull && pool.amiFamily === "al2023") {
        const { vcpus, memoryGiB } = fastImagePullThreshold(version);
        const small = admittedGpuInstanceTypes([instanceRequirement(pool)])
            .types.filter(t => t.vcpus < vcpus || t.memoryMiB <= memoryGiB * 1024)
            .map(t => t.type);
        if (small.length > 0) {
            warnings.push(
                `nodeadm at ${pool.amiAlias} ignores FastImagePull on instances with fewer than ${vcpus} vCPUs or ${memoryGiB} GiB, ` +
                    `so images reach ${listTypes(small)} by the usual pull` +
                    (memoryGiB > FAST_IMAGE_PULL_THRESHOLDS[0].memoryGiB
                        ? ` (from ${FAST_IMAGE_PULL_THRESHOLDS[0].since} the threshold is ${FAST_IMAGE_PULL_THRESHOLDS[0].vcpus} vCPUs and ${FAST_IMAGE_PULL_THRESHOLDS[0].memoryGiB} GiB)`
                        : ""),
            );
        }
    }
    if (pool.fastImagePull && (pool.rootVolumeThroughput ?? 0) < FAST_IMAGE_PULL_MIN_THROUGHPUT) {
        warnings.push(
            `rootVolumeThroughput ${pool.rootVolumeThroughput} MiB/s is below the ${FAST_IMAGE_PULL_MIN_THROUGHPUT} MiB/s ` +
                `nodeadm's documentation asks for with parallel pull: where the SOCI snapshotter's data is on that volume, ` +
                `pulls may take longer than without parallel pull`,
        );
    }
    const sociOnEbs =
        pool.amiFamily === "al2023"
            ? al2023AtLeast(version, SOCI_ON_INSTANCE_STORE_SINCE) === false
            : bottlerocketAtLeast(version, BOTTLEROCKET_DEFAULT_BIND_SINCE) === false;
    if (pool.fastImagePull && pool.instanceStorePolicy === "RAID0" && sociOnEbs) {
        const volume = pool.amiFamily === "al2023" ? "root" : "data";
        const since =
            pool.amiFamily === "al2023"
                ? `AL2023 ${SOCI_ON_INSTANCE_STORE_SINCE}`
                : `Bottlerocket ${BOTTLEROCKET_DEFAULT_BIND_SINCE} with Karpenter 1.8.0 or later`;
        warnings.push(
            `at ${pool.amiAlias} the SOCI snapshotter keeps the unpacked images on the ${volume} volume, not on the RAID0 ` +
                `instance store (${since} puts them there): rootVolumeSize must hold the images, read at the volume's ` +
                `${pool.rootVolumeThroughput} MiB/s`,
        );
    }
    if (pool.imageSnapshot && pool.imageSnapshot.initializationRate === undefined) {
        warnings.push(
            `imageSnapshot has no initializationRate: the volume fetches the snapshot's blocks from S3 as they are first read, ` +
                `so each image's first start reads slowly unless the snapshot has fast snapshot restore; set ` +
                `${INITIALIZATION_RATE.min}-${INITIALIZATION_RATE.max} MiB/s`,
        );
    }
    return warnings;
}
