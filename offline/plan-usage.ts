// `npm run plan`'s command line: its flags, its usage and its exit statuses. Loads no SDK, so that
// --help and a mistyped flag answer at once.
import * as path from "path";
import { DEFAULT_CLUSTER_FILE } from "./fake-cluster";
import { PLAN_MARKER } from "./plan-folder";
import { PROJECT_DIR } from "./project-dir";

export const PLAN_USAGE =
    "usage: npm run plan -- [--stack NAME] [--cluster FILE] [--out DIR] [--policy-pack-config FILE] [--rerun [--expect-no-changes]]";

export function planHelp(): string {
    return `${PLAN_USAGE}

What \`pulumi preview\` of a stack would create, with no cloud account: runs the program (index.ts)
under the Pulumi SDK's mocks with the stack's config, against a made-up cluster, and writes every
resource, Kubernetes manifest, Helm release and IAM document and each GPU pool's hourly ceiling.

  --stack NAME               the stack whose Pulumi.NAME.yaml to read (default: dev)
  --cluster FILE             a JSON description of your cluster, over offline/default-cluster.json
  --out DIR                  where to write (default: plan/NAME/); a new or empty folder, or one an
                             earlier plan wrote (it has ${PLAN_MARKER}). The plan deletes only files it
                             wrote, and stops if one was changed or another file is in the way.
  --policy-pack-config FILE  the policy pack's config, as \`pulumi preview --policy-pack-config\` takes it
  --rerun                    then run the stack again against the cloud as this update would leave it,
                             and print what a second update would do (docs/rerun.md)
  --expect-no-changes        with --rerun: fail (exit 1) if the second update would change anything
  --help, -h                 print this and exit

The region is found where pulumi-aws finds it: aws:region, AWS_REGION, AWS_DEFAULT_REGION, then
the profile's region in the AWS config files.

Exit status: 0 when every mandatory policy passes; 1 on a mandatory policy violation, a
Karpenter schema error or a second run that fails or, with --expect-no-changes, changes something
(the files are still written); 2 on a config, region, cluster description,
policy pack config or --out error (the message names the setting; nothing is written).
`;
}

export const EXIT_OK = 0;
export const EXIT_POLICY = 1;
export const EXIT_INPUT = 2;

export interface PlanOptions {
    stack: string;
    clusterFile: string;
    outDir: string;
    /** `--policy-pack-config`, as pulumi preview takes it. */
    policyPackConfig?: string;
    /** `--rerun`: plan a second update against the cloud as the first leaves it. */
    rerun?: boolean;
    /** `--expect-no-changes` (pulumi preview's flag): fail when the second update would change anything. */
    expectNoChanges?: boolean;
}

export class UsageError extends Error {}

export function parsePlanArgs(argv: string[], cwd = process.cwd()): PlanOptions {
    const options: Partial<PlanOptions> = {};
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        if (flag === "--rerun") {
            options.rerun = true;
            continue;
        }
        if (flag === "--expect-no-changes") {
            options.expectNoChanges = true;
            continue;
        }
        const key = (
            {
                "--stack": "stack",
                "--cluster": "clusterFile",
                "--out": "outDir",
                "--policy-pack-config": "policyPackConfig",
            } as const
        )[flag as "--stack"];
        if (!key) throw new UsageError(`unknown argument ${JSON.stringify(flag)}\n${PLAN_USAGE}`);
        if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value\n${PLAN_USAGE}`);
        options[key] = value;
        i++;
    }
    if (options.expectNoChanges && !options.rerun) {
        throw new UsageError(
            `--expect-no-changes applies to the second run (a first run creates everything); add --rerun\n${PLAN_USAGE}`,
        );
    }
    const stack = options.stack ?? "dev";
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)} is not a stack name`);
    const outDir = path.resolve(cwd, options.outDir ?? path.join(PROJECT_DIR, "plan", stack));
    const fromOut = path.relative(outDir, PROJECT_DIR);
    if (!fromOut.startsWith("..") && !path.isAbsolute(fromOut)) {
        throw new UsageError(
            `--out ${options.outDir}: the project is inside that folder; name a folder of its own for the plan`,
        );
    }
    return {
        stack,
        clusterFile: options.clusterFile ? path.resolve(cwd, options.clusterFile) : DEFAULT_CLUSTER_FILE,
        outDir,
        ...(options.policyPackConfig ? { policyPackConfig: path.resolve(cwd, options.policyPackConfig) } : {}),
        ...(options.rerun ? { rerun: true } : {}),
        ...(options.expectNoChanges ? { expectNoChanges: true } : {}),
    };
}
