// Checks of the cluster itself, made once it is known (looked up or given) and before the component
// registers any child: an install that would succeed and then never work is refused here.
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedArgs } from "./args";
import { GpuKarpenterConfigError, plainValue, settingsError } from "./checks";
import type { ClusterDetails } from "./cluster-args";
import { kubernetesCompatibility } from "./compatibility";
import { findAddon } from "./lookups";

export const POD_IDENTITY_AGENT = "eks-pod-identity-agent";

/**
 * Refuses an EKS Auto Mode cluster, a Karpenter version the cluster's Kubernetes cannot run, and Pod
 * Identity without its agent. Returns the chart version to install: when the cluster's version is
 * an Output (a cluster created in the same program), one that fails the deployment, before the
 * CRD chart installs, once that version is known and does not fit.
 */
export async function checkCluster(
    args: ResolvedArgs,
    cluster: ClusterDetails,
    knownName: string | undefined,
    opts: pulumi.InvokeOptions & { parent: pulumi.Resource },
): Promise<pulumi.Input<string>> {
    const where = knownName ? `cluster ${knownName}` : "the cluster";
    if (cluster.autoMode) {
        // Helm's take-ownership adopts whatever exists (helm pkg/action/validate.go, requireAdoption), so the
        // karpenter-crd release would seize the karpenter.sh CRDs EKS runs its own NodePools on.
        throw new GpuKarpenterConfigError(
            `clusterName: ${where} runs EKS Auto Mode (computeConfig.enabled), where EKS owns the karpenter.sh ` +
                `NodePool and NodeClaim CRDs; this component installs its own Karpenter, whose CRD chart would take ` +
                `them over; give GPU capacity through Auto Mode's own NodePools there, or use a cluster without Auto Mode compute`,
        );
    }

    let chartVersion: pulumi.Input<string> = args.karpenterVersion;
    const compatible = (version: string | undefined) => {
        const found = version ? kubernetesCompatibility(args.karpenterVersion, version, where) : {};
        if (found.warning) void pulumi.log.warn(found.warning, opts.parent);
        if (found.error) throw settingsError([found.error]);
        return args.karpenterVersion;
    };
    const version = plainValue(cluster.version);
    if (cluster.version === undefined || version !== undefined) compatible(version);
    else chartVersion = pulumi.output(cluster.version).apply(compatible);

    if (args.identity === "podIdentity" && args.podIdentityAgent === "addon") {
        const selfManaged = `or set podIdentityAgent "selfManaged" where the agent runs from its Helm chart`;
        if (knownName === undefined) {
            throw new GpuKarpenterConfigError(
                `podIdentityAgent: "addon": clusterName is an Output, so the component cannot look up the ` +
                    `${POD_IDENTITY_AGENT} add-on that identity "podIdentity" needs; create the add-on in your program ` +
                    `(aws.eks.Addon, addonName "${POD_IDENTITY_AGENT}") and set podIdentityAgent "selfManaged", or pass a plain clusterName`,
            );
        }
        if (!(await findAddon(knownName, POD_IDENTITY_AGENT, opts))) {
            throw new GpuKarpenterConfigError(
                `identity: "podIdentity" needs the EKS Pod Identity agent, and cluster ${knownName} has no ` +
                    `${POD_IDENTITY_AGENT} add-on, so the controller would get no AWS credentials; add it ` +
                    `(aws eks create-addon --cluster-name ${knownName} --addon-name ${POD_IDENTITY_AGENT}), ` +
                    `use identity "irsa", ${selfManaged}`,
            );
        }
    }
    return chartVersion;
}
