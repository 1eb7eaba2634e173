// The cloud the offline plan and the tests run against: an account, a region and one EKS cluster,
// described in JSON (offline/default-cluster.json, or a user's file).
import { readFileSync } from "fs";
import * as path from "path";
import defaultCluster from "./default-cluster.json";

export interface FakeNodeGroup {
    name: string;
    subnetIds: string[];
}

export interface FakeCluster {
    accountId: string;
    partition: string;
    dnsSuffix: string;
    region: string;
    /** Whether the account has EC2's spot service-linked role (one that never used spot has not). */
    spotServiceLinkedRole: boolean;
    /** Tags already on subnets and security groups, by id (any other id has none). */
    resourceTags: Record<string, Record<string, string>>;
    /**
     * When set, the subnets the account has besides those of the cluster's node groups (and any in
     * `resourceTags`): looking up another fails as AWS does. Unset: every well-formed id exists.
     */
    subnets?: string[];
    /** When set, the security groups the account has besides the cluster's (and any in `resourceTags`). */
    securityGroups?: string[];
    /** Look-ups (invoke tokens) the caller is not allowed to make: each fails with AccessDenied. */
    deniedLookups: string[];
    cluster: {
        /** When set, looking up any other cluster name fails as it would in AWS. */
        name?: string;
        endpoint: string;
        certificateAuthority: string;
        /** Empty when the cluster has no OIDC issuer. */
        oidcIssuer: string;
        /** Whether an IAM OIDC provider exists for the issuer. */
        oidcProvider: boolean;
        authenticationMode: "API" | "API_AND_CONFIG_MAP" | "CONFIG_MAP";
        version: string;
        vpcId: string;
        clusterSecurityGroupId: string;
        nodeGroups: FakeNodeGroup[];
        /** The aws-auth ConfigMap's data, when the cluster has one. */
        awsAuth?: Record<string, string>;
        /** Principals (role ARNs) that already have an access entry, such as a managed node group's role. */
        accessEntries: string[];
        /** Names of the EKS add-ons the cluster runs. */
        addons: string[];
        /** Whether the cluster runs EKS Auto Mode compute (getCluster's computeConfig.enabled). */
        autoMode?: boolean;
    };
}

/** Keys a cluster file may set beyond those of the default description. */
const OPTIONAL_KEYS = ["subnets", "securityGroups"];
const OPTIONAL_CLUSTER_KEYS = ["name", "awsAuth", "autoMode"];

export const DEFAULT_CLUSTER_FILE = path.join(__dirname, "default-cluster.json");

export class FakeClusterError extends Error {}

/** What a description may give: any top-level field, and any field of `cluster`. */
export type FakeClusterDescription = Partial<Omit<FakeCluster, "cluster">> & {
    cluster?: Partial<FakeCluster["cluster"]>;
};

const AUTH_MODES = ["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"];

/**
 * The default fake cluster (offline/default-cluster.json) with `given`'s fields over it; an unknown
 * or bad field fails, named, after `source`.
 */
export function fakeCluster(given: FakeClusterDescription = {}, source = "fakeCluster"): FakeCluster {
    const defaults = structuredClone(defaultCluster) as FakeCluster;
    const bad = (field: string, why: string) => new FakeClusterError(`${source}: ${field} ${why}`);
    // policies/values has the same, but this module ships in gpu-karpenter/testing, which has no policies/.
    const isObject = (v: unknown): v is Record<string, unknown> =>
        v !== null && typeof v === "object" && !Array.isArray(v);
    if (!isObject(given))
        throw bad("(the whole description)", `must be a JSON object like ${path.basename(DEFAULT_CLUSTER_FILE)}`);
    const unknown = (keys: string[], allowed: string[], where: string) => {
        const extra = keys.filter(k => !allowed.includes(k));
        if (extra.length > 0)
            throw bad(extra.map(k => `${where}${k}`).join(", "), `unknown; allowed: ${allowed.join(", ")}`);
    };
    unknown(Object.keys(given), [...Object.keys(defaults), ...OPTIONAL_KEYS], "");
    if (given.cluster !== undefined) {
        if (!isObject(given.cluster)) throw bad("cluster", "must be an object");
        unknown(Object.keys(given.cluster), [...Object.keys(defaults.cluster), ...OPTIONAL_CLUSTER_KEYS], "cluster.");
    }
    const merged: FakeCluster = { ...defaults, ...given, cluster: { ...defaults.cluster, ...(given.cluster ?? {}) } };
    const c = merged.cluster;
    if (!/^\d{12}$/.test(merged.accountId)) throw bad("accountId", "must be 12 digits");
    if (!AUTH_MODES.includes(c.authenticationMode))
        throw bad("cluster.authenticationMode", `must be one of ${AUTH_MODES.join(", ")}`);
    if (
        !Array.isArray(c.nodeGroups) ||
        c.nodeGroups.some(g => typeof g.name !== "string" || !Array.isArray(g.subnetIds))
    ) {
        throw bad("cluster.nodeGroups", "must be a list of {name, subnetIds}");
    }
    if (!Array.isArray(c.accessEntries) || c.accessEntries.some(a => typeof a !== "string")) {
        throw bad("cluster.accessEntries", "must be a list of principal ARNs");
    }
    if (!Array.isArray(merged.deniedLookups) || merged.deniedLookups.some(t => typeof t !== "string")) {
        throw bad("deniedLookups", `must be a list of invoke tokens, e.g. ["aws:iam/getRole:getRole"]`);
    }
    if (!Array.isArray(c.addons) || c.addons.some(a => typeof a !== "string"))
        throw bad("cluster.addons", "must be a list of add-on names");
    if (typeof merged.spotServiceLinkedRole !== "boolean") throw bad("spotServiceLinkedRole", "must be true or false");
    for (const key of OPTIONAL_KEYS as ("subnets" | "securityGroups")[]) {
        const ids = merged[key];
        if (ids !== undefined && (!Array.isArray(ids) || ids.some(id => typeof id !== "string")))
            throw bad(key, "must be a list of ids");
    }
    if (c.autoMode !== undefined && typeof c.autoMode !== "boolean")
        throw bad("cluster.autoMode", "must be true or false");
    if (!isObject(merged.resourceTags) || !Object.values(merged.resourceTags).every(isObject)) {
        throw bad(
            "resourceTags",
            `must map ids to tags, e.g. {"subnet-0a1111111111111aa": {"karpenter.sh/discovery": "other"}}`,
        );
    }
    return merged;
}

/** Reads a cluster description file (`npm run plan -- --cluster FILE`), filling what it leaves out from the defaults. */
export function loadFakeCluster(file = DEFAULT_CLUSTER_FILE): FakeCluster {
    if (file === DEFAULT_CLUSTER_FILE) return fakeCluster();
    let given: unknown;
    try {
        given = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
        throw new FakeClusterError(`--cluster ${file}: ${(e as Error).message}`);
    }
    if (given === null || typeof given !== "object" || Array.isArray(given)) {
        throw new FakeClusterError(
            `--cluster ${file}: (the whole file) must be a JSON object like ${path.basename(DEFAULT_CLUSTER_FILE)}`,
        );
    }
    return fakeCluster(given, `--cluster ${file}`);
}
