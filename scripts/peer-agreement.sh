#!/usr/bin/env bash
# Shows that standard validators given the exported schemas reach the same valid/invalid verdict
# as foxapi-contract on every fixture, in both modes:
#   - the contract: `foxapi-contract schema` against `validate`;
#   - strict: `foxapi-contract schema --strict` against `validate --strict`.
#   scripts/peer-agreement.sh [BIN]      BIN defaults to target/debug/foxapi-contract
# The peers are check-jsonschema (Python) and ajv-cli (JavaScript), each run once per mode over
# every fixture that is JSON at all; bytes that are not JSON are refused by every reader, so
# only our verdict on them is checked (invalid). Prints one line per disagreement and a
# closing count; exits 1 on any disagreement.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/foxapi-contract}
scripts/tools.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

agree=0
disagree=0
for mode in contract strict; do
  flag=()
  [ "$mode" = strict ] && flag=(--strict)
  "$bin" schema "${flag[@]}" > "$work/$mode.schema.json"
  "$bin" validate "${flag[@]}" --format json fixtures > "$work/$mode.ours.json" || true
  # source <TAB> our verdict <TAB> whether the bytes are JSON at all
  python3 - "$work/$mode.ours.json" > "$work/$mode.ours.tsv" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["responses"]:
    try:
        json.loads(open(r["source"], "rb").read().decode("utf-8"))
        readable = "json"
    except (ValueError, UnicodeDecodeError):
        readable = "unreadable"
    print(f'{r["source"]}\t{"valid" if r["valid"] else "invalid"}\t{readable}')
PY
  awk -F'\t' '$3 == "json" { print $1 }' "$work/$mode.ours.tsv" > "$work/$mode.files"
  mapfile -t files < "$work/$mode.files"

  .tools/venv/bin/check-jsonschema --schemafile "$work/$mode.schema.json" -o JSON "${files[@]}" \
    > "$work/$mode.cj.json" || true
  python3 - "$work/$mode.cj.json" > "$work/$mode.cj.failed" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
for e in out.get("errors", []) + out.get("parse_errors", []):
    print(e["filename"])
PY
  args=()
  for f in "${files[@]}"; do args+=(-d "$f"); done
  .tools/node/node_modules/.bin/ajv validate --spec=draft2020 -c ajv-formats --strict=false \
    -s "$work/$mode.schema.json" "${args[@]}" > "$work/$mode.ajv.out" 2>&1 || true

  while IFS=$'\t' read -r file ours readable; do
    if [ "$readable" = unreadable ]; then
      cj=invalid
      aj=invalid
    else
      if grep -Fxq -- "$file" "$work/$mode.cj.failed"; then cj=invalid; else cj=valid; fi
      aj=$(grep -E "^$(printf '%s' "$file" | sed 's/[.[\*^$()+?{|]/\\&/g') (valid|invalid)$" "$work/$mode.ajv.out" \
        | awk '{ print $NF }' | head -n 1)
      aj=${aj:-missing}
    fi
    if [ "$cj" = "$ours" ] && [ "$aj" = "$ours" ]; then
      agree=$((agree + 1))
    else
      disagree=$((disagree + 1))
      echo "disagree ($mode): $file: foxapi-contract $ours, check-jsonschema $cj, ajv $aj"
    fi
  done < "$work/$mode.ours.tsv"
  echo "$mode: $(wc -l < "$work/$mode.ours.tsv") fixtures compared"
done
echo "agreement: $agree passed, $disagree failed"
[ "$disagree" -eq 0 ]
