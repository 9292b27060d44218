#!/usr/bin/env bash
# Schemathesis against the mock FoxAPI: starts `foxapi-contract serve` on a free loopback
# port with a throwaway key, and runs `schemathesis run` with the OpenAPI document
# (`foxapi-contract schema --openapi`) and every check on (status codes, content types,
# response schemas and headers, negative and positive data, unsupported methods, auth).
#   scripts/schemathesis.sh [BIN]      BIN defaults to target/debug/foxapi-contract
# One worker: with several, Hypothesis on CPython 3.11 can trip over its own lambda parsing
# ("AST constructor recursion depth mismatch"), a runtime error of the tool, not a finding.
# Bounded: SCHEMATHESIS_MAX_EXAMPLES (default 25) test cases per operation and phase, a fixed
# seed (SCHEMATHESIS_SEED), so a run is reproducible and stays within a couple of minutes.
# Exits 0 when Schemathesis finds nothing, 1 on any failure, 2 when the mock does not start.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/listening.sh
source scripts/listening.sh
bin=${1:-target/debug/foxapi-contract}
scripts/tools.sh openapi
work=$(mktemp -d)
mock=""
cleanup() {
  if [ -n "$mock" ]; then kill "$mock" 2>/dev/null || true; wait "$mock" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
"$bin" schema --openapi > "$work/openapi.json"
key="schemathesis-$(date +%s)-$$"
FOXAPI_API_KEY="$key" "$bin" serve --addr 127.0.0.1:0 > "$work/serve.log" 2>&1 &
mock=$!
base=$(listening "$work/serve.log" "$mock" "^listening on http://[^ ]+") || exit 2
echo "schemathesis.sh: $(.tools/openapi/bin/schemathesis --version) against the mock at $base"
# The key goes in through the environment (a config file reads it), not on a command line.
cat > "$work/schemathesis.toml" <<'TOML'
[auth.openapi.bearer]
bearer = "${FOXAPI_API_KEY}"
TOML
FOXAPI_API_KEY="$key" .tools/openapi/bin/schemathesis --no-color --config-file "$work/schemathesis.toml" run "$work/openapi.json" \
  --url "$base" \
  --checks all \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
  --seed "${SCHEMATHESIS_SEED:-13}" \
  --workers 1 \
  --request-timeout 10
