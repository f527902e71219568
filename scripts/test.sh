#!/usr/bin/env bash
# The whole test suite on a fresh machine: set up (Python deps, Redis, FerretDB, nginx, Chromium, RabbitMQ,
# the Docker engine and bases, the test cluster's binaries), lint, check imports and types, then pytest, which
# starts every server, the compose stack and the cluster itself on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-docker.sh                      # docker.io, Compose v2, dockerd, the local Debian bases
scripts/setup-cluster.sh build               # the test cluster's binaries and images (cached)
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache            # the layering of docs/architecture.md
.venv/bin/mypy                               # loadgate, loadtests, reports, target_app
exec .venv/bin/python -m pytest "$@"
