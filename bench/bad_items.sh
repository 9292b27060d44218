#!/usr/bin/env bash
# Times `foxapi-contract validate` on one response of N broken results items, for N of
# 10,000, 100,000 and 1,000,000, with peak memory (GNU time):
#   bench/bad_items.sh [BIN]      BIN defaults to target/release/foxapi-contract
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/foxapi-contract}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '| broken items | file | wall | peak memory | errors listed | errors counted |\n|---:|---:|---:|---:|---:|---:|\n'
for n in 10000 100000 1000000; do
  python3 bench/bad_items.py "$n" > "$work/bad.json"
  size=$(stat -c %s "$work/bad.json")
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" validate "$work/bad.json" --format json > "$work/out.json" || true
  read -r wall kb < <(tail -n 1 "$work/time")
  counts=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["responses"][0]; print(len(r["errors"]), len(r["errors"]) + r.get("omitted_errors", 0))' "$work/out.json")
  read -r listed counted <<< "$counts"
  printf '| %s | %s MB | %s s | %s MiB | %s | %s |\n' "$n" "$(( size / 1000000 ))" "$wall" "$(( kb / 1024 ))" "$listed" "$counted"
done
