"""Faults during a run: a lost worker, a killed master, a killed single process. The run says what
it lost, keeps what it measured, and leaves no process or folder behind."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from runhelpers import Running, gone_within, loadgate, loadgate_env, the_run

from loadgate import runformat as rf
from loadgate.errors import EXIT_INVALID

pytestmark = pytest.mark.slow

LEAVE_S = 30
"""How long a process may take to go after its parent or master died (Locust's own wait is 60 s)."""


def _partial(out) -> rf.RunDir:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1 and runs[0].name.endswith(".partial"), runs
    return rf.RunDir.open(runs[0])


def test_a_run_that_loses_a_worker_is_invalid_and_says_when(tmp_path):
    out = tmp_path / "runs"
    run = Running("run", "smoke", "--no-gate", "--duration", "30", "--workers", "2", "--out", str(out))
    try:
        run.wait_measuring()
        time.sleep(6)
        victim = run.descendants("worker")[0]
        victim.send_signal(signal.SIGKILL)
        assert run.proc.wait(timeout=120) == 0, run.output()
    finally:
        run.stop()

    opened = rf.RunDir.open(the_run(out))
    lost = [w for w in opened.meta.workers_seen if w.lost_at is not None]
    assert len(opened.meta.workers_seen) == 2 and len(lost) == 1
    assert opened.meta.started_at < lost[0].lost_at < opened.meta.ended_at
    validity = opened.summary().validity
    assert not validity.valid
    assert any(f"worker {lost[0].worker} lost at" in reason for reason in validity.reasons), validity.reasons
    gate = loadgate("gate", str(opened.path))
    assert gate.returncode == EXIT_INVALID, gate.stdout + gate.stderr


def test_a_killed_master_keeps_its_closed_intervals_and_its_workers_stop(tmp_path):
    out = tmp_path / "runs"
    run = Running("run", "smoke", "--duration", "90", "--workers", "2", "--out", str(out))
    try:
        run.wait_measuring()
        time.sleep(16)
        workers = run.descendants("worker")
        api = run.descendants("serve")
        assert len(workers) == 2 and api, run.output()
        run.proc.send_signal(signal.SIGKILL)
        run.proc.wait(timeout=30)
        assert not gone_within(workers + api, LEAVE_S), "workers or the API outlived their master"
    finally:
        run.stop()

    partial = _partial(out)
    intervals = partial.intervals()
    assert intervals and sum(iv.histogram.get_total_count() for iv in intervals) > 0
    assert len({iv.start for iv in intervals}) >= 2  # every closed interval, not only the first
    assert partial.timeline() and partial.meta.persisted_until is not None and not partial.meta.complete

    report = loadgate("report", str(partial.path))
    assert report.returncode == 0, report.stderr
    assert "incomplete" in (partial.path / "report.md").read_text()
    gate = loadgate("gate", str(partial.path))
    assert gate.returncode == EXIT_INVALID, gate.stdout + gate.stderr


def test_a_worker_whose_master_dies_stops_within_seconds(tmp_path):
    from loadgate.paths import free_port

    port = str(free_port())
    master = Running("master", "smoke", "--expect-workers", "1", "--duration", "120", "--out",
                     str(tmp_path / "runs"), "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                     "--web-port", "0")
    worker = Running("worker", "smoke", "--master-port", port)  # not the master's child: no parent signal
    try:
        master.wait_measuring()
        time.sleep(3)
        master.proc.send_signal(signal.SIGKILL)
        master.proc.wait(timeout=30)
        worker.proc.wait(timeout=LEAVE_S)
    finally:
        for proc in (master, worker):
            proc.stop()
        for api in master.descendants("serve") if master.proc.poll() is None else []:
            api.kill()


def test_a_killed_single_process_run_leaves_no_api_behind(tmp_path):
    run = Running("run", "smoke", "--duration", "90", "--out", str(tmp_path / "runs"))
    try:
        run.wait_measuring()
        api = run.descendants("serve") + run.descendants("target_app.server")
        assert len(api) == 2, [p.cmdline() for p in api]
        run.proc.send_signal(signal.SIGKILL)
        run.proc.wait(timeout=30)
        alive = gone_within(api, LEAVE_S)
        for proc in alive:
            proc.kill()
        assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    finally:
        run.stop()


@pytest.mark.parametrize("interrupt", [False, True])
def test_a_distributed_run_removes_its_worker_log_folder(tmp_path, interrupt):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    run = Running("run", "smoke", "--duration", "8", "--workers", "1", "--out", str(tmp_path / "runs"),
                  env=loadgate_env(TMPDIR=str(tmp)))
    try:
        run.wait_measuring()
        assert list(tmp.glob("loadgate-workers-*")), "the workers log there while the run goes"
        if interrupt:
            run.proc.send_signal(signal.SIGINT)
        run.proc.wait(timeout=90)
    finally:
        run.stop()
    assert not list(tmp.glob("loadgate-workers-*"))
    assert json.loads(next((tmp_path / "runs").glob("*/meta.json")).read_text())["interrupted"] is interrupt
    assert not os.listdir(tmp) or all(not p.startswith("loadgate-workers-") for p in os.listdir(tmp))
