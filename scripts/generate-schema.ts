// `npm run schema`: writes provider/schema.json, the Pulumi package schema the component provider
// serves (provider/provider.ts) and every language's SDK is generated from (`pulumi package add`).
// Run it after changing the component's args and commit the file: the build compiles it into
// bin/provider/, and tests/provider-schema.test.ts fails while it is not what this makes of the
// source. Not part of `npm run build` itself: that runs on every git install (`prepare`), and the
// analyzer compiles the AWS SDK's types, about 9 CPU seconds, for a file already in the commit.
//
// The schema is what Pulumi's own component analyzer makes of the TypeScript types
// (@pulumi/pulumi/provider/experimental/analyzer.js, the analysis componentProviderHost would run
// in every plugin process: 9.8 CPU seconds over this project's tsconfig.json, measured on Node 22),
// run here once before the package ships, plus what it cannot express:
// - integers: the analyzer has only `number`; a property typed `Integer` (components/checks.ts) is
//   declared `integer`, so Go gets int and C# int rather than float64 and double;
// - the descriptions of object and enum types, which the SDK's generateSchema leaves out;
// - nothing else: the analyzer's `optional` marks (not part of Pulumi's schema; `required` carries
//   them) are dropped.
// tests/provider-schema.test.ts checks the written file against a fresh run on the current source.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as ts from "typescript";
import type { AnalyzeResult, PropertyDefinition } from "@pulumi/pulumi/provider/experimental/analyzer";
import type { PackageSpec } from "@pulumi/pulumi/provider/experimental/schema";
import { helpAsked } from "../offline/command-line";

const ROOT = path.resolve(__dirname, "..");
export const SCHEMA_FILE = path.join(ROOT, "provider", "schema.json");
const COMPONENTS = path.join(ROOT, "components");
/** The module that exports the component, and the component class the analyzer looks for. */
const ENTRY = path.join(COMPONENTS, "index.ts");
const COMPONENT = "GpuKarpenter";
/** The name of the TypeScript alias that marks a whole number. */
const INTEGER_ALIAS = "Integer";

export type SchemaProperty = PropertyDefinition & { type?: string; $ref?: string };
export type Schema = PackageSpec;

interface PackageJson {
    name: string;
    version: string;
    description: string;
}

export function packageJson(): PackageJson {
    return JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as PackageJson;
}

/**
 * The analyzer's findings and the schema the SDK's generateSchema makes of them, as
 * componentProviderHost would serve it. The analyzer compiles the project named by a tsconfig.json
 * in the folder it is given: here a temporary one holding only the component's entry, so it does
 * not compile the tests, the policies and the plan too.
 */
export function analyze(): { result: AnalyzeResult; schema: Schema } {
    const { Analyzer } =
        require("@pulumi/pulumi/provider/experimental/analyzer") as typeof import("@pulumi/pulumi/provider/experimental/analyzer");
    const { generateSchema } =
        require("@pulumi/pulumi/provider/experimental/schema") as typeof import("@pulumi/pulumi/provider/experimental/schema");
    const pkg = packageJson();
    const dir = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-schema-"));
    try {
        writeFileSync(
            path.join(dir, "tsconfig.json"),
            JSON.stringify({
                extends: path.join(ROOT, "tsconfig.json"),
                compilerOptions: { types: ["node"] },
                files: [ENTRY],
                include: [],
            }),
        );
        // The entry is found as package.json's exports would name it (analyzer.ts findProgramEntryPoint).
        const analyzer = new Analyzer(dir, pkg.name, { ...pkg, exports: ENTRY }, new Set([COMPONENT]));
        const result = analyzer.analyze();
        const schema = generateSchema(
            pkg.name,
            pkg.version,
            pkg.description,
            result.components,
            result.typeDefinitions,
            result.dependencies,
        );
        return { result, schema };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The docs and property types of the component's declarations, read from components/*.ts. */
interface Declarations {
    /** Interfaces and the component class, by name: their TSDoc and their properties' type nodes. */
    objects: Map<string, { doc?: string; properties: Map<string, ts.TypeNode | undefined> }>;
}

function docOf(node: ts.Node): string | undefined {
    const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
    const text = docs?.map(d => ts.getTextOfJSDocComment(d.comment) ?? "").join("\n");
    return text ? text : undefined;
}

function readDeclarations(): Declarations {
    const objects: Declarations["objects"] = new Map();
    const seen = new Map<string, string>();
    for (const file of readdirSync(COMPONENTS).filter(f => f.endsWith(".ts"))) {
        const full = path.join(COMPONENTS, file);
        const source = ts.createSourceFile(full, readFileSync(full, "utf8"), ts.ScriptTarget.ES2022, true);
        source.forEachChild(node => {
            if (!(ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) || !node.name) return;
            const name = node.name.text;
            if (seen.has(name)) {
                throw new Error(
                    `${name} is declared in both ${seen.get(name)} and ${file}; schema type names must be unique`,
                );
            }
            seen.set(name, file);
            const properties = new Map<string, ts.TypeNode | undefined>();
            for (const member of node.members) {
                if (
                    (ts.isPropertySignature(member) || ts.isPropertyDeclaration(member)) &&
                    ts.isIdentifier(member.name)
                ) {
                    properties.set(member.name.text, member.type);
                }
            }
            objects.set(name, { doc: docOf(node), properties });
        });
    }
    return { objects };
}

/** `pulumi.Input<T>`, `Input<T>` and `pulumi.Output<T>` to T: the analyzer reads them as T. */
function unwrapped(node: ts.TypeNode): ts.TypeNode {
    if (ts.isParenthesizedTypeNode(node)) return unwrapped(node.type);
    if (ts.isTypeReferenceNode(node) && node.typeArguments?.length === 1) {
        const name = node.typeName.getText();
        if (["Input", "pulumi.Input", "Output", "pulumi.Output"].includes(name))
            return unwrapped(node.typeArguments[0]);
    }
    return node;
}

/** Declares `integer` wherever the TypeScript type says Integer: the property itself, list items, map values. */
function markIntegers(property: SchemaProperty, node: ts.TypeNode | undefined, where: string): void {
    if (!node) return;
    const type = unwrapped(node);
    if (ts.isTypeReferenceNode(type) && type.typeName.getText() === INTEGER_ALIAS) {
        if (property.type !== "number") {
            throw new Error(`${where} is typed ${INTEGER_ALIAS} but the analyzer made it ${JSON.stringify(property)}`);
        }
        property.type = "integer";
    } else if (ts.isArrayTypeNode(type) && property.items) {
        markIntegers(property.items, type.elementType, `${where}[]`);
    } else if (
        ts.isTypeReferenceNode(type) &&
        type.typeName.getText() === "Record" &&
        type.typeArguments?.length === 2 &&
        property.additionalProperties
    ) {
        markIntegers(property.additionalProperties, type.typeArguments[1], `${where} values`);
    }
}

/** The analyzer's property, as the schema carries it: integers marked, `optional` dropped (also in items and values). */
function schemaProperty(property: SchemaProperty, node: ts.TypeNode | undefined, where: string): SchemaProperty {
    const copy = JSON.parse(JSON.stringify(property)) as SchemaProperty;
    const strip = (p: SchemaProperty | undefined) => {
        if (!p) return;
        delete p.optional;
        strip(p.items);
        strip(p.additionalProperties);
    };
    strip(copy);
    markIntegers(copy, node, where);
    return copy;
}

function schemaProperties(
    properties: Record<string, SchemaProperty> | undefined,
    declaration: { properties: Map<string, ts.TypeNode | undefined> } | undefined,
    where: string,
): Record<string, SchemaProperty> {
    return Object.fromEntries(
        Object.entries(properties ?? {}).map(([name, property]) => [
            name,
            schemaProperty(property, declaration?.properties.get(name), `${where}.${name}`),
        ]),
    );
}

/** The schema provider/schema.json holds for the current source. */
export function buildSchema(analyzed = analyze()): Schema {
    const { result, schema } = analyzed;
    const declarations = readDeclarations();
    const prefix = `${schema.name}:index:`;
    const out: Schema = JSON.parse(JSON.stringify(schema)) as Schema;

    const resource = out.resources[`${prefix}${COMPONENT}`];
    const argsName = componentArgsName();
    resource.inputProperties = schemaProperties(resource.inputProperties, declarations.objects.get(argsName), argsName);
    resource.properties = schemaProperties(resource.properties, declarations.objects.get(COMPONENT), COMPONENT);

    for (const [token, type] of Object.entries(out.types)) {
        const name = token.slice(prefix.length);
        const declaration = declarations.objects.get(name);
        const description = result.typeDefinitions[name]?.description ?? declaration?.doc;
        if (type.properties) {
            type.properties = schemaProperties(type.properties, declaration, name);
        }
        // Description first, as Pulumi's own schemas order it.
        out.types[token] = description ? { description, ...type } : type;
    }
    return out;
}

/** The name of the constructor's `args` type, as the analyzer requires it (an interface). */
function componentArgsName(): string {
    const file = path.join(COMPONENTS, "gpu-karpenter.ts");
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    let name: string | undefined;
    source.forEachChild(node => {
        if (!ts.isClassDeclaration(node) || node.name?.text !== COMPONENT) return;
        for (const member of node.members) {
            if (!ts.isConstructorDeclaration(member)) continue;
            const args = member.parameters.find(p => ts.isIdentifier(p.name) && p.name.text === "args");
            if (args?.type && ts.isTypeReferenceNode(args.type)) name = args.type.typeName.getText();
        }
    });
    if (!name) throw new Error(`${file}: no ${COMPONENT} constructor with an args parameter of a named type`);
    return name;
}

export function schemaText(schema: Schema): string {
    return `${JSON.stringify(schema, null, 2)}\n`;
}

if (require.main === module && helpAsked(process.argv.slice(2))) {
    console.log(`usage: npm run schema

Writes provider/schema.json, the component provider's schema: the SDK's component analyzer run on
components/, with integers and type descriptions added. Prints "unchanged" when the file already
matches; the schema test fails while it is stale.

  --help, -h  print this and exit`);
} else if (require.main === module) {
    const text = schemaText(buildSchema());
    const before = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, "utf8") : undefined;
    if (before !== text) writeFileSync(SCHEMA_FILE, text);
    console.log(`${path.relative(ROOT, SCHEMA_FILE)}: ${before === text ? "unchanged" : "written"}`);
}
