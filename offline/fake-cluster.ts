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
    };
}

export const DEFAULT_CLUSTER_FILE = path.join(__dirname, "default-cluster.json");

export class FakeClusterError extends Error {}

/** What a description may give: any top-level field, and any field of `cluster`. */
export type FakeClusterDescription = Partial<Omit<FakeCluster, "cluster">> & { cluster?: Partial<FakeCluster["cluster"]> };

const AUTH_MODES = ["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"];

/**
 * The default fake cluster (offline/default-cluster.json) with `given`'s fields over it; a bad
 * field fails, named, prefixed by `source`.
 */
export function fakeCluster(given: FakeClusterDescription = {}, source = "fakeCluster"): FakeCluster {
    const defaults = structuredClone(defaultCluster) as FakeCluster;
    const merged: FakeCluster = { ...defaults, ...given, cluster: { ...defaults.cluster, ...(given.cluster ?? {}) } };
    const c = merged.cluster;
    const bad = (field: string, why: string) => new FakeClusterError(`${source}: ${field} ${why}`);
    if (!/^\d{12}$/.test(merged.accountId)) throw bad("accountId", "must be 12 digits");
    if (!AUTH_MODES.includes(c.authenticationMode)) throw bad("cluster.authenticationMode", `must be one of ${AUTH_MODES.join(", ")}`);
    if (!Array.isArray(c.nodeGroups) || c.nodeGroups.some(g => typeof g.name !== "string" || !Array.isArray(g.subnetIds))) {
        throw bad("cluster.nodeGroups", "must be a list of {name, subnetIds}");
    }
    return merged;
}

/** Reads a cluster description file (`npm run plan -- --cluster FILE`), filling what it leaves out from the defaults. */
export function loadFakeCluster(file = DEFAULT_CLUSTER_FILE): FakeCluster {
    if (file === DEFAULT_CLUSTER_FILE) return fakeCluster();
    let given: FakeClusterDescription;
    try {
        given = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
        throw new FakeClusterError(`--cluster ${file}: ${(e as Error).message}`);
    }
    return fakeCluster(given, `--cluster ${file}`);
}
