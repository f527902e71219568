#!/usr/bin/env bash
# The whole test suite on a fresh machine: set up, lint, check imports and types, then pytest against real Redis,
# FerretDB, nginx and Chromium, which the suite starts itself on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache            # the layering of docs/architecture.md
.venv/bin/mypy                               # loadgate, loadtests, reports, target_app
exec .venv/bin/python -m pytest "$@"
