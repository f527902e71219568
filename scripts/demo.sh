#!/usr/bin/env bash
# The main job on a fresh machine: set up, run the smoke scenario against the API on its embedded
# defaults (SQLite store, in-process cache), build the report and gate it. Exit code = verdict
# (0 GO, 1 NO-GO, 3 WARN, 4 INVALID; 2 bad input).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
scenario=${1:-scenarios/smoke.yaml}
out=${LOADGATE_OUT:-runs}
mkdir -p "$out"
before=$(ls -1 "$out")
loadgate run "$scenario" --out "$out"
run=$(comm -13 <(echo "$before") <(ls -1 "$out") | tail -n 1)
[ -n "$run" ] || { echo "demo: no new run directory in $out" >&2; exit 1; }
loadgate report "$out/$run"
echo "report: $out/$run/report.html"
exec loadgate gate "$out/$run"
