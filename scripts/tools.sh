#!/usr/bin/env bash
# Installs the peer validators into .tools/ (ignored by git) when they are missing:
# check-jsonschema from PyPI, ajv-cli and ajv-formats from npm, at pinned versions. Prints nothing on success.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .tools/venv/bin/check-jsonschema ]; then
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check check-jsonschema
fi
if [ ! -x .tools/node/node_modules/.bin/ajv ]; then
  npm install --silent --no-audit --no-fund --prefix .tools/node ajv-cli@5.0.0 ajv-formats@3.0.1 >/dev/null
fi
