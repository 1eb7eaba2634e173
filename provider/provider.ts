// The component provider other languages use GpuKarpenter through: it serves the schema written
// at build time (provider/schema.json, scripts/generate-schema.ts) and constructs the component
// with the same code TypeScript programs run. It replaces the SDK's componentProviderHost, which
// would run the component analyzer, compiling the whole project, in every plugin process before
// its first GetSchema or Construct (@pulumi/pulumi provider/experimental/provider.ts).
import type * as pulumi from "@pulumi/pulumi";
import { InputPropertiesError } from "@pulumi/pulumi/errors";
import type { PackageSpec } from "@pulumi/pulumi/provider/experimental/schema";
import type { GpuKarpenterArgs } from "../components/args";
import type { GpuKarpenter } from "../components/gpu-karpenter";
import { InputSchema, componentArgs, knownValues, propertiesError, settled } from "./inputs";
import schemaJson from "./schema.json";

export const SCHEMA = schemaJson as unknown as PackageSpec;
const [TOKEN] = Object.keys(SCHEMA.resources);

export class GpuKarpenterProvider implements pulumi.provider.Provider {
    /** package.json's version, which `npm run schema` wrote into the schema (tests/provider-schema.test.ts checks it). */
    readonly version = SCHEMA.version!;
    private readonly inputs = new InputSchema(SCHEMA, TOKEN);
    private readonly schemaText = JSON.stringify(SCHEMA);

    getSchema(): Promise<string> {
        return Promise.resolve(this.schemaText);
    }

    async construct(
        name: string,
        type: string,
        inputs: pulumi.Inputs,
        options: pulumi.ComponentResourceOptions,
    ): Promise<pulumi.provider.ConstructResult> {
        if (type !== TOKEN) throw new Error(`unknown resource type ${type}; this provider constructs ${TOKEN}`);
        // Loaded here, not at start: the component pulls in the AWS and Kubernetes SDKs, seconds of
        // loading that GetSchema does not need.
        const { GpuKarpenter } = require("../components/gpu-karpenter") as typeof import("../components/gpu-karpenter");
        const { GpuKarpenterConfigError } = require("../components/checks") as typeof import("../components/checks");
        const { resolveArgs } = require("../components/args") as typeof import("../components/args");
        const asPropertyErrors = (e: unknown): unknown =>
            e instanceof GpuKarpenterConfigError ? (propertiesError(this.inputs, e.message) ?? e) : e;

        const { args, problems } = await componentArgs(this.inputs, inputs);
        if (problems.length > 0) {
            throw new InputPropertiesError({ message: "invalid GpuKarpenter settings", errors: problems });
        }
        try {
            // Values that came as known Outputs (secrets, other resources' outputs) checked now,
            // as plain values are, rather than once the resources that use them are registered.
            resolveArgs((await knownValues(args)) as GpuKarpenterArgs);
            // Checked again by the component, as every caller's args are.
            const component: GpuKarpenter = new GpuKarpenter(name, args as unknown as GpuKarpenterArgs, options);
            const state = Object.fromEntries(
                this.inputs.outputNames.map(key => [key, (component as unknown as Record<string, unknown>)[key]]),
            );
            // The outputs come from the component's initialize: a problem it finds while registering
            // its resources (from a look-up) is an error of this call.
            await settled(Object.values(state));
            return { urn: component.urn, state };
        } catch (e) {
            throw asPropertyErrors(e);
        }
    }
}
