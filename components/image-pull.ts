// How a GPU node's container images arrive: pulled one layer after another (containerd's default),
// pulled and unpacked in parallel by the SOCI snapshotter (AL2023: nodeadm's FastImagePull feature
// gate; Bottlerocket: its soci snapshotter in parallel-pull-unpack mode), or already there, on a
// Bottlerocket data volume restored from an EBS snapshot. Here: the releases that have each, the
// EC2NodeClass userData that asks for parallel pull, composed with a pool's own userData the way
// Karpenter composes its own with it, and the reading of any EC2NodeClass back, for the plan and
// the policy pack.
import type * as Toml from "smol-toml";
import type * as Yaml from "yaml";

// Loaded on first use: the policy pack bundles this file, and most of its start-up never reads user data.
const yaml = () => require("yaml") as typeof Yaml;
const toml = () => require("smol-toml") as typeof Toml;

/** The first YAML document of `text`, read as YAML 1.1, as Go's YAML libraries read Kubernetes objects. */
const firstYamlDocument = (text: string) => yaml().parseAllDocuments(text, { version: "1.1" })[0];

// ---- MIME multi-part user data, as Karpenter and nodeadm read it -----------------------------------

/** nodeadm's NodeConfig part (`application/` + its API group, node.eks.aws). */
export const NODECONFIG_CONTENT_TYPE = "application/node.eks.aws";
export const SHELL_SCRIPT_CONTENT_TYPE = `text/x-shellscript; charset="us-ascii"`;
/** The boundary Karpenter writes (pkg/providers/amifamily/bootstrap/mime/mime.go). */
const BOUNDARY = "//";

export interface MimePart {
    contentType: string;
    content: string;
}

const HEADER_LINE = /^([!-9;-~]+):[ \t]*(.*)$/;
const TSPECIALS = `()<>@,;:\\"/[]?=`;
const isTokenChar = (c: string) => c > " " && c < "\x7f" && !TSPECIALS.includes(c);

/** Header fields up to the first blank line, as Go's net/textproto reads them (continuation lines unfolded). */
function readHeaders(lines: string[], start: number): { headers: Map<string, string>; next: number } {
    const headers = new Map<string, string>();
    let last: string | undefined;
    let i = start;
    for (; i < lines.length && lines[i] !== ""; i++) {
        const line = lines[i];
        if ((line.startsWith(" ") || line.startsWith("\t")) && last !== undefined) {
            headers.set(last, `${headers.get(last)!} ${line.trim()}`);
            continue;
        }
        const m = HEADER_LINE.exec(line);
        if (!m) throw new Error(`malformed MIME header line: ${JSON.stringify(line)}`);
        last = m[1].toLowerCase();
        if (!headers.has(last)) headers.set(last, m[2].trim());
    }
    if (i === lines.length) throw new Error("the headers never end (no blank line after them)");
    return { headers, next: i + 1 };
}

/** A Content-Type value as Go's mime.ParseMediaType reads it: the lower-cased type and its parameters. */
export function parseMediaType(value: string): { mediaType: string; params: Record<string, string> } {
    const [type, ...rest] = value.split(";");
    const mediaType = type.trim().toLowerCase();
    if (!/^[^\s/]+\/[^\s/]+$/.test(mediaType)) throw new Error(`${JSON.stringify(value)} is not a media type`);
    const params: Record<string, string> = {};
    let text = rest.join(";");
    while (text.trim() !== "") {
        const m = /^\s*([^\s=;]+)\s*=\s*/.exec(text);
        if (!m) throw new Error(`${JSON.stringify(value)} has a malformed parameter`);
        text = text.slice(m[0].length);
        let v = "";
        if (text.startsWith('"')) {
            let i = 1;
            for (; i < text.length && text[i] !== '"'; i++) v += text[i] === "\\" ? text[++i] : text[i];
            if (i === text.length) throw new Error(`${JSON.stringify(value)} has an unterminated quoted parameter`);
            text = text.slice(i + 1);
        } else {
            let i = 0;
            while (i < text.length && isTokenChar(text[i])) v += text[i++];
            text = text.slice(i);
        }
        if (v === "" || !/^\s*(;|$)/.test(text)) throw new Error(`${JSON.stringify(value)} has an invalid parameter`);
        text = text.replace(/^\s*;?/, "");
        params[m[1].toLowerCase()] = v;
    }
    return { mediaType, params };
}

/**
 * The parts of a MIME multi-part archive, as Karpenter reads a custom userData (mime.NewArchive: Go's
 * net/mail, mime and mime/multipart): the headers, a multipart Content-Type with a boundary, then each
 * part's Content-Type and content. Throws, saying why, where Karpenter would fail every launch.
 * Carriage returns are dropped, as Karpenter drops them when it writes the archive out again.
 */
export function parseMimeArchive(text: string): MimePart[] {
    const lines = text.replace(/\r/g, "").split("\n");
    const { headers, next } = readHeaders(lines, 0);
    const contentType = headers.get("content-type");
    if (contentType === undefined) throw new Error("it has no Content-Type header");
    const { mediaType, params } = parseMediaType(contentType);
    if (!mediaType.startsWith("multipart/")) throw new Error(`its Content-Type is ${mediaType}, not multipart`);
    const boundary = params.boundary;
    if (!boundary) throw new Error("its Content-Type names no boundary");
    const delimiter = `--${boundary}`;
    const isDelimiter = (line: string) => line.trimEnd() === delimiter;
    const isClose = (line: string) => line.trimEnd() === `${delimiter}--`;
    const parts: MimePart[] = [];
    let i = next;
    while (i < lines.length && !isDelimiter(lines[i])) {
        if (isClose(lines[i])) return parts;
        i++;
    }
    if (i === lines.length) throw new Error(`no part starts with the boundary line ${JSON.stringify(delimiter)}`);
    for (;;) {
        const part = readHeaders(lines, i + 1);
        const encoding = part.headers.get("content-transfer-encoding")?.toLowerCase();
        if (encoding !== undefined && !["7bit", "8bit", "binary"].includes(encoding)) {
            // Karpenter keeps only each part's Content-Type, so the node would get the encoded text.
            throw new Error(
                `part ${parts.length + 1} has Content-Transfer-Encoding ${encoding}; Karpenter keeps only each part's Content-Type`,
            );
        }
        let end = part.next;
        while (end < lines.length && !isDelimiter(lines[end]) && !isClose(lines[end])) end++;
        if (end === lines.length)
            throw new Error(`the archive ends without its closing line ${JSON.stringify(`${delimiter}--`)}`);
        // The line break before a boundary line belongs to the boundary.
        parts.push({
            contentType: part.headers.get("content-type") ?? "",
            content: lines.slice(part.next, end).join("\n"),
        });
        if (isClose(lines[end])) return parts;
        i = end;
    }
}

/** The archive Karpenter writes (mime.Archive.Serialize, before base64 and with its carriage returns dropped). */
export function serializeMimeArchive(parts: readonly MimePart[]): string {
    const head = `MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="${BOUNDARY}"\n\n`;
    const body = parts.map(p => `--${BOUNDARY}\nContent-Type: ${p.contentType}\n\n${p.content}`).join("\n");
    return `${head}${body}\n--${BOUNDARY}--\n`;
}

/**
 * A custom AL2023 userData as Karpenter splits it before adding its own NodeConfig
 * (bootstrap/nodeadm.go, parseUserData): a MIME archive part by part; otherwise one part, a NodeConfig
 * when the text reads as a YAML mapping, a shell script when it does not.
 */
export function customUserDataParts(userData: string): MimePart[] {
    const start = userData.trim();
    if (start.startsWith("MIME-Version:") || start.startsWith("Content-Type:")) return parseMimeArchive(userData);
    return [
        {
            contentType: readsAsYamlMapping(userData) ? NODECONFIG_CONTENT_TYPE : SHELL_SCRIPT_CONTENT_TYPE,
            content: userData,
        },
    ];
}

/** sigs.k8s.io/yaml's Unmarshal into a map: the first document must be a mapping (or empty). */
function readsAsYamlMapping(text: string): boolean {
    const doc = firstYamlDocument(text);
    if (!doc || doc.errors.length > 0) return false;
    const value: unknown = doc.toJS();
    return value === null || value === undefined || (typeof value === "object" && !Array.isArray(value));
}

// ---- AL2023: nodeadm's FastImagePull gate -------------------------------------------------------------

export const FAST_IMAGE_PULL_GATE = "FastImagePull";

/** The NodeConfig nodeadm's documentation gives for the gate (nodeadm/doc/examples.md). */
export const FAST_IMAGE_PULL_NODECONFIG = `apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  featureGates:
    ${FAST_IMAGE_PULL_GATE}: true
`;

/**
 * The FastImagePull gate as the userData's NodeConfig parts set it, merged in order as nodeadm merges
 * them (a later part overrides an earlier one): true, false, or undefined where none sets it.
 */
function al2023ParallelPull(parts: MimePart[]): boolean | undefined {
    let gate: boolean | undefined;
    for (const part of parts) {
        let mediaType: string;
        try {
            mediaType = parseMediaType(part.contentType).mediaType;
        } catch {
            continue;
        }
        if (mediaType !== NODECONFIG_CONTENT_TYPE) continue;
        // nodeadm decodes one object per part, read as YAML 1.1 (sigs.k8s.io/yaml): `yes` is true.
        const doc = firstYamlDocument(part.content);
        const value: unknown = doc?.errors.length === 0 ? doc.toJS() : undefined;
        const set = objectAt(value, "spec", "featureGates")?.[FAST_IMAGE_PULL_GATE];
        if (typeof set === "boolean") gate = set;
    }
    return gate;
}

// ---- Bottlerocket: the SOCI snapshotter in parallel-pull-unpack mode --------------------------------

const SOCI_SNAPSHOTTER = "soci";
const PARALLEL_PULL_UNPACK = "parallel-pull-unpack";

/** The settings Bottlerocket documents for parallel pull (bottlerocket.dev, settings.container-runtime-plugins). */
const PARALLEL_PULL_SETTINGS = {
    "container-runtime": { snapshotter: SOCI_SNAPSHOTTER },
    "container-runtime-plugins": { "soci-snapshotter": { "pull-mode": PARALLEL_PULL_UNPACK } },
};

function asObject(value: unknown): Record<string, unknown> | undefined {
    return value !== null && typeof value === "object" && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
}

function objectAt(root: unknown, ...path: string[]): Record<string, unknown> | undefined {
    let value = root;
    for (const key of path) value = asObject(value)?.[key];
    return asObject(value);
}

/** The two settings as a Bottlerocket TOML document sets them. */
function bottlerocketPullSettings(doc: unknown) {
    return {
        snapshotter: objectAt(doc, "settings", "container-runtime")?.snapshotter,
        pullMode: objectAt(doc, "settings", "container-runtime-plugins", "soci-snapshotter")?.["pull-mode"],
    };
}

// ---- a pool's userData ---------------------------------------------------------------------------------

export type UserDataFamily = "al2023" | "bottlerocket";

// Integers as BigInt and every number written back as a float: a value keeps its TOML type when
// the document is written out again (1.0 stays a float, a 64-bit integer stays exact), as it does
// through Karpenter's go-toml.
const readToml = (text: string) => toml().parse(text, { integersAsBigInt: true });
const writeToml = (doc: Record<string, unknown>) => toml().stringify(doc, { numbersAsFloat: true });

/** The tables parallel pull writes into, which a pool's own settings must leave tables. */
const PULL_TABLES = [
    ["settings"],
    ["settings", "container-runtime"],
    ["settings", "container-runtime-plugins"],
    ["settings", "container-runtime-plugins", "soci-snapshotter"],
];

/** A pool's own userData, read as Karpenter reads it for the family; throws, saying why, where Karpenter could not. */
function readUserData(family: UserDataFamily, userData: string): MimePart[] | Record<string, unknown> {
    if (family === "al2023") return customUserDataParts(userData);
    // Karpenter reads it with go-toml (bootstrap/bottlerocketsettings.go, UnmarshalTOML).
    const doc = readToml(userData);
    for (const path of PULL_TABLES) {
        const value = objectAt(doc, ...path.slice(0, -1))?.[path[path.length - 1]];
        if (value !== undefined && objectAt(doc, ...path) === undefined) {
            throw new Error(`its ${path.join(".")} is not a table`);
        }
    }
    return doc;
}

/**
 * Whether a pool's own userData turns parallel pull on (true), off (false: another snapshotter or
 * pull mode, or the gate set false) or says nothing of it (undefined). Throws where it cannot be read.
 */
export function userDataParallelPull(family: UserDataFamily, userData: string): boolean | undefined {
    const read = readUserData(family, userData);
    if (Array.isArray(read)) return al2023ParallelPull(read);
    const { snapshotter, pullMode } = bottlerocketPullSettings(read);
    if (
        (snapshotter !== undefined && snapshotter !== SOCI_SNAPSHOTTER) ||
        (pullMode !== undefined && pullMode !== PARALLEL_PULL_UNPACK)
    ) {
        return false;
    }
    return snapshotter === SOCI_SNAPSHOTTER && pullMode === PARALLEL_PULL_UNPACK ? true : undefined;
}

/** Why a pool's own userData cannot be used, as Karpenter would fail every launch on it; undefined when it can. */
export function userDataProblem(family: UserDataFamily, userData: string): string | undefined {
    try {
        readUserData(family, userData);
        return undefined;
    } catch (e) {
        const what =
            family === "al2023"
                ? "Karpenter reads as a MIME multi-part archive"
                : "Karpenter reads as Bottlerocket's TOML";
        // smol-toml's errors carry where they are; their message goes on with the lines around it.
        const { message, line, column } = e as Error & { line?: number; column?: number };
        const where = line === undefined ? "" : ` (line ${line}, column ${column})`;
        return `is not user data ${what}: ${message.split("\n")[0]}${where}`;
    }
}

/**
 * The EC2NodeClass userData of a pool: its own, kept, with what parallel pull needs added where it
 * does not say so already. AL2023: a MIME archive of the pool's parts (split as Karpenter splits
 * them) and nodeadm's NodeConfig with the gate; Karpenter adds its own NodeConfig part after these,
 * and nodeadm merges them all. Bottlerocket: the pool's TOML with the two settings merged in;
 * Karpenter keeps every setting it does not write itself (the Kubernetes ones, and its
 * bootstrap command for the instance store). Undefined when there is nothing to give.
 */
export function nodeClassUserData(pool: {
    amiFamily: UserDataFamily;
    userData?: string;
    fastImagePull: boolean;
}): string | undefined {
    const own = pool.userData;
    if (!pool.fastImagePull || (own !== undefined && userDataParallelPull(pool.amiFamily, own) === true)) return own;
    if (pool.amiFamily === "al2023") {
        const parts = own === undefined ? [] : customUserDataParts(own);
        return serializeMimeArchive([
            ...parts,
            { contentType: NODECONFIG_CONTENT_TYPE, content: FAST_IMAGE_PULL_NODECONFIG },
        ]);
    }
    const doc = own === undefined ? {} : readToml(own);
    const settings = (doc.settings ??= {}) as Record<string, unknown>;
    const runtime = (settings["container-runtime"] ??= {}) as Record<string, unknown>;
    runtime.snapshotter = PARALLEL_PULL_SETTINGS["container-runtime"].snapshotter;
    const plugins = (settings["container-runtime-plugins"] ??= {}) as Record<string, unknown>;
    const soci = (plugins["soci-snapshotter"] ??= {}) as Record<string, unknown>;
    soci["pull-mode"] = PARALLEL_PULL_SETTINGS["container-runtime-plugins"]["soci-snapshotter"]["pull-mode"];
    return writeToml(doc);
}

// ---- reading any EC2NodeClass back ---------------------------------------------------------------------

/** The data volume Karpenter gives Bottlerocket (amifamily/bottlerocket.go, EphemeralBlockDevice). */
export const BOTTLEROCKET_DATA_DEVICE = "/dev/xvdb";

export interface ImageArrival {
    /** The SOCI snapshotter pulls and unpacks layers in parallel. */
    parallelPull: boolean;
    /** The data volume is restored from an EBS snapshot, images pre-pulled. */
    snapshot: boolean;
}

/** The AMI family an EC2NodeClass spec runs: its amiFamily, else its alias's; undefined for others (Custom, AL2, Windows). */
function familyOf(spec: Record<string, unknown>): UserDataFamily | undefined {
    const declared = typeof spec.amiFamily === "string" ? spec.amiFamily.toLowerCase() : undefined;
    const alias = Array.isArray(spec.amiSelectorTerms)
        ? (spec.amiSelectorTerms as unknown[])
              .map(t => asObject(t)?.alias)
              .find((a): a is string => typeof a === "string")
        : undefined;
    const family = declared ?? alias?.slice(0, alias.indexOf("@"));
    return family === "al2023" || family === "bottlerocket" ? family : undefined;
}

/**
 * How an EC2NodeClass's nodes get their images, from its spec (plain data: callers with values not
 * known yet must not call it); undefined for families other than AL2023 and Bottlerocket.
 */
export function imageArrivalOf(spec: unknown): ImageArrival | undefined {
    const s = asObject(spec);
    const family = s && familyOf(s);
    if (!s || !family) return undefined;
    let parallelPull = false;
    if (typeof s.userData === "string") {
        try {
            parallelPull = userDataParallelPull(family, s.userData) === true;
        } catch {
            // User data Karpenter cannot read launches no node at all.
        }
    }
    const snapshot =
        family === "bottlerocket" &&
        Array.isArray(s.blockDeviceMappings) &&
        (s.blockDeviceMappings as unknown[]).some(m => {
            const mapping = asObject(m);
            const id = objectAt(mapping, "ebs")?.snapshotID;
            return mapping?.deviceName === BOTTLEROCKET_DATA_DEVICE && typeof id === "string" && id !== "";
        });
    return { parallelPull, snapshot };
}

/** "pull", "parallel pull", "snapshot" or "snapshot + parallel pull". */
export function describeImageArrival(arrival: ImageArrival): string {
    const ways = [...(arrival.snapshot ? ["snapshot"] : []), ...(arrival.parallelPull ? ["parallel pull"] : [])];
    return ways.length > 0 ? ways.join(" + ") : "pull";
}
