"""Pool wait: time a request spends waiting in the generator for a pooled connection is recorded
apart from its time on the wire, and a run whose latencies are mostly that wait is invalid.

The slow test server answers every request after 50 ms, many at once: 40 users without think
time on 2 connections queue ~19 deep in the generator, while the server itself stays at 50 ms.
"""

from __future__ import annotations

import pytest
from runhelpers import SLOW_S, loadgate, the_run, write_scenario

from loadgate import runformat as rf
from loadtests.recorder import Collector, Recorder

RUN = {"user_class": "harness_users:PlainUser", "duration": "5s", "seed": {"users": 0},
       "model": "closed", "users": 40, "think_time": {"min": 0, "max": 0}, "shape": {"kind": "constant"}}


def _run(tmp_path, server, **fields) -> rf.RunDir:
    scenario = write_scenario(tmp_path, "pool", target=server.url, **RUN, **fields)
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out), timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return rf.RunDir.open(the_run(out))


def test_the_recorder_keeps_the_pool_wait_apart_from_the_time_on_the_wire():
    rec = Recorder()
    rec.record("GET /", start=1000.0, latency_us=50_000, failed=False, wait_us=30_000)
    rec.record("GET /", start=1000.1, latency_us=20_000, failed=False)
    collector = Collector()
    collector.absorb(rec.drain())
    wire = collector.per_endpoint()["GET /"]
    assert wire.get_total_count() == 2
    assert wire.get_max_value() == pytest.approx(20_000, rel=1e-3)  # 50 ms less the 30 ms wait
    waits = [c.get() for c in collector.pool.values()]
    assert [w.get_total_count() for w in waits] == [1]  # only the request that waited
    assert waits[0].get_max_value() == pytest.approx(30_000, rel=1e-3)


@pytest.mark.slow
def test_a_starved_pool_makes_the_run_invalid_and_names_the_endpoint(tmp_path, slow_server):
    run = _run(tmp_path, slow_server, connections=2)
    summary = run.summary()
    e = summary.endpoints["GET /"]
    assert e.pool_wait_share > 0.5, e  # most of each request was the queue for 2 connections
    assert e.p50 < 4 * SLOW_S * 1000, e  # the time on the wire is the server's
    assert not summary.validity.valid
    assert any("GET /" in r and "pooled connection" in r for r in summary.validity.reasons), summary.validity


@pytest.mark.slow
def test_the_default_pool_gives_every_user_a_connection(tmp_path, slow_server):
    run = _run(tmp_path, slow_server)
    summary = run.summary()
    e = summary.endpoints["GET /"]
    assert run.meta.connections == RUN["users"]
    assert e.pool_wait.p99 == 0 and e.pool_wait_share == 0, e
    assert not any("pooled connection" in r for r in summary.validity.reasons), summary.validity
