// The versions the component installs by default and accepts, and how they compare.
import { Problems, show } from "./checks";

export const DEFAULT_KARPENTER_VERSION = "1.14.1";
/** v1beta1 is still served (through conversion webhooks) before 1.1; the v1 API is all we render. */
export const MIN_KARPENTER_VERSION = "1.1.0";
export const DEFAULT_DEVICE_PLUGIN_VERSION = "0.18.2";
/** The first Karpenter whose NodePool CRD accepts consolidationPolicy "Balanced". */
export const BALANCED_SINCE = "1.14.0";

export const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

export function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < 3; i++) {
        if (pa[i] !== pb[i]) return pa[i] - pb[i];
    }
    return 0;
}

export function resolveKarpenterVersion(p: Problems, value: unknown): string {
    const version = p.str("karpenterVersion", value, DEFAULT_KARPENTER_VERSION)!;
    const plain = version.replace(/^v/, "");
    if (!SEMVER.test(plain)) {
        p.add(
            "karpenterVersion",
            `${show(version)} is not a release version; use one like "${DEFAULT_KARPENTER_VERSION}"`,
        );
    } else if (compareVersions(plain, MIN_KARPENTER_VERSION) < 0) {
        p.add(
            "karpenterVersion",
            `${show(version)} is not supported: versions before ${MIN_KARPENTER_VERSION} still serve the ` +
                `dropped v1beta1 APIs; use ${MIN_KARPENTER_VERSION} or later (default ${DEFAULT_KARPENTER_VERSION})`,
        );
    }
    return plain;
}
