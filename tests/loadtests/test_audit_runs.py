"""The durability audit end to end (``audit: true``), against a real API on FerretDB and Redis: an
honest run audits clean, a write removed behind the API's back is a lost write and NO-GO, writes
answered 503 while the store is paused are unknown (never lost), and a killed master keeps the
ledger its workers sent."""

from __future__ import annotations

import json
import signal
import time
import uuid

import psutil
import pytest
from bson import ObjectId
from pymongo import MongoClient
from runhelpers import Running, assert_verdict, loadgate, the_run, write_scenario

from loadgate import runformat as rf
from loadgate.errors import EXIT_INVALID

pytestmark = pytest.mark.slow

WRITES = {"browse": 2, "open_task": 4, "create_task": 4, "update_status": 3, "complete_task": 2,
          "delete_task": 3}
"""A write-heavy mix: the audit has something to check in a short run."""
SLO = {"endpoints": {"Total": {"error_rate": "50%"}}}


def _scenario(tmp_path, duration: int, env: dict[str, str] | None = None, **extra):
    slo = tmp_path / "slo.yaml"
    slo.write_text(json.dumps(SLO))
    return write_scenario(tmp_path, "audited", users=5, duration=duration,
                          think_time={"min": 0.05, "max": 0.1}, audit=True,
                          seed={"users": 5, "tasks_per_user": 5}, mix=WRITES, env=env or {}, slo="slo.yaml",
                          **extra)


def _store_env(mongodb_url: str, redis_url: str | None = None) -> dict[str, str]:
    env = {"MONGODB_URL": mongodb_url, "MONGODB_DB": f"audit_{uuid.uuid4().hex[:8]}"}
    return {**env, "REDIS_URL": redis_url} if redis_url else env


def _audit(run) -> dict:
    return json.loads((run / rf.AUDIT).read_text())


def test_an_honest_run_audits_clean_and_gates_go(tmp_path, mongodb_url, redis_url):
    out = tmp_path / "runs"
    scenario = _scenario(tmp_path, 12, _store_env(mongodb_url, redis_url))
    done = loadgate("run", str(scenario), "--out", str(out), timeout=180)
    run = the_run(out)
    assert_verdict(run, done.returncode, ("GO",), done.stdout + done.stderr)
    audit = _audit(run)
    assert audit["measured"] and audit["acknowledged_writes"] > 50, audit
    figures = (audit["lost_writes"], audit["phantom_writes"], audit["stale_reads"])
    assert figures == (0, 0, 0), audit["findings"]
    summary = rf.RunDir.open(run).summary()
    names = ("lost_writes", "phantom_writes", "stale_reads")
    audited = {k: v for k, v in summary.run_figures.items() if k in names}
    assert audited == {"lost_writes": 0.0, "phantom_writes": 0.0, "stale_reads": 0.0}
    assert "lost writes 0 · phantom writes 0 · stale reads 0" in done.stdout
    assert "lost writes 0" in (run / "report.md").read_text()
    verdict = json.loads((run / "verdict.json").read_text())
    assert {c["name"]: c["result"] for c in verdict["criteria"]}["run lost_writes"] == "pass"


def test_a_task_deleted_behind_the_apis_back_is_a_lost_write_and_no_go(tmp_path, mongodb_url, redis_url):
    env = _store_env(mongodb_url, redis_url)
    out = tmp_path / "runs"
    run = Running("run", str(_scenario(tmp_path, 20, env)), "--out", str(out))
    removed: list[str] = []
    try:
        run.wait_measuring()
        time.sleep(6)
        with MongoClient(mongodb_url) as client:
            tasks = client[env["MONGODB_DB"]]["tasks"]
            victims = list(tasks.find({"title": {"$regex": "^Load task "}}).sort("_id", -1).limit(3))
            assert victims, "the journeys created no task yet"
            for doc in victims:
                tasks.delete_one({"_id": doc["_id"]})
                removed.append(str(doc["_id"]) if isinstance(doc["_id"], ObjectId) else doc["_id"])
        returncode = run.proc.wait(timeout=180)
    finally:
        run.stop()
    verdict = assert_verdict(the_run(out), returncode, ("NO-GO",), run.output())
    assert {c["name"]: c["result"] for c in verdict["criteria"]}["run lost_writes"] == "fail"
    audit = _audit(the_run(out))
    lost = [f for f in audit["findings"] if f["kind"] == "lost"]
    assert audit["measured"] and audit["lost_writes"] >= 1 and audit["phantom_writes"] == 0, audit
    assert {f["task"] for f in lost} <= set(removed), (lost, removed)
    assert all(f["found"] is None for f in lost)
    assert "lost writes " in run.output()


def test_writes_answered_503_while_the_store_is_paused_are_unknown_not_lost(tmp_path, own_ferretdb):
    out = tmp_path / "runs"
    run = Running("run", str(_scenario(tmp_path, 24, _store_env(own_ferretdb.url))), "--out", str(out))
    store = psutil.Process(own_ferretdb.proc.pid)
    try:
        run.wait_measuring()
        time.sleep(5)
        store.suspend()  # SIGSTOP: requests reach it and wait; the API gives up after STORE_TIMEOUT_MS
        time.sleep(5)
        store.resume()
        returncode = run.proc.wait(timeout=180)
    finally:
        if store.status() == psutil.STATUS_STOPPED:
            store.resume()
        run.stop()
    path = the_run(out)
    assert_verdict(path, returncode, ("GO", "NO-GO"), run.output())
    ledger = [e for f in rf.ledger_files(path) for e in rf.read_ledger(f)]
    unknown = [e for e in ledger if e.outcome == "unknown" and e.status == 503]
    assert unknown, "no write answered 503 while the store was paused"
    audit = _audit(path)
    assert audit["measured"] and audit["unknown_writes"] >= len(unknown)
    assert (audit["lost_writes"], audit["phantom_writes"]) == (0, 0), audit["findings"]


def test_a_killed_master_keeps_the_ledger_its_workers_sent(tmp_path):
    out = tmp_path / "runs"
    run = Running("run", str(_scenario(tmp_path, 90)), "--workers", "1", "--out", str(out))
    try:
        run.wait_measuring()
        time.sleep(8)
        run.proc.send_signal(signal.SIGKILL)
        run.proc.wait(timeout=30)
    finally:
        run.stop()
    partial = next(p for p in out.iterdir() if p.name.endswith(".partial"))
    files = rf.ledger_files(partial)
    assert [f.name for f in files] == ["worker-0.jsonl"]
    entries = rf.read_ledger(files[0])
    assert len(entries) > 20 and {e.op for e in entries} >= {"create", "update"}
    assert all(e.outcome in ("ack", "unknown") for e in entries if e.op != "read")
    report = loadgate("report", str(partial))
    assert report.returncode == 0, report.stderr
    md = (partial / "report.md").read_text()
    assert "lost writes not measured" in md and "the run's writer was killed" in md
    gate = loadgate("gate", str(partial), "--slo", str(tmp_path / "slo.yaml"))
    assert gate.returncode == EXIT_INVALID, gate.stdout + gate.stderr
