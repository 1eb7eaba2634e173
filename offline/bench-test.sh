#!/usr/bin/env bash
# Times `npm test` (or, with --packages, `npm run test:packages`) as CI runs it: each run from its
# own empty TMPDIR (no tsx, ts-node, compile or pack-dependency cache left from an earlier run),
# timed by GNU time (wall, and user + sys of every process it waited for). BENCH_RUNS runs (default
# 1); prints each and the median. A failing run stops the bench with its output's last lines.
set -euo pipefail
usage="usage: npm run bench:test [-- --packages]"
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  cat <<EOF2
$usage

Times npm test (with --packages, npm run test:packages) as CI runs it, each run from an empty
TMPDIR, by GNU time: wall seconds and CPU seconds (user + sys of all its processes).
BENCH_RUNS sets the number of runs (default 1); prints each run and the medians. Run it on an
otherwise idle machine: the suite keeps two cores busy, so anything else running slows it.
EOF2
  exit 0
fi
script=test
if [[ "${1:-}" == "--packages" ]]; then
  script=test:packages
  shift
fi
if [[ $# -gt 0 ]]; then
  echo "error: unknown argument \"$1\"; $usage" >&2
  exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "error: GNU time (/usr/bin/time) is needed: apt-get install time" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-1}
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for run in $(seq "$runs"); do
  tmp=$(mktemp -d)
  if ! TMPDIR=$tmp /usr/bin/time -f "%e %U %S" -o "$tmp.time" npm run -s "$script" >"$tmp.log" 2>&1; then
    tail -n 20 "$tmp.log" >&2
    echo "error: npm run $script failed on run $run (its output: $tmp.log)" >&2
    exit 1
  fi
  read -r wall user sys <"$tmp.time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  echo "run $run: $wall s wall, $cpu CPU s ($(tail -n 1 "$tmp.log"))"
  echo "$wall $cpu" >>"$times"
  rm -rf "$tmp" "$tmp.time" "$tmp.log"
done
node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(l => l.split(" ").map(Number));
const median = xs => { const t = [...xs].sort((a, b) => a - b); return (t[(t.length - 1) >> 1] + t[t.length >> 1]) / 2; };
const [wall, cpu] = [median(rows.map(r => r[0])), median(rows.map(r => r[1]))];
console.log(`npm run ${process.argv[2]}: median ${wall.toFixed(0)} s wall, ${cpu.toFixed(0)} CPU s, ${rows.length} run${rows.length === 1 ? "" : "s"}, node ${process.version}`);
' "$times" "$script"
