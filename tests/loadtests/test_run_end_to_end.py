"""The smoke scenario end to end against the API on Redis + FerretDB, locally and with 2 workers.

The run directory must be complete, and what our histograms counted must agree, per endpoint,
with what Locust itself counted (``locust/stats.csv``): the same requests, none lost in shipping.
"""

from __future__ import annotations

import csv
import json

import pytest
from runhelpers import loadgate, loadgate_env, the_run

from loadgate import runformat as rf
from loadtests.locust_logging import SPAWN_RATE_WARNING

ENDPOINTS = {"GET /tasks", "GET /tasks/{id}", "POST /tasks", "PATCH /tasks/{id}", "POST /auth/login"}
TEMPLATES = ENDPOINTS | {"DELETE /tasks/{id}", "GET /analytics", "GET /users/me", "PATCH /users/me"}


def _locust_counts(run) -> dict[str, tuple[int, int]]:
    with open(run / "locust/stats.csv") as f:
        return {f"{row['Type']} {row['Name']}": (int(row["Request Count"]), int(row["Failure Count"]))
                for row in csv.DictReader(f) if row["Name"] != "Aggregated"}


def _smoke(tmp_path, redis_url, mongodb_url, *extra):
    out = tmp_path / "runs"
    done = loadgate("run", "smoke", "--no-gate", "--duration", "15", "--out", str(out), *extra,
                    env=loadgate_env(REDIS_URL=redis_url, MONGODB_URL=mongodb_url), timeout=150)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = the_run(out)
    assert f"run directory: {run}" in done.stdout
    # The shape re-targets every second; Locust's spawn-rate warning shows once per process at most.
    assert (done.stdout + done.stderr).count(SPAWN_RATE_WARNING) <= 3
    return run


def _check_complete(run, processes: set[str]) -> rf.Summary:
    files = (rf.META, rf.SUMMARY, rf.RAW_LOG, rf.CORRECTED_LOG, rf.TIMELINE, rf.SUT, rf.GENERATOR,
             *(f"locust/{name}.csv" for name in ("stats", "stats_history", "failures", "exceptions")))
    for name in files:
        assert (run / name).is_file(), f"{name} missing"
    opened = rf.RunDir.open(run)
    meta = opened.meta
    assert not meta.interrupted and meta.scenario_name == "smoke" and meta.model == "closed"
    assert meta.target.startswith("http://127.0.0.1:") and meta.target_kind == "local (mongodb + redis)"
    assert meta.ended_at - meta.started_at == pytest.approx(15, abs=1.0)
    assert meta.started_at > meta.created_at and meta.git_commit and "locust" in meta.packages
    summary = opened.summary()
    assert summary.validity.valid, summary.validity.reasons
    assert set(summary.endpoints) >= ENDPOINTS, set(summary.endpoints)
    assert summary.total.error_rate < 0.01, summary.model_dump_json()
    # requests are named by route template, never by a raw URL with an id or a query in it
    assert {iv.endpoint for iv in opened.intervals()} <= TEMPLATES
    assert {s.process for s in opened.generator()} == processes
    samples = opened.sut()
    assert len(samples) >= 3 and all(s.ok for s in samples)
    assert summary.endpoints["GET /tasks"].cache_lookups > 0
    assert summary.endpoints["GET /tasks"].cache_hit_ratio is not None
    assert max(row.users for row in opened.timeline()) == 20
    assert summary.endpoints["GET /tasks"].corrected is not None
    return summary


def _agrees_with_locust(run, summary: rf.Summary) -> None:
    locust = _locust_counts(run)
    ours = {name: (e.count, e.failures) for name, e in summary.endpoints.items()}
    assert ours == locust
    assert summary.total.count == sum(n for n, _ in locust.values()) > 100


@pytest.mark.slow
def test_smoke_runs_locally_and_its_counts_agree_with_locust(tmp_path, redis_url, mongodb_url):
    run = _smoke(tmp_path, redis_url, mongodb_url)
    summary = _check_complete(run, {"local"})
    _agrees_with_locust(run, summary)


@pytest.mark.slow
def test_smoke_runs_on_two_workers_and_the_merged_counts_agree_with_locust(tmp_path, redis_url, mongodb_url):
    run = _smoke(tmp_path, redis_url, mongodb_url, "--workers", "2")
    summary = _check_complete(run, {"master", "worker-0", "worker-1"})
    _agrees_with_locust(run, summary)
    assert json.loads((run / rf.META).read_text())["workers"] == 2
