"""The async side as the harness sees it, on a real RabbitMQ: the probe records the backlog, the
run waits for it to drain after the load, and the gate bounds queue lag and drain time.

Each run here is ``loadgate run`` against a local API publishing to a RabbitMQ of the test's own
(so no other test's messages are in its queues); tasks are created and completed, so every
completion is an email for the worker to send.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter

import yaml
from runhelpers import loadgate, loadgate_env, the_run, write_scenario

from loadgate import runformat as rf
from testsupport.servers import start_worker, stop_worker

MIX = {"create_task": 1, "complete_task": 1}


def _scenario(folder, amqp_url: str, drain_timeout: str, drain_limit: str = "<= 2s", tasks_per_user: int = 2,
              **env: str):
    (folder / "slo.yaml").write_text(yaml.safe_dump({
        "endpoints": {"Total": {"error_rate": {"fail": "5%"}}},
        "run": {"drain_seconds": {"fail": drain_limit}, "queue_lag_max": {"fail": 600}},
    }))
    return write_scenario(folder, "async", slo="slo.yaml", target="local", duration="6s", users=3,
                          think_time={"min": 0.1, "max": 0.2}, mix=MIX,
                          seed={"users": 3, "tasks_per_user": tasks_per_user}, drain_timeout=drain_timeout,
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


def test_with_the_worker_the_run_waits_for_the_backlog_and_every_completed_task_is_one_email(
        tmp_path, own_rabbitmq, mongodb_url, redis_url, smtp_sink):
    out = tmp_path / "runs"
    database = f"drain_{uuid.uuid4().hex[:8]}"
    env = {"MONGODB_URL": mongodb_url, "MONGODB_DB": database, "REDIS_URL": redis_url}
    # No seeded tasks: every task is created in the run (todo), so every done one was completed in it.
    scenario = _scenario(tmp_path, own_rabbitmq.url, drain_timeout="60s", drain_limit="<= 50s",
                         tasks_per_user=0, **env)
    worker = start_worker(AMQP_URL=own_rabbitmq.url, SMTP_URL=smtp_sink.url, **env)
    try:
        done = loadgate("run", str(scenario), "--out", str(out), env=loadgate_env(), timeout=180)
        completed, ours = _completed_tasks(mongodb_url, database)
        assert completed, "the run completed no task"
        expected = {f"<task-completed-{task_id}@taskapi>" for task_id in completed}
        # The drain ends when the last message is taken; its email may still be on its way.
        deadline = time.monotonic() + 30
        while not expected <= set(_message_ids(smtp_sink, ours)) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop_worker(worker)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]  # GO
    sent = Counter(_message_ids(smtp_sink, ours))
    missing = sorted(expected - set(sent))
    duplicated = sorted(m for m, n in sent.items() if n > 1)
    extra = sorted(set(sent) - expected)
    assert (missing, duplicated, extra) == ([], [], []), f"of {len(expected)} completed tasks"
    run = the_run(out)
    meta = rf.RunDir.open(run).meta
    assert meta.drain is not None and meta.drain.drained
    summary = rf.RunDir.open(run).summary()
    drain = summary.run_figures["drain_seconds"]
    assert drain is not None and 0 <= drain <= meta.drain.ended_at - meta.ended_at + 0.01
    assert summary.drain_note is None and summary.drain_exceeded_s is None
    assert summary.queues["taskapi.email"].depth_last == 0


def _completed_tasks(mongodb_url: str, database: str) -> tuple[set[str], set[str]]:
    """The ids of the run's tasks that are done, and its users' emails, read from the store."""
    from pymongo import MongoClient

    with MongoClient(mongodb_url) as client:
        db = client[database]
        done = {str(t["_id"]) for t in db["tasks"].find({"status": "done"}, {"_id": 1})}
        return done, {u["email"] for u in db["users"].find({}, {"email": 1})}


def _message_ids(sink, recipients: set[str]) -> list[str]:
    """The Message-ID of every email the sink received for these recipients (repeats kept)."""
    return [m["Message-ID"] for m in list(sink.messages) if m["To"] in recipients]
