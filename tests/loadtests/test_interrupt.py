"""Interrupting a run (Ctrl-C, or SIGTERM as Kubernetes sends) still leaves a valid run directory,
marked interrupted, and exits 130."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from runhelpers import loadgate_bg, the_run

from loadgate import runformat as rf
from loadgate.errors import EXIT_INTERRUPTED


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGINT, "0"), (signal.SIGTERM, "2")])
def test_an_interrupted_run_leaves_a_valid_run_directory_marked_so(tmp_path, sig, workers):
    out = tmp_path / "runs"
    proc = loadgate_bg("run", "smoke", "--duration", "120", "--out", str(out), "--workers", workers)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("users" in line and "rps" in line for line in lines):  # the status line: measuring
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(0.1)
        time.sleep(6)
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == EXIT_INTERRUPTED, "".join(lines)[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=5)

    run = the_run(out)
    opened = rf.RunDir.open(run)
    assert opened.meta.interrupted and opened.meta.interrupt_reason == sig.name
    assert 4 < opened.meta.duration_s < 60
    summary = opened.summary()
    assert not summary.validity.valid
    assert any("interrupted" in reason for reason in summary.validity.reasons)
    assert summary.total.count > 0 and (run / "locust/stats.csv").is_file()
    assert len(opened.sut()) >= 2 and opened.timeline()
