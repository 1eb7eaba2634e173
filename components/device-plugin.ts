// The NVIDIA device plugin makes GPU nodes advertise `nvidia.com/gpu`. Without it a GPU pod never
// schedules, and Karpenter never marks the node initialized, so never removes it either.
// Bottlerocket's NVIDIA variant ships its own plugin, so its pools are left out.
import { Release } from "@pulumi/kubernetes/helm/v3";
import type { ResolvedArgs } from "./args";
import type { ResolvedGpuPool } from "./pool-args";
import type { KubernetesOptions } from "./controller";
import { NODEPOOL_LABEL } from "./gpu";
import { GPU_TAINT } from "./gpu-pools";

export const DEVICE_PLUGIN_REPOSITORY = "https://nvidia.github.io/k8s-device-plugin";
export const DEVICE_PLUGIN_CHART = "nvidia-device-plugin";

/** The pools whose AMI lacks a device plugin. */
export function poolsNeedingDevicePlugin(pools: ResolvedGpuPool[]): ResolvedGpuPool[] {
    return pools.filter(pool => pool.amiFamily !== "bottlerocket");
}

export function devicePluginValues(poolNames: string[]): Record<string, unknown> {
    return {
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [
                        { matchExpressions: [{ key: NODEPOOL_LABEL, operator: "In", values: poolNames }] },
                    ],
                },
            },
        },
        tolerations: [
            { key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect },
            { key: "CriticalAddonsOnly", operator: "Exists" },
        ],
    };
}

/** Undefined when disabled or when no pool needs it. */
export function registerDevicePlugin(
    componentName: string,
    args: ResolvedArgs,
    k8s: KubernetesOptions,
): Release | undefined {
    const pools = poolsNeedingDevicePlugin(args.gpuPools);
    if (!args.devicePlugin.enabled || pools.length === 0) {
        return undefined;
    }
    return new Release(
        `${componentName}-nvidia-device-plugin`,
        {
            name: "nvidia-device-plugin",
            chart: DEVICE_PLUGIN_CHART,
            repositoryOpts: { repo: DEVICE_PLUGIN_REPOSITORY },
            version: args.devicePlugin.version,
            namespace: "kube-system",
            values: devicePluginValues(pools.map(pool => pool.name)),
        },
        { ...k8s },
    );
}
