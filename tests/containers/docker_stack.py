"""Helpers of the container tests: docker and docker compose as subprocesses, the images' tags, one
compose project (docker-compose.yml with the local stand-ins of tests/containers/compose.local.yml)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from loadgate.paths import ROOT

DOCKER = "/usr/bin/docker"
HERE = Path(__file__).parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
COMPOSE_FILES = (ROOT / "docker-compose.yml", HERE / "compose.local.yml")


def docker(*args: str, check: bool = True, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """``docker ARGS`` with its output captured as text; a failure shows the command and stderr."""
    proc = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and proc.returncode != 0:
        pytest.fail(f"docker {' '.join(args)}: exit {proc.returncode}\n{proc.stderr[-3000:]}", pytrace=False)
    return proc


def inspect(kind: str, name: str) -> dict:
    return json.loads(docker(kind, "inspect", name).stdout)[0]


@dataclass(frozen=True)
class Images:
    api: str
    harness: str
    redis: str
    ferretdb: str
    python_base: str


@dataclass
class Stack:
    """One compose project: docker-compose.yml with the local stand-ins, its own name and ports."""

    project: str
    env: dict[str, str]
    scenarios: Path

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        files = [a for f in COMPOSE_FILES for a in ("-f", str(f))]
        return docker("compose", *files, "-p", self.project, *args, check=check, timeout=timeout,
                      env=self.env, cwd=ROOT)

    def container(self, service: str, all_: bool = False) -> str:
        ids = self.compose("ps", *(["-a"] if all_ else []), "-q", service).stdout.split()
        assert ids, f"{self.project}: no container for {service}"
        return ids[0]

    def project_containers(self) -> list[str]:
        label = f"label=com.docker.compose.project={self.project}"
        return docker("ps", "-a", "-q", "--filter", label).stdout.split()

    def copy_runs(self, dest: Path) -> list[Path]:
        """The run directories in the master's `runs` volume, copied to dest."""
        docker("cp", f"{self.container('master', all_=True)}:/runs/.", str(dest))
        return sorted(p for p in dest.iterdir() if (p / "meta.json").is_file())


def scenario_dir(tmp: Path) -> Path:
    """The shipped smoke scenario and SLO, plus `nogo`: the same load against an SLO no API meets."""
    shutil.copytree(ROOT / "scenarios", tmp, dirs_exist_ok=True)
    # Judged by the stand-ins' SLO, the one the cluster test uses too (it lives in that overlay, where
    # kustomize can read it): FerretDB is no capacity reference.
    shutil.copy(ROOT / "tests" / "cluster" / "overlay" / "stand_in_slo.yaml", tmp / "slo" / "smoke.yaml")
    smoke = (tmp / "smoke.yaml").read_text()
    nogo = smoke.replace("name: smoke", "name: nogo").replace("slo/smoke.yaml", "slo/nogo.yaml")
    (tmp / "nogo.yaml").write_text(nogo.replace("duration: 25s", "duration: 15s"))
    (tmp / "slo/nogo.yaml").write_text(
        "description: no stack on two cores serves a million requests a second; this SLO must fail.\n"
        "endpoints:\n  Total:\n    rps: {fail: \">= 1000000\"}\n")
    return tmp


