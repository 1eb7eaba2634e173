// `npm run plan -- --help`.
import { PLAN_MARKER } from "./plan-folder";

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
