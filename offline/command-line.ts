// What every command of the project (plan, check-manifests, the refresh scripts, bench:pack) shares
// on its command line.

/** `--help` or `-h` anywhere: the command prints its usage and exits 0, doing nothing else. */
export function helpAsked(argv: readonly string[]): boolean {
    return argv.includes("--help") || argv.includes("-h");
}
