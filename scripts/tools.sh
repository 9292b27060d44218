#!/usr/bin/env bash
# Installs the tools the scripts use into .tools/ (ignored by git) when they are missing, each
# pinned. Prints nothing on success.
#   scripts/tools.sh           the peer validators: check-jsonschema (PyPI), ajv-cli and ajv-formats (npm)
#   scripts/tools.sh openapi   the OpenAPI checkers: openapi-spec-validator and schemathesis (PyPI),
#                              in their own venv (.tools/openapi) so their pins do not meet the peers'
#   scripts/tools.sh jsonschema-cli
#                              the Rust jsonschema-cli (crates.io) in .tools/cargo, a peer of the
#                              benchmarks (bench/compare.sh)
#   scripts/tools.sh prism     Prism (@stoplight/prism-cli, npm) in .tools/prism; exits 3 and says
#                              so on stderr when npm is missing or the install fails
set -euo pipefail
cd "$(dirname "$0")/.."

# Pins: bump deliberately, then run .ci/run.
OPENAPI_SPEC_VALIDATOR=0.9.0
SCHEMATHESIS=4.32.5
PRISM=5.16.0
CHECK_JSONSCHEMA=0.39.0
AJV_CLI=5.0.0
AJV_FORMATS=3.0.1
JSONSCHEMA_CLI=0.60.2

case "${1:-peers}" in
  peers)
    want="check-jsonschema==$CHECK_JSONSCHEMA"
    if [ "$(cat .tools/venv/pins 2>/dev/null)" != "$want" ]; then
      python3 -m venv .tools/venv
      .tools/venv/bin/pip install --quiet --disable-pip-version-check "$want"
      echo "$want" > .tools/venv/pins
    fi
    want="ajv-cli@$AJV_CLI ajv-formats@$AJV_FORMATS"
    if [ "$(cat .tools/node/pins 2>/dev/null)" != "$want" ]; then
      # shellcheck disable=SC2086
      npm install --silent --no-audit --no-fund --prefix .tools/node $want >/dev/null
      echo "$want" > .tools/node/pins
    fi
    ;;
  openapi)
    want="openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR schemathesis==$SCHEMATHESIS"
    if [ "$(cat .tools/openapi/pins 2>/dev/null)" != "$want" ]; then
      python3 -m venv .tools/openapi
      # shellcheck disable=SC2086
      .tools/openapi/bin/pip install --quiet --disable-pip-version-check $want
      echo "$want" > .tools/openapi/pins
    fi
    ;;
  jsonschema-cli)
    if [ "$(cat .tools/cargo/pins 2>/dev/null)" != "$JSONSCHEMA_CLI" ]; then
      cargo install --quiet --locked --root .tools/cargo jsonschema-cli --version "$JSONSCHEMA_CLI"
      echo "$JSONSCHEMA_CLI" > .tools/cargo/pins
    fi
    ;;
  prism)
    if [ "$(cat .tools/prism/pins 2>/dev/null)" != "$PRISM" ]; then
      if ! command -v npm >/dev/null 2>&1; then
        echo "tools: npm is not installed, so Prism cannot be" >&2
        exit 3
      fi
      if ! npm install --silent --no-audit --no-fund --prefix .tools/prism "@stoplight/prism-cli@$PRISM" >/dev/null; then
        echo "tools: npm could not install @stoplight/prism-cli@$PRISM" >&2
        exit 3
      fi
      echo "$PRISM" > .tools/prism/pins
    fi
    ;;
  *)
    echo "usage: scripts/tools.sh [peers|openapi|jsonschema-cli|prism]" >&2
    exit 2
    ;;
esac
