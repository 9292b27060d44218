#!/usr/bin/env bash
# Shows that standard validators given the exported contract schema (`foxapi-contract schema`)
# reach the same valid/invalid verdict as foxapi-contract on every fixture.
#   scripts/peer-agreement.sh [BIN]      BIN defaults to target/debug/foxapi-contract
# Prints one line per disagreement and a closing count; exits 1 on any disagreement.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/foxapi-contract}
scripts/tools.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" schema > "$work/contract.schema.json"
"$bin" validate --format json fixtures > "$work/ours.json" || true
python3 - "$work/ours.json" > "$work/ours.tsv" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["responses"]:
    print(f'{r["source"]}\t{"valid" if r["valid"] else "invalid"}')
PY
verdict() { if "$@" >/dev/null 2>&1; then echo valid; else echo invalid; fi; }
agree=0; disagree=0
while IFS=$'\t' read -r file ours; do
  cj=$(verdict .tools/venv/bin/check-jsonschema --schemafile "$work/contract.schema.json" "$file")
  aj=$(verdict .tools/node/node_modules/.bin/ajv validate --spec=draft2020 -c ajv-formats --strict=false \
        -s "$work/contract.schema.json" -d "$file")
  if [ "$cj" = "$ours" ] && [ "$aj" = "$ours" ]; then
    agree=$((agree + 1))
  else
    disagree=$((disagree + 1))
    echo "disagree: $file: foxapi-contract $ours, check-jsonschema $cj, ajv $aj"
  fi
done < "$work/ours.tsv"
echo "agreement: $agree passed, $disagree failed"
[ "$disagree" -eq 0 ]
