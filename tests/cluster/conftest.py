"""The single-node cluster of scripts/setup-cluster.sh, up for tests/cluster, down after it.

Marked ``cluster``: run these alone with ``pytest -m cluster tests/cluster``. They never skip: a
cluster that cannot start fails the session's first test with the script's own message.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from loadgate.paths import ROOT

SCRIPT = ROOT / "scripts" / "setup-cluster.sh"


def pytest_configure(config):
    config.addinivalue_line("markers", "cluster: needs the single-node cluster of scripts/setup-cluster.sh")


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="package")  # down before the rest of the suite, which it would only slow
def kubeconfig() -> Path:
    """The admin kubeconfig of a freshly started cluster; the cluster goes down after the session.

    LOADGATE_CLUSTER_KUBECONFIG=path uses a cluster already up (scripts/setup-cluster.sh up) and
    leaves it running, to look at after a failure.
    """
    given = os.environ.get("LOADGATE_CLUSTER_KUBECONFIG")
    if given:
        os.environ["KUBECONFIG"] = given
        yield Path(given)
        return
    up = subprocess.run([str(SCRIPT), "up"], capture_output=True, text=True, timeout=3 * 3600)
    if up.returncode != 0:
        subprocess.run([str(SCRIPT), "down"], capture_output=True, timeout=600)
        pytest.fail(f"scripts/setup-cluster.sh up failed:\n{up.stderr[-3000:]}", pytrace=False)
    path = Path(up.stdout.strip().splitlines()[-1])
    old = os.environ.get("KUBECONFIG")
    os.environ["KUBECONFIG"] = str(path)  # loadgate swarm's kubectl calls inherit it
    yield path
    if old is None:
        os.environ.pop("KUBECONFIG", None)
    else:
        os.environ["KUBECONFIG"] = old
    subprocess.run([str(SCRIPT), "down"], capture_output=True, timeout=600)
