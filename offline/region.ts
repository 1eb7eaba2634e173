// The stack's AWS region, found where pulumi-aws v7 looks for it, and checked by name: with none,
// the provider stops before any resource is planned, and the plan stops the same way; a misspelt
// one the provider takes as it is and fails later, validating credentials, where the plan names it.
import { readFileSync } from "fs";
import { homedir } from "os";
import * as path from "path";
import { Region } from "@pulumi/aws/types/enums";
import { closest } from "../components/edit-distance";

/**
 * AWS's regions as pulumi-aws lists them: its `aws:index/Region:Region` enum, generated into the
 * SDK the project pins (@pulumi/aws's types/enums). The only copy here; it moves with that pin.
 */
export const AWS_REGIONS: readonly string[] = Object.values(Region);

/**
 * pulumi-aws's own error for a missing region (provider/errors/no_region.txt in pulumi/pulumi-aws,
 * returned when validating credentials finds no region).
 */
export const NO_REGION_MESSAGE =
    "Missing region information\nMake sure you have set your AWS region, e.g. `pulumi config set aws:region us-west-2`.";

export class RegionError extends Error {}

export interface StackRegion {
    region: string;
    /** Where it was found: `aws:region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, or a profile in a file. */
    from: string;
}

type Env = Record<string, string | undefined>;

/** A config key the provider reads as a list of files: JSON, as Pulumi hands lists to the program. */
function fileList(config: Record<string, string>, key: string): string[] | undefined {
    const raw = config[key];
    if (raw === undefined) return undefined;
    try {
        const list: unknown = JSON.parse(raw);
        if (Array.isArray(list) && list.every(f => typeof f === "string")) return list;
    } catch {
        // Reported below.
    }
    throw new RegionError(`${key}: ${JSON.stringify(raw)} is not a list of files`);
}

const expandHome = (file: string, home: string) => (file.startsWith("~/") ? path.join(home, file.slice(2)) : file);

/** `[section]` -> key -> value of an AWS shared config or credentials file. */
function readIni(text: string): Map<string, Map<string, string>> {
    const sections = new Map<string, Map<string, string>>();
    let section: Map<string, string> | undefined;
    for (const line of text.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
        const header = /^\[\s*(.+?)\s*\]$/.exec(trimmed);
        if (header) {
            section = sections.get(header[1]) ?? new Map();
            sections.set(header[1], section);
            continue;
        }
        const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(trimmed);
        if (section && pair) section.set(pair[1].toLowerCase(), pair[2].replace(/\s+[#;].*$/, "").trim());
    }
    return sections;
}

function readIfThere(file: string): string | undefined {
    try {
        return readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

/**
 * Where pulumi-aws finds the region, first found wins: `aws:region`, whose schema default is
 * `AWS_REGION` then `AWS_DEFAULT_REGION`; then the profile's `region` (profile `aws:profile`, else
 * `AWS_PROFILE`, else `default`) in the shared config files (`aws:sharedConfigFiles`, else
 * `AWS_CONFIG_FILE`, else ~/.aws/config; sections `[profile NAME]`, `[default]`) and credentials
 * files (`aws:sharedCredentialsFiles`, else `AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/credentials;
 * sections `[NAME]`), the latter winning. Throws a RegionError when there is none, or when it is not
 * one of AWS's regions.
 */
export function stackRegion(
    config: Record<string, string>,
    env: Env = process.env,
    read: (file: string) => string | undefined = readIfThere,
    home = homedir(),
): StackRegion {
    const found = findRegion(config, env, read, home);
    if (!found) {
        throw new RegionError(
            `aws:region: ${NO_REGION_MESSAGE}\n(pulumi-aws stops with this message too. The plan looked in ` +
                `aws:region, AWS_REGION, AWS_DEFAULT_REGION and the region of profile ${JSON.stringify(profileOf(config, env))}.)`,
        );
    }
    if (!AWS_REGIONS.includes(found.region)) {
        const hint = closest(found.region, AWS_REGIONS, 3);
        const setting = found.from === "aws:region" ? "aws:region" : `aws:region (from ${found.from})`;
        throw new RegionError(
            `${setting}: ${JSON.stringify(found.region)} is not an AWS region` +
                `${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}; the regions pulumi-aws knows: ${AWS_REGIONS.join(", ")}`,
        );
    }
    return found;
}

const profileOf = (config: Record<string, string>, env: Env) => config["aws:profile"] || env.AWS_PROFILE || "default";

function findRegion(
    config: Record<string, string>,
    env: Env,
    read: (file: string) => string | undefined,
    home: string,
): StackRegion | undefined {
    if (config["aws:region"]) return { region: config["aws:region"], from: "aws:region" };
    for (const name of ["AWS_REGION", "AWS_DEFAULT_REGION"]) {
        if (env[name]) return { region: env[name], from: name };
    }
    const profile = profileOf(config, env);
    const configFiles = fileList(config, "aws:sharedConfigFiles") ??
        (env.AWS_CONFIG_FILE ? [env.AWS_CONFIG_FILE] : undefined) ?? [path.join(home, ".aws", "config")];
    const credentialsFiles = fileList(config, "aws:sharedCredentialsFiles") ??
        (env.AWS_SHARED_CREDENTIALS_FILE ? [env.AWS_SHARED_CREDENTIALS_FILE] : undefined) ?? [
            path.join(home, ".aws", "credentials"),
        ];
    // The credentials files override the config files, and a later file an earlier one (the AWS SDK for
    // Go v2, config/shared_config.go: loadIniFiles, then mergeSections).
    const sources: [string[], string[]][] = [
        [credentialsFiles, [profile]],
        [configFiles, profile === "default" ? ["default", "profile default"] : [`profile ${profile}`]],
    ];
    for (const [files, sections] of sources) {
        for (const file of files.map(f => expandHome(f, home)).reverse()) {
            const text = read(file);
            const ini = text === undefined ? undefined : readIni(text);
            const region = sections.map(s => ini?.get(s)?.get("region")).find(Boolean);
            if (region) return { region, from: `profile ${JSON.stringify(profile)} in ${file}` };
        }
    }
    return undefined;
}
