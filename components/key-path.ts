// How the component's messages write where a setting is, `gpuPools[1] "serve".gpuLimit`, and what
// reads it back (the component provider turns it into the engine's property path). No imports:
// the provider loads this before anything else of the component.

/** A pool's place: `gpuPools[1] "serve"`, or `gpuPools[1]` while it has no name. */
export function poolKey(index: number, raw: unknown): string {
    const name = raw !== null && typeof raw === "object" ? (raw as { name?: unknown }).name : undefined;
    return typeof name === "string" && name !== ""
        ? `gpuPools[${index}] ${JSON.stringify(name)}`
        : `gpuPools[${index}]`;
}

/** The name poolKey writes after a pool's index (a JSON string), as a regular expression's source. */
export const POOL_NAME = String.raw`"(?:[^"\\]|\\.)*"`;
