"""The task API's zero-latency stand-in (nginx, fixed answers per route): the shipped journeys
seed, sign in, list, open and change tasks against it without a failure."""

from __future__ import annotations

import pytest
from runhelpers import loadgate, loadgate_env, the_run, write_scenario

from loadgate import runformat as rf
from testsupport.servers import start_task_api_nginx


@pytest.fixture
def stand_in():
    server = start_task_api_nginx()
    yield server
    server.stop()


@pytest.mark.slow
def test_the_journeys_run_against_the_stand_in_without_failures(tmp_path, stand_in):
    scenario = write_scenario(tmp_path, "standin", target=stand_in.url, users=20, duration="4s",
                              think_time={"min": 0.05, "max": 0.1}, seed={"users": 50, "tasks_per_user": 0})
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out), env=loadgate_env(LOADGATE_SEED_TOKEN="x"))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = rf.RunDir.open(the_run(out)).summary()
    assert {"POST /auth/login", "GET /tasks", "GET /tasks/{id}"} <= set(summary.endpoints)
    assert summary.total.failures == 0 and summary.total.count > 100, summary.total
