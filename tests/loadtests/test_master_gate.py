"""``loadgate master`` and ``loadgate worker`` as separate commands (what the Kubernetes pods run):
the master waits for its worker, runs, writes the run directory, gates it against the scenario's
SLO, and exits with the verdict's code."""

from __future__ import annotations

import json

import pytest
from runhelpers import loadgate_bg, the_run

from testsupport.servers import free_port


@pytest.mark.slow
def test_master_runs_with_its_worker_gates_the_run_and_exits_with_the_verdict(tmp_path):
    out, port = tmp_path / "runs", free_port()
    master = loadgate_bg("master", "smoke", "--expect-workers", "1", "--master-bind-host", "127.0.0.1",
                         "--master-bind-port", str(port), "--web-port", "0", "--duration", "10",
                         "--out", str(out))
    worker = loadgate_bg("worker", "scenarios/smoke.yaml", "--master-host", "127.0.0.1",
                         "--master-port", str(port))
    try:
        code = master.wait(timeout=120)
        output = master.stdout.read()
        assert worker.wait(timeout=30) == 0, worker.stdout.read()[-2000:]  # the master told it to quit
    finally:
        for proc in (master, worker):
            if proc.poll() is None:
                proc.kill()
    run = the_run(out)
    verdict = json.loads((run / "verdict.json").read_text())
    assert (run / "junit.xml").is_file()
    assert verdict["slo_file"].endswith("scenarios/slo/smoke.yaml")
    assert code == verdict["exit_code"] and verdict["verdict"] in output, output[-3000:]
    assert json.loads((run / "meta.json").read_text())["workers"] == 1
