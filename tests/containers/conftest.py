"""Docker for the container tests: the images built once per test run by scripts/build-images.sh
(quick when their inputs are unchanged), and the compose stack brought up under a project name
of its own, on ports of its own, on 127.0.0.1.

Every test here is marked ``containers``: ``pytest -m containers`` runs them alone, ``-m "not
containers"`` leaves them out. A missing engine is a failure, never a skip: run scripts/setup.sh.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_stack import DOCKER, HERE, Images, Stack, scenario_dir

from loadgate.paths import ROOT, free_port


def pytest_configure(config):
    config.addinivalue_line("markers", "containers: builds images and runs containers in Docker")


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.containers)


@pytest.fixture(scope="session")
def images() -> Images:
    """Every image, built (or found up to date) by scripts/build-images.sh."""
    if not Path(DOCKER).exists():
        pytest.fail(f"{DOCKER}: missing (scripts/setup.sh installs docker.io)", pytrace=False)
    proc = subprocess.run([str(ROOT / "scripts/build-images.sh")], capture_output=True, text=True,
                          timeout=3000)
    if proc.returncode != 0:
        pytest.fail(f"scripts/build-images.sh: exit {proc.returncode}\n{proc.stderr[-3000:]}", pytrace=False)
    tags = proc.stdout.split()
    base = subprocess.run([str(ROOT / "scripts/setup-docker.sh"), "--base-tag", "python"],
                          capture_output=True, text=True, check=True).stdout.strip()
    by_name = {t.split(":")[0]: t for t in tags}
    return Images(api=by_name["loadgate-api"], harness=by_name["loadgate-harness"],
                  redis=by_name["loadgate-test-redis"], ferretdb=by_name["loadgate-test-ferretdb"],
                  python_base=base)


@pytest.fixture(scope="module")
def stack(images, tmp_path_factory) -> Iterator[Stack]:
    """A compose project of its own (removed with its volumes at the end)."""
    env = {**os.environ,
           "JWT_SECRET": secrets.token_hex(32), "SEED_TOKEN": secrets.token_hex(16),
           "MONGO_PASSWORD": secrets.token_hex(16), "REDIS_PASSWORD": secrets.token_hex(16),
           "SCENARIOS_DIR": str(scenario_dir(tmp_path_factory.mktemp("scenarios")))}
    for name in ("MONGO_PORT", "REDIS_PORT", "API_PORT", "MASTER_PORT", "WEB_PORT"):
        env[name] = str(free_port())
    s = Stack(f"loadgate-test-{secrets.token_hex(3)}", env, Path(env["SCENARIOS_DIR"]))
    try:
        yield s
    finally:
        s.compose("down", "--volumes", "--remove-orphans", check=False)
