"""The harness works from a wheel, outside a checkout: scenarios and notebooks ship as package data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from loadgate.paths import ROOT

pytestmark = pytest.mark.slow


def _code_packages() -> set[str]:
    found = set()
    for top in ("loadgate", "loadtests", "reports", "target_app"):
        for init in (ROOT / top).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    return found


def test_every_code_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    assert _code_packages() - listed == set()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    """The wheel built from this tree, unpacked into its own folder that comes first on sys.path."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the tracked files: what a clean checkout ships, and no build/ left here.
    src = tmp / "src"
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True)
    for name in tracked.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp / "dist"), str(src)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("loadgate-*.whl"))
    site = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("MONGODB_URL", None), env.pop("REDIS_URL", None)
    return env


def _loadgate(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loadgate.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_the_wheel_is_what_runs(installed, tmp_path):
    done = subprocess.run([sys.executable, "-c", "import loadgate, loadgate.paths as p; "
                           "print(loadgate.__file__); print(p.scenarios_dir())"], env=installed, cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    module, scenarios = done.stdout.split()
    site = installed["PYTHONPATH"]
    assert module.startswith(site) and scenarios.startswith(site)
    assert (Path(scenarios) / "smoke.yaml").is_file() and (Path(scenarios) / "slo" / "smoke.yaml").is_file()


def test_run_smoke_and_the_notebook_from_the_wheel(installed, tmp_path):
    run = _loadgate(["run", "smoke", "--no-gate", "--duration", "8s", "--out", "runs"], installed, tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["scenario_file"].startswith(installed["PYTHONPATH"])
    assert meta["slo_file"].startswith(installed["PYTHONPATH"])
    gate = _loadgate(["gate", str(run_dir)], installed, tmp_path)
    assert gate.returncode in (0, 3, 4), gate.stdout + gate.stderr  # judged against the shipped SLO
    assert (run_dir / "verdict.json").is_file()
    nb = _loadgate(["notebook", str(run_dir), "--out", "capacity.html"], installed, tmp_path)
    assert nb.returncode == 0, nb.stderr[-2000:]
    html = (tmp_path / "capacity.html").read_text()
    assert "Capacity report" in html and run_dir.name in html and html.count("data:image/png;base64,") >= 3


def test_the_report_charting_script_ships_in_the_wheel_with_its_licences(installed, tmp_path):
    check = ("import hashlib, reports, reports.echarts_script as e; from pathlib import Path; "
             "d = Path(reports.__file__).parent / e.VENDOR_DIR; print(d); "
             "print(hashlib.sha256((d / e.ECHARTS_FILE).read_bytes()).hexdigest() == e.ECHARTS_SHA256); "
             "print(all((d / n).is_file() for n in ('LICENSE', 'NOTICE', 'licenses/LICENSE-d3')))")
    done = subprocess.run([sys.executable, "-c", check], env=installed, cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    vendored, pinned, licences = done.stdout.split()
    assert vendored.startswith(installed["PYTHONPATH"]) and pinned == "True" and licences == "True"
    charts_js = Path(vendored).parents[1] / "templates" / "charts.js"
    assert charts_js.is_file()
