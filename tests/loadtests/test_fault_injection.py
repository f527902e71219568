"""Faults a scenario injects (``faults:``): Redis and the store paused under the audit, the API
restarted, and every fault a run cannot make refused before anything starts (one line, exit 2)."""

from __future__ import annotations

import json

import psutil
import pytest
from runhelpers import assert_verdict, loadgate, loadgate_env, the_run, write_scenario

from loadgate import runformat as rf
from loadgate.errors import EXIT_GO, EXIT_INVALID, EXIT_NO_GO, EXIT_USAGE
from loadgate.paths import free_port

pytestmark = pytest.mark.slow


def _refused(proc, fragment: str) -> None:
    assert proc.returncode == EXIT_USAGE, proc.stdout[-2000:] + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert fragment in lines[0], lines[0]


def test_the_resilience_scenario_survives_paused_redis_and_store_and_audits_clean(tmp_path, own_redis,
                                                                                   own_ferretdb):
    out = tmp_path / "runs"
    done = loadgate("run", "resilience", "--out", str(out), timeout=300,
                    env=loadgate_env(MONGODB_URL=own_ferretdb.url, REDIS_URL=own_redis.url))
    run = the_run(out)
    assert_verdict(run, done.returncode, ("GO",), done.stdout + done.stderr)
    meta = rf.RunDir.open(run).meta
    redis, store = meta.faults
    assert (redis.target, store.target) == ("redis", "store") and not redis.error and not store.error
    assert redis.pid == own_redis.proc.pid and store.pid == own_ferretdb.proc.pid
    for fault in (redis, store):
        assert fault.started_at and fault.ended_at and 4.5 < fault.ended_at - fault.started_at < 7
        assert fault.effect.endswith("then SIGCONT")
        assert psutil.Process(fault.pid).status() != psutil.STATUS_STOPPED
    assert abs(store.started_at - meta.started_at - 24) < 2
    audit = json.loads((run / rf.AUDIT).read_text())
    assert audit["measured"] and audit["lost_writes"] == 0 and audit["stale_reads"] == 0, audit["findings"]
    assert "fault: pause store at 24s for 5s: " in done.stdout
    store_line = next(line for line in done.stdout.splitlines() if line.startswith("fault: pause store"))
    assert int(store_line.split(": ")[2].split(" of ")[0].replace(",", "")) > 0, store_line  # it cost errors
    assert "fault: pause redis" in (run / "report.md").read_text()


def test_a_restarted_api_comes_back_and_the_run_says_what_it_cost(tmp_path):
    scenario = write_scenario(tmp_path, users=5, duration=14, think_time={"min": 0.05, "max": 0.1},
                              audit=True, seed={"users": 5, "tasks_per_user": 3},
                              faults=[{"at": "4s", "action": "restart", "target": "api", "for": "1s"}])
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out), timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    run = the_run(out)
    (fault,) = rf.RunDir.open(run).meta.faults
    assert "started again" in fault.effect and fault.ended_at - fault.started_at >= 1, fault
    assert "fault: restart api at 4s for 1s: " in done.stdout
    timeline = rf.RunDir.open(run).timeline()
    assert sum(sum(r.failures.values()) for r in timeline) > 0  # requests to a dead API failed
    assert sum(sum(r.requests.values()) for r in timeline if r.t >= fault.ended_at) > 50  # and it came back
    assert json.loads((run / rf.AUDIT).read_text())["lost_writes"] == 0


def test_faults_are_refused_against_a_url_target(tmp_path):
    scenario = write_scenario(tmp_path, users=1, duration=10,
                              faults=[{"at": 2, "action": "kill", "target": "api"}])
    _refused(loadgate("run", str(scenario), "--target", "http://127.0.0.1:9"),
             "faults: only for target 'local'")


def test_a_store_fault_without_a_store_server_is_refused_before_anything_starts(tmp_path):
    scenario = write_scenario(tmp_path, users=1, duration=10,
                              faults=[{"at": 2, "action": "pause", "target": "store", "for": 1}])
    out = tmp_path / "runs"
    _refused(loadgate("run", str(scenario), "--out", str(out)),
             "faults[0].target: store: the local API runs on its embedded SQLite store "
             "(MONGODB_URL is not set)")
    assert not out.exists() or not any(out.iterdir())


def test_a_fault_on_a_server_of_another_machine_is_refused(tmp_path):
    scenario = write_scenario(tmp_path, users=1, duration=10, env={"REDIS_URL": "redis://cache.example:6379/0"},
                              faults=[{"at": 2, "action": "kill", "target": "redis"}])
    _refused(loadgate("run", str(scenario), "--out", str(tmp_path / "runs")),
             "faults[0].target: redis: REDIS_URL's host 'cache.example' is not 127.0.0.1")


def test_a_fault_on_a_port_nobody_listens_on_is_refused(tmp_path):
    port = free_port()
    scenario = write_scenario(tmp_path, users=1, duration=10, env={"MONGODB_URL": f"mongodb://127.0.0.1:{port}"},
                              faults=[{"at": 2, "action": "pause", "target": "store", "for": 1}])
    _refused(loadgate("run", str(scenario), "--out", str(tmp_path / "runs")),
             f"no process listens on 127.0.0.1:{port} (MONGODB_URL)")


def test_a_worker_fault_without_workers_is_refused(tmp_path):
    scenario = write_scenario(tmp_path, users=1, duration=10,
                              faults=[{"at": 2, "action": "kill", "target": "worker"}])
    _refused(loadgate("run", str(scenario), "--out", str(tmp_path / "runs")),
             "faults[0].target: worker: the run starts no worker processes")


def test_a_killed_worker_is_recorded_and_makes_the_run_invalid(tmp_path):
    scenario = write_scenario(tmp_path, users=4, duration=14, think_time={"min": 0.1, "max": 0.2},
                              seed={"users": 4, "tasks_per_user": 2},
                              faults=[{"at": "5s", "action": "kill", "target": "worker"}])
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--workers", "2", "--out", str(out), timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    opened = rf.RunDir.open(the_run(out))
    (fault,) = opened.meta.faults
    assert fault.effect.startswith("SIGKILL worker pid") and fault.process == "loadgate worker"
    assert not psutil.pid_exists(fault.pid) or psutil.Process(fault.pid).status() == psutil.STATUS_ZOMBIE
    lost = [w for w in opened.meta.workers_seen if w.lost_at is not None]
    # lost_at is when the master last heard of it: a heartbeat or a report before the kill
    assert len(lost) == 1 and fault.started_at - 6 <= lost[0].lost_at <= fault.started_at + 1
    assert not opened.summary().validity.valid


def test_a_paused_api_and_a_paused_worker_are_continued_and_the_pause_shows_as_latency(tmp_path):
    scenario = write_scenario(tmp_path, users=4, duration=16, think_time={"min": 0.1, "max": 0.2},
                              seed={"users": 4, "tasks_per_user": 2},
                              faults=[{"at": "4s", "action": "pause", "target": "api", "for": "3s"},
                                      {"at": "10s", "action": "pause", "target": "worker", "for": "1s"}])
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--workers", "2", "--out", str(out), timeout=180)
    opened = rf.RunDir.open(the_run(out))
    api, worker = opened.meta.faults
    assert not api.error and not worker.error, (api, worker)
    assert api.effect.startswith("SIGSTOP the API") and api.effect.endswith("then SIGCONT"), api
    assert worker.effect.startswith("SIGSTOP worker pid") and worker.effect.endswith("then SIGCONT"), worker
    assert 2.8 < api.ended_at - api.started_at < 5 and 0.8 < worker.ended_at - worker.started_at < 3
    # Requests sent while the API was stopped waited for it: the pause is in the latency, not hidden.
    assert opened.summary().total.max >= 2000, opened.summary().total
    assert "fault: pause api at 4s for 3s: " in done.stdout and "fault: pause worker at 10s" in done.stdout
    assert done.returncode in (EXIT_GO, EXIT_NO_GO, EXIT_INVALID), done.stdout[-3000:] + done.stderr[-2000:]


def test_a_killed_api_fails_the_rest_of_the_run_leaves_no_process_and_gates_no_go(tmp_path):
    (tmp_path / "slo.yaml").write_text(json.dumps({"endpoints": {"Total": {"error_rate": "5%"}}}))
    scenario = write_scenario(tmp_path, users=3, duration=12, think_time={"min": 0.1, "max": 0.2},
                              seed={"users": 3, "tasks_per_user": 2}, slo="slo.yaml",
                              faults=[{"at": "4s", "action": "kill", "target": "api"}])
    out = tmp_path / "runs"
    done = loadgate("run", str(scenario), "--out", str(out), timeout=180)
    opened = rf.RunDir.open(the_run(out))
    (fault,) = opened.meta.faults
    assert fault.effect.startswith("SIGKILL the API") and fault.process == "loadgate serve", fault
    assert not psutil.pid_exists(fault.pid) or psutil.Process(fault.pid).status() == psutil.STATUS_ZOMBIE
    after = [r for r in opened.timeline() if r.t >= fault.started_at + 1]
    assert after and sum(sum(r.failures.values()) for r in after) > 0
    assert sum(sum(r.requests.values()) - sum(r.failures.values()) for r in after) == 0  # nothing answered
    verdict = assert_verdict(the_run(out), done.returncode, ("NO-GO",), done.stdout)
    assert {c["name"]: c["result"] for c in verdict["criteria"]}["Total error_rate"] == "fail"
