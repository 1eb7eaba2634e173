#!/usr/bin/env bash
# Times the offline plan: the dev stack, and a stack with 50 GPU pools, median of 5 runs each
# (BENCH_RUNS to change) after a warm-up (the first run also compiles .build/). Uses hyperfine
# when installed (apt-get install hyperfine), GNU time otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out" Pulumi.bench50.yaml' EXIT

# The dev stack's config with 50 pools.
node -e '
const { load, dump } = require("js-yaml");
const fs = require("fs");
const dev = load(fs.readFileSync("Pulumi.dev.yaml", "utf8"));
const families = ["g5", "g6", "g6e", "g5g", "gr6", "g4dn"];
dev.config["gpu-karpenter:gpuPools"] = Array.from({ length: 50 }, (_, i) => ({
  name: `gpu-${i}`, instanceFamilies: [families[i % 6], families[(i + 1) % 6]], gpuLimit: 4, consolidateAfter: "1m",
}));
fs.writeFileSync("Pulumi.bench50.yaml", dump(dev));
'

plan() { node offline/launch.js offline/plan --stack "$1" --out "$out/$1" >/dev/null; }
plan dev
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs "$runs" --export-json "$out/bench.json" \
    'node offline/launch.js offline/plan --stack dev --out '"$out"'/dev' \
    'node offline/launch.js offline/plan --stack bench50 --out '"$out"'/bench50'
  read -r dev fifty < <(node -e 'console.log(require(process.argv[1]).results.map(x => x.median).join(" "))' "$out/bench.json")
else
  median() {
    for _ in $(seq "$runs"); do /usr/bin/time -f %e node offline/launch.js offline/plan --stack "$1" --out "$out/$1" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
  }
  dev=$(median dev); fifty=$(median bench50)
fi
node -e 'const [d, f] = process.argv.slice(1).map(Number); console.log(`dev plan median ${d.toFixed(2)} s; 50 pools median ${f.toFixed(2)} s (${(f / d).toFixed(2)}x)`)' "$dev" "$fifty"
