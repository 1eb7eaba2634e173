// A one-GPU pod, as in the guide: scaling it up makes a GPU node appear, scaling it down lets
// consolidation remove the node a minute later.
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "@pulumi/kubernetes/apps/v1";
import type { KubernetesOptions } from "./controller";
import { GPU_TAINT } from "./gpu-pools";
import { NVIDIA_GPU_RESOURCE } from "./gpu";

export const EXAMPLE_WORKLOAD_NAME = "gpu-smoke-test";
export const EXAMPLE_WORKLOAD_IMAGE = "nvcr.io/nvidia/cuda:12.9.1-base-ubuntu24.04";

export function exampleWorkloadManifest(namespace = "default") {
    const labels = { app: EXAMPLE_WORKLOAD_NAME };
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: EXAMPLE_WORKLOAD_NAME, namespace, labels },
        spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    tolerations: [{ key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect }],
                    containers: [
                        {
                            name: "cuda",
                            image: EXAMPLE_WORKLOAD_IMAGE,
                            command: ["sh", "-c", "nvidia-smi && sleep infinity"],
                            resources: { limits: { [NVIDIA_GPU_RESOURCE]: "1" } },
                        },
                    ],
                },
            },
        },
    };
}

export function registerExampleWorkload(
    componentName: string,
    opts: {
        dependsOn: pulumi.Resource[];
        k8s: KubernetesOptions;
    },
): Deployment {
    const manifest = exampleWorkloadManifest();
    return new Deployment(
        `${componentName}-${EXAMPLE_WORKLOAD_NAME}`,
        {
            metadata: manifest.metadata,
            spec: manifest.spec,
        },
        {
            ...opts.k8s,
            dependsOn: opts.dependsOn,
            // A GPU node takes minutes to launch, pull the CUDA image and start the device plugin.
            customTimeouts: { create: "20m" },
        },
    );
}
