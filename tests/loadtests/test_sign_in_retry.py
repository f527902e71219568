"""A simulated user whose sign-in failed signs in again; it never works on without a token
(which would only measure 401s, as a real client would not)."""

from __future__ import annotations

import csv

import pytest
from runhelpers import FAILED_LOGINS, loadgate, loadgate_env, the_run, write_scenario


@pytest.mark.slow
def test_a_user_whose_sign_in_failed_signs_in_again_instead_of_sending_unauthenticated_requests(
    tmp_path, flaky_login_server
):
    scenario = write_scenario(
        tmp_path, "flaky", target=flaky_login_server.url, duration="5s", model="closed", users=2,
        think_time={"min": 0.05, "max": 0.05}, mix={"browse": 1}, seed={"users": 2, "tasks_per_user": 0},
    )
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out),
                    env=loadgate_env(LOADGATE_SEED_TOKEN="stand-in-token"), timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with open(the_run(out) / "locust" / "stats.csv") as f:
        counts = {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(f)}
    assert counts["/auth/login"] > FAILED_LOGINS  # refused sign-ins were tried again
    assert counts["/tasks"] > 10  # and once in, the users browsed
    assert flaky_login_server.requests() == 0  # never without the token
