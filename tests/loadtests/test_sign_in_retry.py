"""A simulated user whose sign-in failed signs in again, backing off (exponentially, with jitter,
never sooner than the API's Retry-After); it never works on without a token (which would only
measure 401s, as a real client would not). Retries are recorded apart, as
``POST /auth/login (retry)``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from runhelpers import FAILED_LOGINS, RETRY_AFTER_S, loadgate, loadgate_env, the_run, write_scenario

SIGN_IN, SIGN_IN_RETRY = "/auth/login", "/auth/login (retry)"  # Locust's names (no Locust import here)
RUN_S = 6


def request_counts(run: Path) -> dict[str, int]:
    with open(run / "locust" / "stats.csv") as f:
        return {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(f)}


def run_against(tmp_path: Path, target: str, duration: str) -> tuple[Path, object]:
    scenario = write_scenario(
        tmp_path, "sign-in", target=target, duration=duration, model="closed", users=2,
        think_time={"min": 0.05, "max": 0.05}, mix={"browse": 1}, seed={"users": 2, "tasks_per_user": 0},
    )
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out),
                    env=loadgate_env(LOADGATE_SEED_TOKEN="stand-in-token"), timeout=120)
    return the_run(out), done


@pytest.mark.slow
def test_a_user_whose_sign_in_failed_signs_in_again_instead_of_sending_unauthenticated_requests(
    tmp_path, flaky_login_server
):
    run, done = run_against(tmp_path, flaky_login_server.url, "5s")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    counts = request_counts(run)
    assert counts[SIGN_IN] + counts[SIGN_IN_RETRY] > FAILED_LOGINS  # refused sign-ins were tried again
    assert counts["/tasks"] > 10  # and once in, the users browsed
    assert flaky_login_server.requests() == 0  # never without the token


@pytest.fixture(scope="module")
def overloaded_run(tmp_path_factory, overloaded_login_server):
    """A run of two users against an API that refuses every sign-in with Retry-After."""
    run, _ = run_against(tmp_path_factory.mktemp("overloaded"), overloaded_login_server.url, f"{RUN_S}s")
    return run, overloaded_login_server.sign_ins()


@pytest.mark.slow
def test_a_refused_sign_in_is_tried_again_no_sooner_than_retry_after(overloaded_run):
    _, sign_ins = overloaded_run
    assert len(sign_ins) == 2
    for times in sign_ins.values():
        assert len(times) >= 2  # it does try again
        assert len(times) <= 2 + RUN_S // RETRY_AFTER_S  # not once per step (~100 in this run)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= RETRY_AFTER_S * 0.95  # a hair under: two clocks, one per process


@pytest.mark.slow
def test_sign_in_retries_are_recorded_apart_from_first_sign_ins(overloaded_run):
    run, sign_ins = overloaded_run
    counts = request_counts(run)
    retries_seen = sum(map(len, sign_ins.values())) - len(sign_ins)
    assert counts[SIGN_IN] == len(sign_ins)  # one first sign-in per user
    # all retries the server saw, bar one per user that may have been in flight when the run stopped
    assert retries_seen - len(sign_ins) <= counts[SIGN_IN_RETRY] <= retries_seen
