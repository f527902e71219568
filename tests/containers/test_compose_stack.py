"""docker-compose.yml brought up for real (Compose v2), hardened as the Kubernetes manifests
declare it, with FerretDB and Debian's Redis standing in for mongo and redis: the smoke scenario
runs through a Locust master and two workers in the harness image against the API image, the
master's exit code is the gate's verdict, and the run directory copied out reports the same
numbers. Then `down` leaves nothing, and a second `up` runs a NO-GO scenario to exit code 1.

The tests of this module share one project and run in file order (each stage a fixture)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from docker_stack import Stack, docker, inspect

from loadgate.paths import ROOT
from testsupport.verdicts import expected_or_saturated

BACKENDS = ("mongo", "redis", "api")
SERVICES = (*BACKENDS, "master", "worker")
EXIT_GO = 0


@dataclass
class Run:
    exit_code: int
    master_log: str
    run_dir: Path


@pytest.fixture(scope="module")
def backends(stack: Stack) -> Stack:
    """MongoDB-protocol server, Redis and the API, up and healthy."""
    stack.compose("up", "--no-build", "--detach", "--wait", *BACKENDS, timeout=300)
    return stack


def run_scenario(stack: Stack, scenario: str, out: Path) -> Run:
    """`up --detach`, then `wait master`: its exit code; the run directory copied to out."""
    stack.env["SCENARIO"] = scenario
    stack.compose("up", "--no-build", "--detach", timeout=300)
    waited = stack.compose("wait", "master", check=False, timeout=600)
    log = stack.compose("logs", "--no-color", "master", check=False).stdout
    out.mkdir(parents=True, exist_ok=True)
    runs = stack.copy_runs(out)
    assert len(runs) == 1, f"{scenario}: run directories {runs}\n{log[-3000:]}"
    return Run(waited.returncode, log, runs[0])


@pytest.fixture(scope="module")
def go_run(backends: Stack, tmp_path_factory) -> Run:
    return run_scenario(backends, "smoke.yaml", tmp_path_factory.mktemp("go-run"))


@pytest.fixture(scope="module")
def after_down(go_run: Run, stack: Stack) -> list[str]:
    """What is left of the project after `down --volumes`: containers and volumes."""
    stack.compose("down", "--volumes", timeout=300)
    label = f"label=com.docker.compose.project={stack.project}"
    volumes = docker("volume", "ls", "-q", "--filter", label).stdout.split()
    return stack.project_containers() + volumes


@pytest.fixture(scope="module")
def nogo_run(after_down, stack: Stack, tmp_path_factory) -> Run:
    return run_scenario(stack, "nogo.yaml", tmp_path_factory.mktemp("nogo-run"))


def loadgate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv/bin/loadgate"), *args], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("service", BACKENDS)
def test_every_backend_runs_hardened_as_the_manifests_declare(backends, service):
    host = inspect("container", backends.container(service))["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["NetworkMode"] == "host"
    uid = docker("exec", backends.container(service), "id", "-u").stdout.strip()
    assert uid != "0", f"{service} runs as root"


@pytest.mark.parametrize("service, writable", [("api", "/run/prometheus"), ("mongo", "/data/db"),
                                               ("redis", "/tmp")])
def test_a_container_writes_in_its_tmpfs_and_volumes_and_nowhere_else(backends, service, writable):
    container = backends.container(service)
    docker("exec", container, "touch", f"{writable}/probe")
    for path in ("/probe", "/etc/probe", "/opt/probe"):
        refused = docker("exec", container, "touch", path, check=False)
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr, (service, path)


def test_the_api_runs_on_the_mongodb_protocol_server_and_redis(backends):
    health = docker("exec", backends.container("api"), "python3", "-c",
                    "import urllib.request, os; print(urllib.request.urlopen("
                    f"'http://127.0.0.1:{backends.env['API_PORT']}/health').read().decode())").stdout
    assert json.loads(health) == {"status": "ok", "store": "mongodb", "cache": "redis", "queue": "memory"}


def test_the_harness_image_runs_a_shipped_scenario_by_name_without_mounts(backends, images):
    proc = docker("run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                  "--security-opt", "no-new-privileges", "-e", f"SEED_TOKEN={backends.env['SEED_TOKEN']}",
                  images.harness, "run", "smoke", "--no-gate", "--target", f"http://127.0.0.1:{backends.env['API_PORT']}",
                  "--duration", "5s", "--users", "2", "--out", "/tmp/runs", check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert re.search(r"run directory: /tmp/runs/\S+-smoke$", proc.stdout, re.M), proc.stdout[-2000:]


def test_smoke_through_the_stack_ends_go(go_run):
    verdict = json.loads((go_run.run_dir / "verdict.json").read_text())
    assert expected_or_saturated(verdict, "GO"), (verdict, go_run.master_log[-4000:])
    assert go_run.exit_code == verdict["exit_code"]


def test_the_master_exit_code_is_the_gate_verdict_of_the_run_it_wrote(go_run, stack):
    verdict = json.loads((go_run.run_dir / "verdict.json").read_text())
    assert verdict["exit_code"] == go_run.exit_code
    regated = loadgate("gate", str(go_run.run_dir), "--slo", str(stack.scenarios / "slo/smoke.yaml"))
    assert regated.returncode == go_run.exit_code, regated.stdout[-3000:]


def test_the_copied_run_directory_reports_the_runs_numbers(go_run, stack, tmp_path):
    built = loadgate("report", str(go_run.run_dir), "--slo", str(stack.scenarios / "slo/smoke.yaml"),
                     "--out", str(tmp_path))
    assert built.returncode == 0, built.stderr
    total = json.loads((go_run.run_dir / "summary.json").read_text())["total"]
    lines = (tmp_path / "report.md").read_text().splitlines()
    row = next(line for line in lines if line.startswith("| Total |"))
    count = int(re.sub(r"\D", "", row.split("|")[2]))
    assert count == total["count"] > 0
    meta = json.loads((go_run.run_dir / "meta.json").read_text())
    assert meta["interrupted"] is False


def test_down_leaves_no_container_and_no_volume(after_down):
    assert after_down == []


def test_a_second_up_runs_a_nogo_scenario_to_its_exit_code(nogo_run):
    verdict = json.loads((nogo_run.run_dir / "verdict.json").read_text())
    assert expected_or_saturated(verdict, "NO-GO"), (verdict, nogo_run.master_log[-4000:])
    assert nogo_run.exit_code == verdict["exit_code"] != EXIT_GO
