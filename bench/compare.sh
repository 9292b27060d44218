#!/usr/bin/env bash
# Times foxapi-contract against the parse floor and its peers, on a small-response corpus (where
# FoxAPI traffic is) and a large-response one, one core and all cores, start-up, peak memory:
#   bench/compare.sh [COUNT] [RUNS]     (default 10000 files per corpus, medians of 5)
# The peers (check-jsonschema, ajv-cli, jsonschema-cli) are installed pinned by scripts/tools.sh
# and given the contract schema `foxapi-contract schema` exports. bench/compare.py does the work
# and prints Markdown; BENCHMARKS.md records its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
runs=${2:-5}
scripts/tools.sh peers
scripts/tools.sh jsonschema-cli
cargo build --release --quiet --bin foxapi-contract --example parse_floor
python3 bench/compare.py --bin target/release/foxapi-contract \
  --floor target/release/examples/parse_floor --tools .tools --count "$count" --runs "$runs"
