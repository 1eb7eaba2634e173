// Start-up time of the offline plan and the tests. @pulumi/pulumi loads the TypeScript compiler
// and npm's Arborist eagerly, for function serialization only (aws.lambda.CallbackFunction and
// the like), which nothing here uses: together they are more than half a second of a ~1.5 s plan.
// This defers each to its first real use: a proxy loads the real module the moment any member is
// touched, so behaviour is unchanged. Installed by the offline entry points only, never by
// index.ts or the component, so `pulumi up` loads the SDK exactly as published.
import Module = require("module");

type Loader = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;

const moduleLoader = Module as unknown as { _load: Loader };
const original = moduleLoader._load;

/** Arborist's exports, listed so `__importStar` can copy them without loading it. */
const ARBORIST_EXPORTS = ["Arborist", "Node", "Link", "Edge", "Shrinkwrap"];

function fromPulumiSdk(parent: { filename?: string } | undefined): boolean {
    return !!parent?.filename && /[\\/]@pulumi[\\/]pulumi[\\/]/.test(parent.filename);
}

function deferred(load: () => any, keys?: string[]): unknown {
    let real: any;
    const get = () => (real ??= load());
    // With known keys each export is a forwarding stand-in, so copying the namespace loads nothing.
    const standIns = new Map((keys ?? []).map(key => [key, function (this: unknown, ...args: unknown[]) {
        const target = get()[key];
        return new.target ? Reflect.construct(target, args, new.target) : target.apply(this, args);
    }]));
    return new Proxy({}, {
        get: (_t, key) => {
            if (typeof key === "string" && standIns.has(key)) return standIns.get(key);
            // Interop helpers ask this first; a CommonJS module with known exports has no such flag.
            if (keys && key === "__esModule") return undefined;
            return get()[key];
        },
        has: (_t, key) => key in get(),
        ownKeys: () => (keys ? [...keys] : Reflect.ownKeys(get())),
        getOwnPropertyDescriptor: (_t, key) => keys && typeof key === "string" && standIns.has(key)
            ? { value: standIns.get(key), enumerable: true, configurable: true, writable: false }
            : withConfigurable(Reflect.getOwnPropertyDescriptor(get(), key)),
    });
}

// A proxy may only report a property as configurable unless its (empty) target has it too.
function withConfigurable(descriptor: PropertyDescriptor | undefined): PropertyDescriptor | undefined {
    return descriptor && { ...descriptor, configurable: true };
}

let installed = false;

/** Idempotent; takes effect for @pulumi/pulumi loaded after it. Runs on import. */
export function deferSdkInternals(): void {
    if (installed) return;
    installed = true;
    moduleLoader._load = function (request, parent, isMain) {
        if (fromPulumiSdk(parent)) {
            if (request === "typescript") {
                return deferred(() => original.call(this, request, parent, isMain));
            }
            if (request === "@npmcli/arborist") {
                return deferred(() => original.call(this, request, parent, isMain), ARBORIST_EXPORTS);
            }
        }
        return original.call(this, request, parent, isMain);
    };
}

deferSdkInternals();
