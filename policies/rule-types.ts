// The shapes of a rule and of what it reports: apart from rules.ts, so the rules kept in other
// files (cost.ts) can use them without importing rules.ts, which imports them.
import type { PolicyConfigSchema } from "@pulumi/policy";
import type { EngineResource } from "./karpenter";

export type Enforcement = "mandatory" | "advisory";

export interface Violation {
    policy: string;
    enforcement: Enforcement;
    /** The resource's kind, the last part of its type token: NodePool, Release. */
    kind: string;
    /** metadata.name for Kubernetes objects, else the Pulumi resource name. */
    name: string;
    message: string;
    urn?: string;
}

export type Knobs = Record<string, unknown>;

export interface RuleInfo {
    name: string;
    description: string;
    enforcementLevel: Enforcement;
    configSchema?: PolicyConfigSchema;
    /** Resource types the rule reads; others are not even copied out of the engine's proxy. */
    appliesTo(type: string): boolean;
    /** Throws when a knob has a value the rule cannot use; the schema should already refuse every such value. */
    validateKnobs?(knobs: Knobs): void;
}

export interface ResourceRule extends RuleInfo {
    check(resource: EngineResource, knobs: Knobs): string[];
}

export interface StackRule extends RuleInfo {
    checkStack(resources: EngineResource[], knobs: Knobs): { resource: EngineResource; message: string }[];
}
