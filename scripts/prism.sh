#!/usr/bin/env bash
# Prism mocking from the OpenAPI document, held to the validator: starts `prism mock` on the
# document (`foxapi-contract schema --openapi`), fetches `GET /v1/tasks/{task_id}` from it and
# runs `foxapi-contract validate` on every body. All must be valid.
#   scripts/prism.sh [BIN]      BIN defaults to target/debug/foxapi-contract
# - static: every named example of the 200 answer (`Prefer: example=NAME`) and the default
#   answer, from the document and from the strict document (validated with --strict);
# - dynamic (`--dynamic --seed`): PRISM_FETCHES (default 50) generated bodies from the
#   document. Not from the strict one: json-schema-faker ignores `if`/`then`, so with the
#   strict document's closed sets it pairs `object` and `type` at random and breaks their
#   agreement rule; the contract's open sets leave its generated values to no rule but types.
# Without npm (or when the install fails) it says so and skips, exit 0; exit 1 on any invalid
# body, 2 when Prism does not start.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/listening.sh
source scripts/listening.sh
bin=${1:-target/debug/foxapi-contract}
fetches=${PRISM_FETCHES:-50}
if ! scripts/tools.sh prism; then
  echo "prism.sh: SKIPPED: Prism (@stoplight/prism-cli from npm) is not available here, so no Prism response was checked"
  exit 0
fi
prism=.tools/prism/node_modules/.bin/prism
work=$(mktemp -d)
server=""
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=""
}
trap 'stop; rm -rf "$work"' EXIT
"$bin" schema --openapi > "$work/openapi.json"
"$bin" schema --openapi --strict > "$work/openapi.strict.json"

# start DOCUMENT LOG [PRISM FLAGS...]: starts Prism, sets $server and $base.
start() {
  local document=$1 log=$2
  shift 2
  "$prism" mock "$@" -h 127.0.0.1 -p 0 "$document" > "$log" 2>&1 &
  server=$!
  base=$(listening "$log" "$server" "Prism is listening on http://[0-9.:]+") || exit 2
}

# fetch OUT_DIR NAME [CURL ARGS...]: one body of the task route into OUT_DIR/NAME.json.
fetch() {
  local dir=$1 name=$2
  shift 2
  local code
  code=$(curl -sS -o "$dir/$name.json" -w '%{http_code}' -H 'Authorization: Bearer prism-check' "$@" \
    "$base/v1/tasks/task-unified-1757165031-uyujaw3d")
  [ "$code" = 200 ] || { echo "prism.sh: expected 200 from Prism for $name, found $code: $(head -c 300 "$dir/$name.json")"; exit 1; }
}

examples=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
media = doc["paths"]["/v1/tasks/{task_id}"]["get"]["responses"]["200"]["content"]["application/json"]
print("\n".join(media.get("examples", {})))' "$work/openapi.json")

status=0
# check DIR [--strict]: validates every body; the whole report when any is invalid.
check() {
  local dir=$1
  shift
  if "$bin" validate "$@" "$dir" > "$work/report.txt" 2>&1; then
    tail -n 1 "$work/report.txt"
  else
    cat "$work/report.txt"
    status=1
  fi
}
for variant in contract strict; do
  document="$work/openapi.json"; strict=()
  if [ "$variant" = strict ]; then document="$work/openapi.strict.json"; strict=(--strict); fi
  out="$work/static-$variant"; mkdir -p "$out"
  start "$document" "$work/prism-static-$variant.log"
  fetch "$out" default
  for name in $examples; do fetch "$out" "example-$name" -H "Prefer: example=$name"; done
  stop
  echo "prism.sh: static answers of the $variant document ($(find "$out" -name '*.json' | wc -l) bodies):"
  check "$out" "${strict[@]}"
done

out="$work/dynamic-contract"; mkdir -p "$out"
start "$work/openapi.json" "$work/prism-dynamic.log" --dynamic --seed "${PRISM_SEED:-13}"
for i in $(seq 1 "$fetches"); do fetch "$out" "dynamic-$i"; done
stop
echo "prism.sh: dynamic answers of the contract document ($fetches bodies):"
check "$out"
[ "$status" -eq 0 ] && echo "prism.sh: every Prism answer keeps the contract" || echo "prism.sh: some Prism answers break the contract (above)"
exit "$status"
