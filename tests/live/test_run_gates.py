"""`loadgate run SCENARIO` alone ends in the verdict when the scenario names an SLO, as `loadgate master`
does; `--no-gate` only runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from loadgate.errors import EXIT_USAGE, VERDICT_EXIT_CODES
from loadgate.paths import ROOT
from loadtests.live_export import URL_ENV

GATE_FILES = ("report.html", "report.md", "verdict.json", "junit.xml")


def loadgate(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL", URL_ENV)}
    return subprocess.run([sys.executable, "-m", "loadgate.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def the_run(out: Path) -> Path:
    [run_dir] = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return run_dir


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("gated")
    proc = loadgate("run", "smoke", "--duration", "12s", "--out", str(out))
    return proc, the_run(out)


def test_the_exit_code_is_the_verdict_of_the_scenarios_slo(gated):
    proc, run_dir = gated
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert proc.returncode == VERDICT_EXIT_CODES[verdict["verdict"]], proc.stdout[-3000:] + proc.stderr[-999:]
    assert Path(verdict["slo_file"]).resolve() == (ROOT / "scenarios/slo/smoke.yaml").resolve()
    assert verdict["verdict"] in proc.stdout


def test_a_gated_run_writes_the_report_the_verdict_and_junit_into_its_directory(gated):
    proc, run_dir = gated
    for name in GATE_FILES:
        assert (run_dir / name).is_file(), (name, proc.stdout[-2000:] + proc.stderr[-2000:])
    assert ET.parse(run_dir / "junit.xml").getroot().tag in ("testsuites", "testsuite")
    assert "GET /tasks" in (run_dir / "report.md").read_text()


def test_no_gate_only_runs(tmp_path):
    proc = loadgate("run", "smoke", "--no-gate", "--duration", "6s", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    run_dir = the_run(tmp_path)
    assert [name for name in GATE_FILES if (run_dir / name).exists()] == []


def test_a_scenario_without_an_slo_only_runs(tmp_path):
    scenario = yaml.safe_load((ROOT / "scenarios/smoke.yaml").read_text())
    del scenario["slo"]
    (tmp_path / "noslo.yaml").write_text(yaml.safe_dump({**scenario, "name": "noslo", "duration": "6s"}))
    proc = loadgate("run", str(tmp_path / "noslo.yaml"), "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not (the_run(tmp_path / "runs") / "verdict.json").exists()


def test_a_missing_slo_file_is_bad_input_before_the_run(tmp_path):
    proc = loadgate("run", "smoke", "--slo", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "runs"))
    assert proc.returncode == EXIT_USAGE
    missing = tmp_path / "nope.yaml"
    assert proc.stderr.strip().splitlines() == [f"loadgate run: --slo: {missing} does not exist"]
    assert not (tmp_path / "runs").exists()
