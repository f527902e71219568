#!/usr/bin/env bash
# The whole test suite on a fresh machine: set up, lint, then pytest against real Redis,
# FerretDB, nginx and Chromium, which the suite starts itself on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
