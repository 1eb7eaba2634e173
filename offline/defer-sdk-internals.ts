// Speed of the offline plan and the tests. @pulumi/pulumi loads the TypeScript compiler
// and npm's Arborist eagerly, for function serialization only (aws.lambda.CallbackFunction and
// the like), which nothing here uses: together they are more than half a second of a ~1.5 s plan.
// This defers each to its first real use: a proxy loads the real module the moment any member is
// touched, so behaviour is unchanged. It also leaves out the SDK's promise stack traces (below).
// Installed by the offline entry points only, never by index.ts or the component, so `pulumi up`
// loads the SDK exactly as published.
import Module = require("module");

type Loader = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;

const moduleLoader = Module as unknown as { _load: Loader };
const original = moduleLoader._load;

/** Arborist's exports, listed so `__importStar` can copy them without loading it. */
const ARBORIST_EXPORTS = ["Arborist", "Node", "Link", "Edge", "Shrinkwrap"];

function fromPulumiSdk(parent: { filename?: string } | undefined): boolean {
    return !!parent?.filename && /[\\/]@pulumi[\\/]pulumi[\\/]/.test(parent.filename);
}

// What module interop asks of every module it loads (TypeScript's __importStar; Node's and tsx's
// require of ES modules). Both deferred modules are plain CommonJS without either, so asking must
// not load them.
const INTEROP_KEYS = new Set<string | symbol>(["__esModule", "module.exports"]);

function deferred(load: () => any, keys?: string[]): unknown {
    let real: any;
    const get = () => (real ??= load());
    // With known keys each export is a forwarding stand-in, so copying the namespace loads nothing.
    const standIns = new Map(
        (keys ?? []).map(key => [
            key,
            function (this: unknown, ...args: unknown[]) {
                const target = get()[key];
                return new.target ? Reflect.construct(target, args, new.target) : target.apply(this, args);
            },
        ]),
    );
    return new Proxy(
        {},
        {
            get: (_t, key) => {
                if (typeof key === "string" && standIns.has(key)) return standIns.get(key);
                if (INTEROP_KEYS.has(key)) return undefined;
                return get()[key];
            },
            has: (_t, key) => !INTEROP_KEYS.has(key) && key in get(),
            ownKeys: () => (keys ? [...keys] : Reflect.ownKeys(get())),
            getOwnPropertyDescriptor: (_t, key) => {
                if (INTEROP_KEYS.has(key)) return undefined;
                return keys && typeof key === "string" && standIns.has(key)
                    ? { value: standIns.get(key), enumerable: true, configurable: true, writable: false }
                    : withConfigurable(Reflect.getOwnPropertyDescriptor(get(), key));
            },
        },
    );
}

// A proxy may only report a property as configurable unless its (empty) target has it too.
function withConfigurable(descriptor: PropertyDescriptor | undefined): PropertyDescriptor | undefined {
    return descriptor && { ...descriptor, configurable: true };
}

/**
 * The SDK gives every internal promise a formatted stack trace, which it prints only when a
 * promise leaks and PULUMI_DEBUG_PROMISE_LEAKS is set: thousands of traces a plan, a tenth of its
 * time. Without that variable the trace is left out; the promises themselves are unchanged.
 */
const WITHOUT_STACK_TRACE = Symbol("without stack trace");

function skipPromiseStackTraces(debuggable: { debuggablePromise?: unknown }): void {
    const original = debuggable.debuggablePromise;
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS || typeof original !== "function" || WITHOUT_STACK_TRACE in original)
        return;
    debuggable.debuggablePromise = Object.assign(
        function (this: unknown, ...args: unknown[]) {
            const limit = Error.stackTraceLimit;
            Error.stackTraceLimit = 0;
            try {
                return original.apply(this, args);
            } finally {
                Error.stackTraceLimit = limit;
            }
        },
        { [WITHOUT_STACK_TRACE]: true },
    );
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
            if (request.endsWith("/debuggable")) {
                const debuggable = original.call(this, request, parent, isMain) as { debuggablePromise?: unknown };
                skipPromiseStackTraces(debuggable);
                return debuggable;
            }
        }
        return original.call(this, request, parent, isMain);
    };
}

deferSdkInternals();
