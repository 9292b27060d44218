#!/usr/bin/env bash
# Times foxapi-contract against its peers on one generated corpus, in one run:
#   bench/compare.sh [COUNT]          (default 10000 responses)
# - foxapi-contract validate, all cores, and on one core (taskset -c 0 --jobs 1: the reporting
#   thread shares that core)
# - the parse floor: the same files read and parsed with serde_json, nothing else, on one core
# - check-jsonschema (PyPI) and ajv-cli (npm) with the exported contract schema
# - peak memory of foxapi-contract on 100,000- and 300,000-response JSON Lines corpora, with
#   the JSON and the JUnit report
# Prints a table; BENCHMARKS.md records its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
scripts/tools.sh
cargo build --release --quiet --bin foxapi-contract --example parse_floor
bin=target/release/foxapi-contract
floor=target/release/examples/parse_floor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/corpus.py "$work/corpus" --count "$count"
python3 bench/corpus.py "$work/none" --count 100000 --jsonl "$work/corpus100k.jsonl" --no-files >/dev/null
cat "$work/corpus100k.jsonl" "$work/corpus100k.jsonl" "$work/corpus100k.jsonl" > "$work/corpus300k.jsonl"
"$bin" schema > "$work/contract.schema.json"

seconds() { # runs "$@" once, prints wall seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.3f}')"
}
best_of() { # best of N runs
  local n=$1; shift
  local best=""
  for _ in $(seq 1 "$n"); do
    t=$(seconds "$@")
    best=$(python3 -c "print(min(float('$t'), float('${best:-$t}')))")
  done
  echo "$best"
}
files=("$work"/corpus/*.json)
ours_all=$(best_of 3 "$bin" validate --no-progress --format json "$work/corpus")
ours_one=$(best_of 3 taskset -c 0 "$bin" validate --no-progress --jobs 1 --format json "$work/corpus")
floor_one=$(best_of 3 taskset -c 0 "$floor" "$work/corpus")
ajv=$(best_of 1 .tools/node/node_modules/.bin/ajv validate --spec=draft2020 -c ajv-formats --strict=false --errors=no -s "$work/contract.schema.json" -d "$work/corpus/*.json")
cj=$(best_of 1 .tools/venv/bin/check-jsonschema --schemafile "$work/contract.schema.json" "${files[@]}")
peak() { # peak resident KiB of a validate run
  { /usr/bin/time -f '%M' "$bin" validate --no-progress "$@" >/dev/null || true; } 2>&1 | tail -n 1
}
peak_kib=$(peak --format json "$work/corpus100k.jsonl")
peak_300k=$(peak --format json "$work/corpus300k.jsonl")
peak_junit=$(peak --format junit "$work/corpus100k.jsonl")
peak_junit_300k=$(peak --format junit "$work/corpus300k.jsonl")

python3 - "$count" "$ours_all" "$ours_one" "$floor_one" "$ajv" "$cj" "$peak_kib" "$peak_300k" "$peak_junit" "$peak_junit_300k" <<'PY'
import sys
count, ours_all, ours_one, floor_one, ajv, cj, peak, peak_300k, peak_junit, peak_junit_300k = sys.argv[1:]
count = int(count); ours_all, ours_one, floor_one, ajv, cj = map(float, (ours_all, ours_one, floor_one, ajv, cj))
rows = [("foxapi-contract validate (all cores)", ours_all), ("foxapi-contract validate, one core", ours_one),
        ("parse floor: serde_json only, one core", floor_one), ("ajv-cli 5 + ajv-formats", ajv), ("check-jsonschema", cj)]
print(f"| tool | seconds for {count} responses | responses/s |")
print("|---|---:|---:|")
for name, t in rows:
    print(f"| {name} | {t:.3f} | {count / t:,.0f} |")
print()
print(f"- check-jsonschema / foxapi-contract: {cj / ours_all:.1f}x (target at least 30x)")
print(f"- ajv-cli / foxapi-contract: {ajv / ours_all:.1f}x (target at least 5x)")
print(f"- foxapi-contract one core / parse floor: {ours_one / floor_one:.2f}x (target within 2x)")
print(f"- peak memory on 100,000 responses (JSON Lines, JSON report): {int(peak) / 1024:.1f} MiB (target under 64 MiB)")
print(f"- peak memory on 300,000 responses (JSON report): {int(peak_300k) / 1024:.1f} MiB")
print(f"- peak memory with the JUnit report, 100,000 / 300,000 responses: {int(peak_junit) / 1024:.1f} / {int(peak_junit_300k) / 1024:.1f} MiB")
PY
