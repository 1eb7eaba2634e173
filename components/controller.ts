// Karpenter itself: the CRD chart, then the controller chart with its CRDs skipped, so the CRDs
// upgrade with the version (Helm never upgrades a chart's crds/ directory).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { Release } from "@pulumi/kubernetes/helm/v3";
import type { ResolvedArgs } from "./args";
import { impliedFeatureGates } from "./compatibility";
import { NODEPOOL_LABEL } from "./gpu";

/** Kubernetes children: parented to the component, talking to the cluster through its provider. */
export interface KubernetesOptions {
    parent: pulumi.Resource;
    provider: pulumi.ProviderResource;
}

export const KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter";
export const KARPENTER_CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd";
export const SERVICE_ACCOUNT = "karpenter";
/** Pod annotation whose change rolls the controller when its AWS identity changes. */
const IDENTITY_CHECKSUM_ANNOTATION = "gpu-karpenter.io/identity-checksum";
/**
 * How long `pulumi up` waits for the controller to be ready, in seconds; the provider's default is
 * 300 (pulumi-kubernetes helm_release.go, defaultTimeoutSeconds). A first start can take longer: a
 * controller that starts before its new role's trust (or Pod Identity association) has propagated
 * fails its EC2 check and exits (Karpenter pkg/operator CheckEC2Connectivity, os.Exit(1)), and the
 * kubelet restarts it with a growing back-off of up to 5 minutes. Bounded, so a controller that never
 * starts still fails the update.
 */
export const CONTROLLER_TIMEOUT_SECONDS = 600;

/** The CRD chart's values: CRDs survive `helm uninstall` (and so `pulumi destroy`). */
function crdValues(): Record<string, unknown> {
    // Deleting a CRD deletes every NodePool and NodeClaim, other teams' included, and once the
    // controller is gone their instances would be left running with nothing to remove them.
    return { additionalAnnotations: { "helm.sh/resource-policy": "keep" } };
}

export interface ControllerValuesInputs {
    clusterName: string;
    interruptionQueueName?: string;
    identity: ResolvedArgs["identity"];
    controllerRoleArn: string;
    controller: ResolvedArgs["controller"];
    /** Gates the pools need on this version beyond the user's (impliedFeatureGates). */
    impliedGates?: Record<string, boolean>;
}

export function controllerValues(i: ControllerValuesInputs): Record<string, unknown> {
    const enabledGates = Object.entries({ ...i.controller.featureGates, ...i.impliedGates })
        .filter(([, on]) => on)
        .map(([gate]) => gate);
    const nodeSelectorTerm = {
        matchExpressions: [
            // Never on a node Karpenter launched: it would be deleting its own node.
            { key: NODEPOOL_LABEL, operator: "DoesNotExist" },
            ...(i.controller.nodeGroup
                ? [{ key: "eks.amazonaws.com/nodegroup", operator: "In", values: [i.controller.nodeGroup] }]
                : []),
        ],
    };
    return {
        settings: {
            clusterName: i.clusterName,
            ...(i.interruptionQueueName ? { interruptionQueue: i.interruptionQueueName } : {}),
            // Only the gates turned on: the chart's own defaults stand for the rest.
            ...(enabledGates.length ? { featureGates: Object.fromEntries(enabledGates.map(g => [g, true])) } : {}),
        },
        serviceAccount: {
            name: SERVICE_ACCOUNT,
            // Pod Identity needs no annotation: the association names the service account.
            ...(i.identity === "irsa" ? { annotations: { "eks.amazonaws.com/role-arn": i.controllerRoleArn } } : {}),
        },
        // Credentials are handed to a pod when it starts: a new identity mode or role must restart it.
        podAnnotations: {
            [IDENTITY_CHECKSUM_ANNOTATION]: createHash("sha256")
                .update(`${i.identity}\n${i.controllerRoleArn}`)
                .digest("hex")
                .slice(0, 16),
        },
        replicas: i.controller.replicas,
        logLevel: i.controller.logLevel,
        controller: {
            resources: {
                requests: { cpu: i.controller.cpu, memory: i.controller.memory },
                limits: { cpu: i.controller.cpu, memory: i.controller.memory },
            },
        },
        affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [nodeSelectorTerm] } },
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }],
            },
        },
    };
}

export function registerController(
    componentName: string,
    args: ResolvedArgs,
    opts: {
        controllerRoleArn: pulumi.Output<string>;
        interruptionQueueName?: pulumi.Output<string>;
        /** args.karpenterVersion, or an Output of it that fails once the created cluster's version is known not to fit. */
        chartVersion?: pulumi.Input<string>;
        /** Everything the controller needs while it runs: it must outlive none of them. */
        dependsOn: pulumi.Resource[];
        k8s: KubernetesOptions;
    },
): { crds: Release; controller: Release } {
    const crds = new Release(
        `${componentName}-karpenter-crd`,
        {
            name: "karpenter-crd",
            chart: KARPENTER_CRD_CHART,
            version: opts.chartVersion ?? args.karpenterVersion,
            // Beside the controller, as Karpenter installs it. A new namespace replaces this release too:
            // the new one adopts the CRDs (takeOwnership) before the old one is uninstalled, which leaves
            // them in place (resource-policy keep).
            namespace: args.namespace,
            createNamespace: args.namespace !== "kube-system",
            values: crdValues(),
            // Adopts CRDs that `kubectl apply` or the karpenter chart's crds/ put there, instead of failing
            // with "invalid ownership metadata" (Karpenter's troubleshooting guide; Helm's --take-ownership).
            takeOwnership: true,
        },
        { ...opts.k8s },
    );

    const values = pulumi
        .all([args.clusterName, opts.controllerRoleArn, opts.interruptionQueueName])
        .apply(([clusterName, roleArn, queueName]) =>
            controllerValues({
                clusterName,
                interruptionQueueName: queueName,
                identity: args.identity,
                controllerRoleArn: roleArn,
                controller: args.controller,
                impliedGates: impliedFeatureGates(args.karpenterVersion, args.gpuPools),
            }),
        );

    const controller = new Release(
        `${componentName}-karpenter`,
        {
            name: "karpenter",
            chart: KARPENTER_CHART,
            version: opts.chartVersion ?? args.karpenterVersion,
            namespace: args.namespace,
            createNamespace: args.namespace !== "kube-system",
            skipCrds: true,
            values,
            timeout: CONTROLLER_TIMEOUT_SECONDS,
        },
        {
            ...opts.k8s,
            dependsOn: [crds, ...opts.dependsOn],
            // A new namespace replaces the release; its ClusterRoles and webhooks are cluster-wide, so the
            // old release must go first or the new one fails on them. Running nodes stay meanwhile.
            deleteBeforeReplace: true,
        },
    );
    return { crds, controller };
}
