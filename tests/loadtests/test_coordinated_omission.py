"""Coordinated omission: a 1 s server stall shows in the open model's p99, and hides in a naive
closed-model histogram (one user waits through it; nobody records the requests it did not send).

The test server answers at once, except for one second, STALL_AT_S after its first request, when
every request waits until the second ends.
"""

from __future__ import annotations

import pytest
from runhelpers import STALL_S, loadgate, the_run, write_scenario

from loadgate import runformat as rf

RUN = {"user_class": "harness_users:PlainUser", "duration": "8s", "seed": {"users": 0}}


def _run(tmp_path, server, **fields) -> rf.Summary:
    scenario = write_scenario(tmp_path, "stall", target=server.url, **RUN, **fields)
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out), timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return rf.RunDir.open(the_run(out)).summary()


@pytest.mark.slow
def test_open_model_p99_shows_the_stall(tmp_path, stall_server):
    # 100 journeys/s arrive whatever the server does; ~100 of ~800 are due during the stall
    summary = _run(tmp_path, stall_server, model="open", rate=100, users=200, connections=200)
    e = summary.endpoints["GET /"]
    assert e.count >= 700 and e.failures == 0
    assert e.corrected.p99 >= 0.8 * STALL_S * 1000, e.corrected  # measured from each due time
    assert e.p50 < 50  # outside the stall the server is fast


@pytest.mark.slow
def test_closed_model_raw_histogram_hides_the_stall_and_the_corrected_one_shows_it(tmp_path, stall_server):
    # one user, 40 ms think time: ~170 requests, of which exactly one waits through the stall
    summary = _run(tmp_path, stall_server, model="closed", users=1, think_time={"min": 0.04, "max": 0.04})
    e = summary.endpoints["GET /"]
    assert e.count >= 120 and e.failures == 0
    assert e.max >= 0.8 * STALL_S * 1000  # the stall happened ...
    assert e.p99 < 50, e  # ... and the naive p99 does not show it
    assert e.corrected.p99 >= 0.5 * STALL_S * 1000, e.corrected  # back-filled at the 40 ms pace
