"""A real smoke run (the API started by the run's local target) goes through report and gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_helpers import loadgate

from loadgate.errors import VERDICT_EXIT_CODES as EXIT_CODES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_real_smoke_run_is_reported_and_gated(tmp_path):
    run = loadgate("run", REPO / "scenarios" / "smoke.yaml", "--no-gate", "--out", tmp_path, cwd=REPO)
    assert run.returncode == 0, run.stderr[-2000:]
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")]

    slo = REPO / "scenarios" / "slo" / "smoke.yaml"
    report = loadgate("report", run_dir, "--slo", slo)
    assert report.returncode == 0, report.stderr
    html = (run_dir / "report.html").read_text()
    # five charts of every run, and the event backlog's: the local API publishes to its in-process queue
    assert html.count('src="data:image/png;base64,') == 6 and "GET /tasks" in html
    assert "Event backlog and drain" in html

    gate = loadgate("gate", run_dir, "--slo", slo)
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert gate.returncode == EXIT_CODES[verdict["verdict"]], gate.stdout + gate.stderr
    # Every criterion was measured: the smoke SLO asks only what ~500 requests can answer.
    assert all(c["measured"] is not None for c in verdict["criteria"]), verdict["criteria"]
    assert all(c["result"] != "invalid" for c in verdict["criteria"]), verdict["criteria"]
