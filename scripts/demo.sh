#!/usr/bin/env bash
# The main job on a fresh machine: set up, run the smoke scenario against the API on its embedded
# defaults (SQLite store, in-process cache), build the report and gate it. Exit code = verdict
# (0 GO, 1 NO-GO, 3 WARN, 4 INVALID; 2 bad input).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
scenario=${1:-scenarios/smoke.yaml}
# One command from run to verdict: the run directory gets report.html, report.md, verdict.json and
# junit.xml, and the exit code is the verdict (the scenario names its SLO).
exec loadgate run "$scenario" --out "${LOADGATE_OUT:-runs}"
