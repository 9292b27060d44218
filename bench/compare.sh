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
# A page cache filled by builds makes the kernel reclaim and compact memory while the runs
# allocate (mimalloc asks for huge pages), which moved single runs by 2x here: start from an
# empty cache where allowed (root); the corpora are written afresh below.
if [ -w /proc/sys/vm/drop_caches ]; then
  sync
  echo 3 > /proc/sys/vm/drop_caches
fi
python3 bench/compare.py --bin target/release/foxapi-contract \
  --floor target/release/examples/parse_floor --tools .tools --count "$count" --runs "$runs"
