// Karpenter itself: the CRD chart, then the controller chart with its CRDs skipped, so the CRDs
// upgrade with the version (Helm never upgrades a chart's crds/ directory).
import * as pulumi from "@pulumi/pulumi";
import { Release } from "@pulumi/kubernetes/helm/v3";
import type { ResolvedArgs } from "./args";
import { NODEPOOL_LABEL } from "./gpu-pools";

/** Kubernetes children: parented to the component, talking to the cluster through its provider. */
export interface KubernetesOptions {
    parent: pulumi.Resource;
    provider: pulumi.ProviderResource;
}

export const KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter";
export const KARPENTER_CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd";
export const SERVICE_ACCOUNT = "karpenter";

export interface ControllerValuesInputs {
    clusterName: string;
    interruptionQueueName?: string;
    /** IRSA only: Pod Identity needs no annotation. */
    controllerRoleArn?: string;
    controller: ResolvedArgs["controller"];
}

export function controllerValues(i: ControllerValuesInputs): Record<string, unknown> {
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
        },
        serviceAccount: {
            name: SERVICE_ACCOUNT,
            ...(i.controllerRoleArn ? { annotations: { "eks.amazonaws.com/role-arn": i.controllerRoleArn } } : {}),
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

export function registerController(componentName: string, args: ResolvedArgs, opts: {
    controllerRoleArn: pulumi.Output<string>;
    interruptionQueueName?: pulumi.Output<string>;
    /** Everything the controller needs while it runs: it must outlive none of them. */
    dependsOn: pulumi.Resource[];
    k8s: KubernetesOptions;
}): { crds: Release; controller: Release } {
    const crds = new Release(`${componentName}-karpenter-crd`, {
        name: "karpenter-crd",
        chart: KARPENTER_CRD_CHART,
        version: args.karpenterVersion,
        namespace: args.namespace,
        createNamespace: args.namespace !== "kube-system",
    }, { ...opts.k8s });

    const values = pulumi
        .all([opts.controllerRoleArn, opts.interruptionQueueName])
        .apply(([roleArn, queueName]) => controllerValues({
            clusterName: args.clusterName,
            interruptionQueueName: queueName,
            controllerRoleArn: args.identity === "irsa" ? roleArn : undefined,
            controller: args.controller,
        }));

    const controller = new Release(`${componentName}-karpenter`, {
        name: "karpenter",
        chart: KARPENTER_CHART,
        version: args.karpenterVersion,
        namespace: args.namespace,
        skipCrds: true,
        values,
    }, { ...opts.k8s, dependsOn: [crds, ...opts.dependsOn] });
    return { crds, controller };
}
