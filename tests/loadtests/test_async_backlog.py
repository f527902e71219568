"""The async side as the harness sees it, on a real RabbitMQ: the probe records the backlog, the
run waits for it to drain after the load, and the gate bounds queue lag and drain time.

Each run here is ``loadgate run`` against a local API publishing to a RabbitMQ of the test's own
(so no other test's messages are in its queues); tasks are created and completed, so every
completion is an email for the worker to send.
"""

from __future__ import annotations

import json

import yaml
from runhelpers import loadgate, loadgate_env, the_run, write_scenario

from loadgate import runformat as rf
from testsupport.servers import start_worker, stop_worker

MIX = {"create_task": 1, "complete_task": 1}


def _scenario(folder, amqp_url: str, drain_timeout: str, drain_limit: str = "<= 2s", **env: str):
    (folder / "slo.yaml").write_text(yaml.safe_dump({
        "endpoints": {"Total": {"error_rate": {"fail": "5%"}}},
        "run": {"drain_seconds": {"fail": drain_limit}, "queue_lag_max": {"fail": 600}},
    }))
    return write_scenario(folder, "async", slo="slo.yaml", target="local", duration="6s", users=3,
                          think_time={"min": 0.1, "max": 0.2}, mix=MIX,
                          seed={"users": 3, "tasks_per_user": 2}, drain_timeout=drain_timeout,
                          env={"AMQP_URL": amqp_url, "QUEUE_STATS_SECONDS": "0.3", **env})


def test_without_a_worker_the_backlog_stays_and_the_drain_limit_gates_no_go(tmp_path, own_rabbitmq):
    out = tmp_path / "runs"
    scenario = _scenario(tmp_path, own_rabbitmq.url, drain_timeout="3s")
    done = loadgate("run", str(scenario), "--out", str(out), env=loadgate_env(), timeout=180)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # NO-GO
    assert "draining:" in done.stdout and "backlog not drained within 3s" in done.stdout
    run = the_run(out)
    opened = rf.RunDir.open(run)
    meta = opened.meta
    assert meta.format_version == 3
    assert meta.drain is not None and meta.drain.timeout_s == 3 and not meta.drain.drained
    assert meta.drain.ended_at - meta.ended_at >= 3
    samples = opened.sut()
    assert any(s.queues.get("taskapi.email", {}).get("depth", 0) > 0 for s in samples)
    assert any(s.t > meta.ended_at + 1 for s in samples), "the run kept probing after the load"
    assert any(s.events.get("confirmed", 0) > 0 for s in samples)
    summary = opened.summary()
    figures = summary.run_figures
    assert figures["drain_seconds"] is None
    assert summary.drain_note == "the backlog did not drain within 3 s of the load's stop"
    assert figures["queue_depth_max"] >= summary.queues["taskapi.email"].depth_max > 0
    assert figures["queue_lag_max"] > 0 and "taskapi.email.dead" in summary.queues
    verdict = json.loads((run / "verdict.json").read_text())
    rows = {r["name"]: r for r in verdict["criteria"]}
    assert verdict["verdict"] == "NO-GO"
    assert rows["run drain_seconds"]["endpoint"] == "run"
    assert rows["run drain_seconds"]["result"] == "fail"
    assert rows["run queue_lag_max"]["result"] == "pass"
    report = (run / "report.html").read_text()
    assert "Event backlog and drain" in report and "did not drain within 3 s" in report
    assert "Async backlog:" in (run / "report.md").read_text()


def test_with_the_worker_the_run_waits_for_the_backlog_and_records_the_drain(
        tmp_path, own_rabbitmq, mongodb_url, redis_url, smtp_sink):
    out = tmp_path / "runs"
    env = {"MONGODB_URL": mongodb_url, "MONGODB_DB": "drain_test", "REDIS_URL": redis_url}
    scenario = _scenario(tmp_path, own_rabbitmq.url, drain_timeout="60s", drain_limit="<= 50s", **env)
    worker = start_worker(AMQP_URL=own_rabbitmq.url, SMTP_URL=smtp_sink.url, **env)
    try:
        done = loadgate("run", str(scenario), "--out", str(out), env=loadgate_env(), timeout=180)
    finally:
        stop_worker(worker)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]  # GO
    run = the_run(out)
    meta = rf.RunDir.open(run).meta
    assert meta.drain is not None and meta.drain.drained
    summary = rf.RunDir.open(run).summary()
    drain = summary.run_figures["drain_seconds"]
    assert drain is not None and 0 <= drain <= meta.drain.ended_at - meta.ended_at + 0.01
    assert summary.drain_note is None
    assert summary.queues["taskapi.email"].depth_last == 0

