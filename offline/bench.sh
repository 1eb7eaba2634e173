#!/usr/bin/env bash
# Times the offline plan: the dev stack, and a stack with 50 GPU pools, median of 10 runs each
# (BENCH_RUNS to change) after a warm-up (the first run also compiles .build/). The two plans take
# turns, one run each per round, so a machine that slows down for a while slows both alike and
# their ratio holds. Each run is timed by hyperfine when installed (apt-get install hyperfine),
# by GNU time otherwise.
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  cat <<'EOF'
usage: npm run bench [-- --help]

Times the offline plan: the dev stack and a stack with 50 GPU pools, taking turns, after a
warm-up; prints each one's median and their ratio. BENCH_RUNS sets the runs of each (default 10).
Each run is timed by hyperfine when installed, by GNU time otherwise.
EOF
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "error: unknown argument \"$1\"; usage: npm run bench [-- --help]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-10}
out=$(mktemp -d)
trap 'rm -rf "$out" Pulumi.bench50.yaml' EXIT

# The dev stack's config with 50 pools.
node -e '
const { parse, stringify } = require("yaml");
const fs = require("fs");
const dev = parse(fs.readFileSync("Pulumi.dev.yaml", "utf8"));
const families = ["g5", "g6", "g6e", "g5g", "gr6", "g4dn"];
dev.config["gpu-karpenter:gpuPools"] = Array.from({ length: 50 }, (_, i) => ({
  name: `gpu-${i}`, instanceFamilies: [families[i % 6], families[(i + 1) % 6]], gpuLimit: 4, consolidateAfter: "1m",
}));
fs.writeFileSync("Pulumi.bench50.yaml", stringify(dev));
'

plan() { echo "node offline/launch.js offline/plan --stack $1 --out $out/$1"; }
# Warm-up: builds .build/ if a source changed, and leaves a plan for each run to replace.
$(plan dev) >/dev/null
$(plan bench50) >/dev/null
for round in $(seq "$runs"); do
  for stack in dev bench50; do
    if command -v hyperfine >/dev/null; then
      hyperfine -N --runs 1 --style none --export-json "$out/$stack.json" "$(plan "$stack")" >/dev/null 2>&1
      node -e 'console.log(require(process.argv[1]).results[0].mean)' "$out/$stack.json" >>"$out/$stack.times"
    else
      /usr/bin/time -f %e -o "$out/time" $(plan "$stack") >/dev/null
      cat "$out/time" >>"$out/$stack.times"
    fi
  done
done
node -e '
const fs = require("fs");
const median = file => { const t = fs.readFileSync(file, "utf8").trim().split("\n").map(Number).sort((a, b) => a - b); return (t[(t.length - 1) >> 1] + t[t.length >> 1]) / 2; };
const [d, f] = [median(process.argv[1]), median(process.argv[2])];
console.log(`dev plan median ${d.toFixed(2)} s; 50 pools median ${f.toFixed(2)} s (${(f / d).toFixed(2)}x), ${process.argv[3]} runs each, taking turns`);
' "$out/dev.times" "$out/bench50.times" "$runs"
