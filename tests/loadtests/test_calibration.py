"""Calibration: every run measures, at its start and end, what its own client stack adds to a
zero-latency server's answers, and says so in meta.json and the summary."""

from __future__ import annotations

import pytest
from runhelpers import loadgate, the_run, write_scenario

from loadgate import runformat as rf

RUN = {"user_class": "harness_users:PlainUser", "duration": "3s", "seed": {"users": 0}, "users": 2,
       "think_time": {"min": 0.05, "max": 0.05}}


@pytest.mark.slow
def test_a_run_records_its_clients_floor_at_start_and_end(tmp_path, slow_server):
    scenario = write_scenario(tmp_path, "floor", target=slow_server.url, **RUN)
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out), timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    run = rf.RunDir.open(the_run(out))
    floors = run.meta.calibration
    assert [(c.process, c.when) for c in floors] == [("local", "start"), ("local", "end")]
    for c in floors:
        # above zero, and far below the slow server's 50 ms: it never asked the target
        assert c.count >= 100 and 0 < c.p50_ms <= c.p99_ms < 50, c
    summary = run.summary()
    assert summary.floor_p50_ms == max(c.p50_ms for c in floors)
    assert summary.floor_p99_ms == max(c.p99_ms for c in floors)
