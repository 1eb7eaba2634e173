// The args of what runs in the cluster besides the pools: Karpenter's controller and the NVIDIA
// device plugin, their defaults and their checks.
import { Integer, Problems, show } from "./checks";
import { DEFAULT_DEVICE_PLUGIN_VERSION, SEMVER } from "./versions";

/** The controller's log level. */
export const LogLevel = {
    /** Every decision, for troubleshooting. */
    Debug: "debug",
    /** What the controller does: launches, consolidations, interruptions. */
    Info: "info",
    /** Failures only. */
    Error: "error",
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];
export const LOG_LEVELS: readonly LogLevel[] = Object.values(LogLevel);

/** Karpenter's feature gates a pool of GPU nodes may want, both alpha and off in the chart by default. */
export const FEATURE_GATES = ["nodeRepair", "spotToSpotConsolidation"] as const;
type FeatureGate = (typeof FEATURE_GATES)[number];

/** Karpenter feature gates (the chart's `settings.featureGates`). */
export interface FeatureGates {
    /** Replace nodes whose conditions stay unhealthy, GPUs' included (needs the EKS node monitoring agent). */
    nodeRepair?: boolean;
    /** Let consolidation replace a spot node with a cheaper spot node. */
    spotToSpotConsolidation?: boolean;
}

/** Karpenter's controller: its pods, where they run, and what they log. */
export interface ControllerSettings {
    /** Controller pods, 1-10; one leads, the others stand by. Default 2. */
    replicas?: Integer;
    /** CPU request and limit. Default "1". */
    cpu?: string;
    /** Memory request and limit. Default "1Gi". */
    memory?: string;
    /** Pin the controller to this EKS managed node group (label eks.amazonaws.com/nodegroup). */
    nodeGroup?: string;
    /** How much the controller logs. Default "info". */
    logLevel?: LogLevel;
    /** Alpha features of Karpenter to turn on; all off by default. */
    featureGates?: FeatureGates;
}

/** The NVIDIA device plugin, which makes GPUs schedulable (`nvidia.com/gpu`). */
export interface DevicePluginSettings {
    /** Install it. Default true (skipped anyway when every pool is Bottlerocket, whose AMI ships one). */
    enabled?: boolean;
    /** nvidia-device-plugin chart version. Default "0.18.2". */
    version?: string;
}

/** @deprecated Use FeatureGates (renamed: codegen for other languages appends "Args" to input types). */
export type FeatureGatesArgs = FeatureGates;
/** @deprecated Use ControllerSettings. */
export type ControllerArgs = ControllerSettings;
/** @deprecated Use DevicePluginSettings. */
export type DevicePluginArgs = DevicePluginSettings;

export type ResolvedController = Required<Omit<ControllerSettings, "nodeGroup" | "featureGates">> & {
    nodeGroup?: string;
    featureGates: Required<FeatureGates>;
};

export const CONTROLLER_DEFAULTS = {
    replicas: 2,
    cpu: "1",
    memory: "1Gi",
    logLevel: "info" as LogLevel,
};

const CONTROLLER_KEYS: (keyof ControllerSettings)[] = [
    "replicas",
    "cpu",
    "memory",
    "nodeGroup",
    "logLevel",
    "featureGates",
];
const DEVICE_PLUGIN_KEYS: (keyof DevicePluginSettings)[] = ["enabled", "version"];
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

export function resolveController(p: Problems, value: unknown): ResolvedController {
    const controllerRaw = value ?? {};
    const controller: ResolvedController = {
        ...CONTROLLER_DEFAULTS,
        nodeGroup: undefined,
        // Typed by FEATURE_GATES, so a gate FeatureGates has and the list lacks does not compile.
        featureGates: Object.fromEntries(FEATURE_GATES.map(gate => [gate, false])) as Record<FeatureGate, boolean>,
    };
    if (p.object("controller", controllerRaw)) {
        p.unknownKeys("controller", controllerRaw, CONTROLLER_KEYS);
        controller.replicas = p.int("controller.replicas", controllerRaw.replicas, CONTROLLER_DEFAULTS.replicas, 1, 10);
        for (const k of ["cpu", "memory"] as const) {
            const v = p.str(`controller.${k}`, controllerRaw[k], CONTROLLER_DEFAULTS[k])!;
            if (!QUANTITY.test(v))
                p.add(
                    `controller.${k}`,
                    `${show(v)} is not a Kubernetes quantity; use one like "${CONTROLLER_DEFAULTS[k]}"`,
                );
            controller[k] = v;
        }
        controller.nodeGroup = p.str("controller.nodeGroup", controllerRaw.nodeGroup);
        controller.logLevel = p.oneOf(
            "controller.logLevel",
            controllerRaw.logLevel,
            LOG_LEVELS,
            CONTROLLER_DEFAULTS.logLevel,
        );
        const gates = controllerRaw.featureGates;
        if (gates !== undefined && p.object("controller.featureGates", gates)) {
            p.unknownKeys("controller.featureGates", gates, FEATURE_GATES);
            for (const gate of FEATURE_GATES) {
                controller.featureGates[gate] = p.bool(`controller.featureGates.${gate}`, gates[gate], false);
            }
        }
    }
    return controller;
}

export function resolveDevicePlugin(p: Problems, value: unknown): Required<DevicePluginSettings> {
    const devicePluginRaw = value ?? {};
    const devicePlugin = { enabled: true, version: DEFAULT_DEVICE_PLUGIN_VERSION };
    if (p.object("devicePlugin", devicePluginRaw)) {
        p.unknownKeys("devicePlugin", devicePluginRaw, DEVICE_PLUGIN_KEYS);
        devicePlugin.enabled = p.bool("devicePlugin.enabled", devicePluginRaw.enabled, true);
        devicePlugin.version = p
            .str("devicePlugin.version", devicePluginRaw.version, DEFAULT_DEVICE_PLUGIN_VERSION)!
            .replace(/^v/, "");
        if (!SEMVER.test(devicePlugin.version)) {
            p.add(
                "devicePlugin.version",
                `${show(devicePluginRaw.version)} is not a chart version; use one like "${DEFAULT_DEVICE_PLUGIN_VERSION}"`,
            );
        }
    }
    return devicePlugin;
}
