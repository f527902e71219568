"""Every overlay rendered once per test run, from a copy of k8s/ whose scenario list is regenerated
from scenarios/ as it is now (so these tests do not depend on which scenario files exist)."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8s_manifests import render_tree

from loadgate import swarm

OVERLAYS = ("smoke", "1k", "10k", "100k")


@pytest.fixture(scope="session")
def tree(tmp_path_factory) -> Path:
    """Root of the rendering copy."""
    return render_tree(tmp_path_factory.mktemp("k8s-tree"))


@pytest.fixture(scope="session")
def rendered(tree) -> dict[str, list[dict]]:
    """Overlay name -> its objects, as `kubectl kustomize` renders them."""
    return {name: swarm.load_objects(swarm.kustomize(tree / "k8s/overlays" / name)) for name in OVERLAYS}


@pytest.fixture(params=OVERLAYS)
def overlay(request, rendered) -> tuple[str, list[dict]]:
    """One overlay's name and objects (each test runs once per overlay)."""
    return request.param, rendered[request.param]
