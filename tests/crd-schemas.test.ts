import { expect } from "chai";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { CRDS, SCHEMA_DIR, SOURCE_FILE, main, RefreshError, type SchemaSource } from "../scripts/refresh-crd-schemas";
import { sha256 } from "../scripts/upstream";

// Two tiny synthetic CRDs in the upstream folder's layout (see the fixture's README).
const FIXTURE = path.join(__dirname, "fixtures", "karpenter-crds");

describe("the vendored CRD schemas (offline/schemas/)", () => {
    const source = JSON.parse(readFileSync(path.join(SCHEMA_DIR, SOURCE_FILE), "utf8")) as SchemaSource;

    it("record where they came from: Karpenter's AWS provider at tag v1.14.1, its commit, each CRD's path and SHA-256", () => {
        expect(source.source).to.deep.equal({
            repository: "https://github.com/aws/karpenter-provider-aws",
            license: "Apache-2.0",
            tag: "v1.14.1",
            commit: "bde00654cd316fddb3dccfba3f5ac07039865429",
            files: [
                {
                    file: "crds/karpenter.sh_nodepools.yaml",
                    path: "pkg/apis/crds/karpenter.sh_nodepools.yaml",
                    sha256: "3bb64a20c80776b77aa19a699ebdaf34480a7b2e7ec4ef890b43225b3517f878",
                },
                {
                    file: "crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
                    path: "pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
                    sha256: "62dec59f01c0972d4503ca3ed25f243ba9c2f561be0d964ce7a14c8df406132f",
                },
            ],
        });
    });

    it("are, byte for byte, the files SOURCE.json records (an edited schema fails here), and all the validator loads", () => {
        for (const { file, sha256: recorded } of source.schemas) {
            expect(sha256(readFileSync(path.join(SCHEMA_DIR, file))), file).to.equal(recorded);
        }
        const recorded = source.schemas.map(s => s.file);
        expect(recorded).to.deep.equal(CRDS.map(name => `${name}.v1.json`));
        expect(readdirSync(SCHEMA_DIR).filter(f => f.endsWith(".json") && f !== SOURCE_FILE)).to.have.members(recorded);
        const validator = readFileSync(path.join(SCHEMA_DIR, "..", "karpenter-schema.ts"), "utf8");
        const loaded = [...validator.matchAll(/^import \w+ from "\.\/schemas\/([^"]+)";$/gm)].map(m => m[1]);
        // SOURCE.json too: the messages name the release it records.
        expect(loaded).to.have.members([...recorded, SOURCE_FILE]);
    });

    describe("npm run refresh-crd-schemas", () => {
        const tmp = mkdtempSync(path.join(tmpdir(), "gpu-karpenter-crd-schemas-"));
        after(() => rmSync(tmp, { recursive: true, force: true }));

        /** A copy of the fixture, to break one thing in. */
        function copy(name: string): string {
            const dir = path.join(tmp, name);
            cpSync(FIXTURE, dir, { recursive: true });
            return dir;
        }

        /** Edits a CRD of `dir` and records its new checksum, so the checksum is not what fails. */
        function rewrite(dir: string, crd: string, change: (text: string) => string): void {
            const file = path.join(dir, "crds", crd);
            const before = readFileSync(file, "utf8");
            const after = change(before);
            expect(after).to.not.equal(before);
            writeFileSync(file, after);
            const readme = path.join(dir, "README.md");
            writeFileSync(readme, readFileSync(readme, "utf8").replace(sha256(before), sha256(after)));
        }

        const refresh = (dir: string, out: string) => () => main([dir, "--out", out], () => undefined);

        it("writes each CRD's v1 openAPIV3Schema as JSON, nothing changed, and SOURCE.json with both files' checksums", () => {
            const out = path.join(tmp, "out");
            const logged: string[] = [];
            expect(main([FIXTURE, "--out", out], l => logged.push(l))).to.equal(0);
            expect(readdirSync(out)).to.have.members([
                "karpenter.sh_nodepools.v1.json",
                "karpenter.k8s.aws_ec2nodeclasses.v1.json",
                SOURCE_FILE,
            ]);

            // Key order as in the YAML; the unserved v1beta1 left out; "on" and the date stay strings.
            const nodePools = {
                description: "A synthetic NodePool: a few of the constructs\nthe real CRDs use, nothing more.",
                properties: {
                    spec: {
                        properties: {
                            weight: { format: "int32", maximum: 100, minimum: 1, type: "integer" },
                            since: { default: "2026-12-01", type: "string" },
                            mode: { default: "on", enum: ["on", "off"], type: "string" },
                            key: {
                                maxLength: 316,
                                pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
                                type: "string",
                            },
                        },
                        required: ["weight"],
                        type: "object",
                        "x-kubernetes-validations": [
                            {
                                message: '"mode" may be "off" only with a weight',
                                rule: "self.mode != 'off' || has(self.weight)",
                            },
                        ],
                    },
                },
                type: "object",
            };
            const nodePoolsText = readFileSync(path.join(out, "karpenter.sh_nodepools.v1.json"), "utf8");
            expect(nodePoolsText).to.equal(JSON.stringify(nodePools, null, 2) + "\n");
            const nodeClassesText = readFileSync(path.join(out, "karpenter.k8s.aws_ec2nodeclasses.v1.json"), "utf8");
            expect(JSON.parse(nodeClassesText)).to.have.nested.property(
                "properties.spec.properties.role.x-kubernetes-validations[0].rule",
                "self != ''",
            );

            const written = JSON.parse(readFileSync(path.join(out, SOURCE_FILE), "utf8")) as SchemaSource;
            expect(written.source).to.deep.equal({
                repository: "https://example.com/karpenter-crd-fixture",
                license: "Apache-2.0",
                tag: "v0.0.1-fixture",
                commit: "0123456789abcdef0123456789abcdef01234567",
                files: [
                    {
                        file: "crds/karpenter.sh_nodepools.yaml",
                        path: "pkg/apis/crds/karpenter.sh_nodepools.yaml",
                        sha256: "527e61a1d916e1393cdd28a6a9674478c2811e741a996fb9263ed7754cd3b9b7",
                    },
                    {
                        file: "crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
                        path: "pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
                        sha256: "8514614d7fc47582c9a587b590879c7cd445275c36a74f8a9fb055fcbe2e2366",
                    },
                ],
            });
            expect(written.schemas).to.deep.equal([
                {
                    file: "karpenter.sh_nodepools.v1.json",
                    from: "crds/karpenter.sh_nodepools.yaml",
                    version: "v1",
                    sha256: sha256(nodePoolsText),
                },
                {
                    file: "karpenter.k8s.aws_ec2nodeclasses.v1.json",
                    from: "crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
                    version: "v1",
                    sha256: sha256(nodeClassesText),
                },
            ]);
            expect(logged).to.deep.equal([
                `wrote ${path.relative(process.cwd(), out)}/: karpenter.sh_nodepools.v1.json, ` +
                    "karpenter.k8s.aws_ec2nodeclasses.v1.json, SOURCE.json from https://example.com/karpenter-crd-fixture v0.0.1-fixture (0123456789ab)",
            ]);
        });

        it("refuses a missing CRD file, and writes nothing", () => {
            const dir = copy("missing");
            rmSync(path.join(dir, "crds", "karpenter.k8s.aws_ec2nodeclasses.yaml"));
            const out = path.join(tmp, "missing-out");
            expect(refresh(dir, out)).to.throw(
                RefreshError,
                /crds\/karpenter\.k8s\.aws_ec2nodeclasses\.yaml: no such file$/,
            );
            // The first CRD was fine; it is not written alone.
            expect(existsSync(out)).to.equal(false);
        });

        it("refuses a CRD that differs from the checksum its README records", () => {
            const dir = copy("edited");
            const crd = path.join(dir, "crds", "karpenter.sh_nodepools.yaml");
            writeFileSync(crd, readFileSync(crd, "utf8").replace("maximum: 100", "maximum: 1000"));
            expect(refresh(dir, path.join(tmp, "edited-out"))).to.throw(
                RefreshError,
                /crds\/karpenter\.sh_nodepools\.yaml: SHA-256 [0-9a-f]{64} is not the 527e61a1[0-9a-f]{56} its README records/,
            );
        });

        it("refuses a CRD without a v1 version with a v1 schema, and a file that is not a CRD", () => {
            const noV1 = copy("no-v1");
            rewrite(noV1, "karpenter.sh_nodepools.yaml", t => t.replace("  - name: v1\n", "  - name: v1beta2\n"));
            expect(refresh(noV1, path.join(tmp, "no-v1-out"))).to.throw(
                RefreshError,
                /crds\/karpenter\.sh_nodepools\.yaml: has no v1 version \(it has v1beta1, v1beta2\)/,
            );

            const noSchema = copy("no-schema");
            rewrite(noSchema, "karpenter.k8s.aws_ec2nodeclasses.yaml", t =>
                t.replace("openAPIV3Schema:", "openAPIV2Schema:"),
            );
            expect(refresh(noSchema, path.join(tmp, "no-schema-out"))).to.throw(
                RefreshError,
                /crds\/karpenter\.k8s\.aws_ec2nodeclasses\.yaml: version v1 has no schema\.openAPIV3Schema/,
            );

            const notCrd = copy("not-crd");
            rewrite(notCrd, "karpenter.sh_nodepools.yaml", t =>
                t.replace("kind: CustomResourceDefinition", "kind: ConfigMap"),
            );
            expect(refresh(notCrd, path.join(tmp, "not-crd-out"))).to.throw(
                RefreshError,
                /crds\/karpenter\.sh_nodepools\.yaml: is not a CustomResourceDefinition/,
            );
        });

        it("refuses a folder whose README does not say where each CRD came from, from the release tag", () => {
            const bare = copy("bare");
            rmSync(path.join(bare, "README.md"));
            expect(refresh(bare, path.join(tmp, "bare-out"))).to.throw(RefreshError, /bare: no README\.md in it/);

            const unlisted = copy("unlisted");
            const readme = path.join(unlisted, "README.md");
            writeFileSync(
                readme,
                readFileSync(readme, "utf8").replace(
                    /^[0-9a-f]{64} {2}crds\/karpenter\.k8s\.aws_ec2nodeclasses\.yaml\n/m,
                    "",
                ),
            );
            expect(refresh(unlisted, path.join(tmp, "unlisted-out"))).to.throw(
                RefreshError,
                /README\.md: gives no SHA-256 for crds\/karpenter\.k8s\.aws_ec2nodeclasses\.yaml$/,
            );

            const branch = copy("branch");
            const branchReadme = path.join(branch, "README.md");
            writeFileSync(
                branchReadme,
                readFileSync(branchReadme, "utf8").replace(
                    "| `crds/karpenter.sh_nodepools.yaml` | tag `v0.0.1-fixture` |",
                    "| `crds/karpenter.sh_nodepools.yaml` | `release-v0.0.1` |",
                ),
            );
            expect(refresh(branch, path.join(tmp, "branch-out"))).to.throw(
                RefreshError,
                /README\.md: crds\/karpenter\.sh_nodepools\.yaml comes from `release-v0\.0\.1`, not the release tag `v0\.0\.1-fixture`/,
            );
        });

        it("refuses bad arguments", () => {
            expect(() => main([], () => undefined)).to.throw(
                RefreshError,
                /^usage: npm run refresh-crd-schemas -- <upstream folder/,
            );
            expect(() => main([FIXTURE, "--force"], () => undefined)).to.throw(
                RefreshError,
                /unexpected argument "--force"/,
            );
        });
    });
});
