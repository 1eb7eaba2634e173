import { expect } from "chai";
import { existsSync, readFileSync, readdirSync } from "fs";
import * as path from "path";
import GithubSlugger from "github-slugger";
import { Lexer, Token, Tokens, marked } from "marked";
import { parse as parseYaml } from "yaml";
import { resolveArgs } from "../components/args";
import { GpuKarpenterConfigError } from "../components/checks";
import { STACK_CONFIG_KEYS, readStackConfig } from "../components/stack-config";
import { readJson, readmeAndDocs } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const README = path.join(ROOT, "README.md");
const DOCS = path.join(ROOT, "docs");

/** The project's own Markdown: the README, docs/, and the READMEs of folders a reader is sent to. */
function markdownFiles(): string[] {
    return [
        ...readmeAndDocs(),
        path.join(ROOT, "policies", "README.md"),
        path.join(ROOT, "offline", "schemas", "README.md"),
    ];
}

/** A heading's text as GitHub renders it (code spans and links as their text, markup dropped). */
function plainText(tokens: Token[]): string {
    return tokens
        .map(t => {
            if ("tokens" in t && t.tokens && t.tokens.length > 0) return plainText(t.tokens);
            return "text" in t ? (t.text as string) : "";
        })
        .join("");
}

/** Calls `visit` on every token of a Markdown text, as marked parses it (tables and lists included). */
function eachToken(markdown: string, visit: (t: Token) => void): void {
    // walkTokens returns what the callbacks return (for async extensions); these return nothing.
    void marked.walkTokens(new Lexer().lex(markdown), visit);
}

/** The anchors GitHub gives a Markdown file's headings: its slugs, with -1, -2 for repeats. */
function anchors(markdown: string): Set<string> {
    const slugger = new GithubSlugger();
    const found = new Set<string>();
    eachToken(markdown, t => {
        if (t.type === "heading") found.add(slugger.slug(plainText((t as Tokens.Heading).tokens)));
    });
    return found;
}

const anchorsByFile = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
    if (!anchorsByFile.has(file)) anchorsByFile.set(file, anchors(readFileSync(file, "utf8")));
    return anchorsByFile.get(file)!;
}

/** Every link and image target in a Markdown text, code blocks and code spans left out, as the parser reads it. */
function linkTargets(markdown: string): string[] {
    const targets: string[] = [];
    eachToken(markdown, t => {
        if (t.type === "link" || t.type === "image") targets.push((t as Tokens.Link).href);
    });
    return targets;
}

/** What is wrong with each relative link of `file` (text given, or read from disk): a missing file or heading. */
function brokenLinks(file: string, text = readFileSync(file, "utf8")): string[] {
    const problems: string[] = [];
    for (const href of linkTargets(text)) {
        // Another site, an e-mail address: not this repository's to check.
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
        const [target, anchor] = href.split("#", 2);
        const resolved = target === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(target));
        const where = `${path.relative(ROOT, file)}: ${href}`;
        if (resolved !== file && !existsSync(resolved)) {
            problems.push(`${where}: no such file ${path.relative(ROOT, resolved)}`);
        } else if (anchor !== undefined && resolved.endsWith(".md")) {
            const headings = resolved === file ? anchors(text) : anchorsOf(resolved);
            if (!headings.has(anchor)) {
                problems.push(`${where}: ${path.relative(ROOT, resolved)} has no heading #${anchor}`);
            }
        }
    }
    return problems;
}

// The settings the component accepts, found as a user finds them: an unknown key in an object lists
// the keys allowed there. A key whose value is itself such an object (or a list of them) is a parent,
// named in the tables by its children: `controller.replicas`, `gpuPools[].disruptionBudgets[].nodes`.
const PROBE = "zzzzzz";

function allowedKeys(args: object, where: string): string[] | undefined {
    try {
        resolveArgs({ clusterName: "c", ...args });
    } catch (e) {
        if (!(e instanceof GpuKarpenterConfigError)) throw e;
        const escaped = `${where}${PROBE}`.replace(/[.[\]]/g, "\\$&");
        const line = new RegExp(`^\\s*${escaped}: unknown setting[^;]*; allowed: (.+)$`, "m").exec(e.message);
        if (line) return line[1].split(", ");
    }
    return undefined;
}

/** Every setting under `build`'s object, dotted from `name` (`""` at the top): leaves and parents. */
function settings(
    build: (value: unknown) => object,
    where: string,
    name: string,
): { leaves: string[]; parents: string[] } {
    const found = { leaves: [] as string[], parents: [] as string[] };
    for (const key of allowedKeys(build({ [PROBE]: 1 }), where) ?? []) {
        const at = (child: unknown) => build({ [key]: child });
        const nested = allowedKeys(at({ [PROBE]: 1 }), `${where}${key}.`)
            ? settings(at, `${where}${key}.`, `${name}${key}.`)
            : allowedKeys(at([{ [PROBE]: 1 }]), `${where}${key}[0].`)
              ? settings(v => at([v]), `${where}${key}[0].`, `${name}${key}[].`)
              : undefined;
        if (nested) {
            found.parents.push(`${name}${key}`, ...nested.parents);
            found.leaves.push(...nested.leaves);
        } else {
            found.leaves.push(`${name}${key}`);
        }
    }
    return found;
}

/** The rows of the README's configuration tables: each setting's full name, and its Default cell. */
function configRows(readme: string): { name: string; defaultCell: string }[] {
    const section = readme.split(/^## Configuration$/m)[1].split(/^## /m)[0];
    const tables = section.split(/\n(?=\| (?:Key|Argument) \|)/).slice(1);
    expect(
        tables,
        "the Configuration section's tables: top-level keys, a pool's keys, component-only arguments",
    ).to.have.length(3);
    return tables.flatMap((table, i) =>
        table
            .split("\n")
            .filter(line => line.startsWith("| `"))
            .flatMap(line => {
                const [names, defaultCell] = line.split(" | ");
                return [...names.matchAll(/`([^`]+)`/g)].map(m => ({
                    name: i === 1 ? `gpuPools[].${m[1]}` : m[1],
                    defaultCell: defaultCell.trim(),
                }));
            }),
    );
}

/** Stack config with `value` at a dotted setting name (`controller.featureGates.nodeRepair`, `gpuPools[].gpuLimit`). */
function stackConfigWith(name: string, value: unknown): Record<string, string> {
    const nest = (parts: string[], v: unknown): unknown => {
        if (parts.length === 0) return v;
        const [head, ...tail] = parts;
        return head.endsWith("[]") ? { [head.slice(0, -2)]: [nest(tail, v)] } : { [head]: nest(tail, v) };
    };
    const [top, ...rest] = name.split(".");
    // gpuPools is the one top-level list of objects, and a pool needs its name.
    const raw = top.endsWith("[]") ? [{ name: "gpu", ...(nest(rest, value) as object) }] : nest(rest, value);
    return {
        "gpu-karpenter:clusterName": "c",
        [`gpu-karpenter:${top.replace(/\[\]$/, "")}`]: typeof raw === "string" ? raw : JSON.stringify(raw),
    };
}

/** What the program makes of a stack's config: the component's resolved args, and the stack's own keys. */
function applied(config: Record<string, string>) {
    const { args, createCluster, kubernetesVersion, vpcId } = readStackConfig(config);
    return { resolved: resolveArgs(args), createCluster, kubernetesVersion, vpcId };
}

describe("the docs", () => {
    it("every relative link in README.md, docs/ and the folder READMEs points to a file, and an anchor to a heading there", () => {
        const files = markdownFiles();
        expect(files.length).to.be.greaterThan(5);
        expect(files.flatMap(f => brokenLinks(f))).to.deep.equal([]);
    });

    it("the link check finds a missing file, a missing heading and a repeated heading's anchor, and reads links as GitHub does", () => {
        const file = path.join(DOCS, "example.md");
        const text = [
            "# Deploy a stack",
            "## What destroy keeps",
            "## What destroy keeps",
            "## `npm run plan` output",
            "[ok](#what-destroy-keeps) [repeat](#what-destroy-keeps-1) [code](#npm-run-plan-output)",
            "[up](../README.md#configuration) [site](https://example.com/x.md#nowhere)",
            "[gone](missing.md) [no heading](../README.md#no-such-heading) [no repeat](#what-destroy-keeps-2)",
            "`[in code](nowhere.md)`",
            "```",
            "[in a block](nowhere.md)",
            "```",
        ].join("\n");
        expect(brokenLinks(file, text)).to.deep.equal([
            "docs/example.md: missing.md: no such file docs/missing.md",
            "docs/example.md: ../README.md#no-such-heading: README.md has no heading #no-such-heading",
            "docs/example.md: #what-destroy-keeps-2: docs/example.md has no heading #what-destroy-keeps-2",
        ]);
    });

    it("README.md is a front door: under 300 lines", () => {
        const lines = readFileSync(README, "utf8").replace(/\n$/, "").split("\n").length;
        expect(lines, "README.md lines: move depth into docs/").to.be.below(300);
    });

    it("the configuration tables name every setting the stack and the component accept, and no other", () => {
        const found = settings(v => v as object, "", "");
        const stackOnly = Object.keys(STACK_CONFIG_KEYS).filter(
            k => !found.leaves.includes(k) && !found.parents.includes(k),
        );
        const leaves = [...found.leaves, ...stackOnly];
        // The probe reached every level: a pool's keys, a budget's, the controller's feature gates.
        expect(leaves).to.include.members(["gpuPools[].gpuLimit", "gpuPools[].disruptionBudgets[].nodes"]);
        expect(leaves).to.include.members(["controller.featureGates.nodeRepair", "createCluster"]);
        const documented = configRows(readFileSync(README, "utf8")).map(r => r.name);
        expect(
            leaves.filter(k => !documented.includes(k)),
            "settings with no row in the README",
        ).to.deep.equal([]);
        expect(
            documented.filter(k => !leaves.includes(k) && !found.parents.includes(k)),
            "rows for no setting",
        ).to.deep.equal([]);
    });

    it("the configuration tables give each default as the program applies it", () => {
        const unset = applied({ "gpu-karpenter:clusterName": "c" });
        // A wrong default would show: the comparison below tells 3 replicas from the default.
        expect(applied(stackConfigWith("controller.replicas", 3))).to.not.deep.equal(unset);
        const checked = configRows(readFileSync(README, "utf8")).filter(
            r => /^`[^`]+`$/.test(r.defaultCell) && r.name.replace(/[.[].*$/, "") in STACK_CONFIG_KEYS,
        );
        expect(checked.length).to.be.greaterThan(25);
        for (const { name, defaultCell } of checked) {
            const value: unknown = parseYaml(defaultCell.slice(1, -1));
            expect(applied(stackConfigWith(name, value)), `${name}: ${defaultCell}`).to.deep.equal(unset);
        }
    });

    it("links every page of docs/ from the README", () => {
        const linked = new Set(linkTargets(readFileSync(README, "utf8")).map(href => href.split("#")[0]));
        const pages = readdirSync(DOCS).filter(f => f.endsWith(".md"));
        expect(pages.filter(page => !linked.has(`docs/${page}`))).to.deep.equal([]);
    });

    it("installs the release package.json names: the git tag vX.Y.Z and the tarball gpu-karpenter-X.Y.Z.tgz", () => {
        const { version } = readJson(path.join(ROOT, "package.json")) as { version: string };
        const readme = readFileSync(README, "utf8");
        const tags = [...readme.matchAll(/gpu-karpenter\.git#([^"\s]+)/g)].map(m => m[1]);
        const tarballs = [...readme.matchAll(/gpu-karpenter-(\d[^\s/]*)\.tgz/g)].map(m => m[1]);
        expect(tags).to.deep.equal([`v${version}`]);
        expect(tarballs.length).to.be.greaterThan(0);
        expect(
            tarballs.every(v => v === version),
            tarballs.join(", "),
        ).to.equal(true);
    });

    it("adds the component provider at the release package.json names: `pulumi package add <url>@X.Y.Z`", () => {
        const { version } = readJson(path.join(ROOT, "package.json")) as { version: string };
        for (const file of [README, path.join(DOCS, "languages.md")]) {
            const added = [
                ...readFileSync(file, "utf8").matchAll(/\/gpu-karpenter@v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/g),
            ].map(m => m[1]);
            expect(added, path.relative(ROOT, file)).to.not.be.empty;
            expect(added, path.relative(ROOT, file)).to.satisfy((vs: string[]) => vs.every(v => v === version));
        }
    });
});
