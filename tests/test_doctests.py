"""Every ``>>>`` example in ``reports`` and ``loadgate.runformat`` runs, and shows what it shows.

Examples that need a run directory on disk are plain (prompt-less) examples; those with a prompt
are self-contained, so they are run here, from an empty folder, as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import loadgate
import loadgate.runformat
import reports

MODULES = sorted(
    info.name
    for package in (reports, loadgate.runformat)
    for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")
) + ["reports", "loadgate.runformat"]


def test_the_packages_have_examples_that_run():
    with_examples = [name for name in MODULES if _examples(name)]
    expected = {"reports.latency", "reports.usl", "loadgate.runformat.figures", "loadgate.runformat.counters"}
    assert expected <= set(with_examples)


def _examples(name: str) -> int:
    finder = doctest.DocTestFinder()
    return sum(len(t.examples) for t in finder.find(importlib.import_module(name)))


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_each_module_run_as_written(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that wrote files would write them here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
    assert not list(tmp_path.iterdir())


# Outside reports and the contract: the modules whose examples run without Locust's monkey-patching
# or a server (the rest of loadtests, loadgate and target_app show plain examples).
ELSEWHERE = ["loadtests.arrivals", "loadtests.backoff", "loadtests.interrupts", "loadtests.recorder",
             "loadtests.status", "target_app.events.model", "target_app.settings", "target_app.store.pool",
             "target_app.worker.handlers", "loadgate.balancer"]
RUN_BY_THEIR_OWN_TESTS = ["loadtests.live_export"]  # tests/live runs it after a real run


@pytest.mark.parametrize("name", ELSEWHERE)
def test_the_examples_elsewhere_run_as_written(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, result


def test_every_module_with_examples_has_them_run():
    root = Path(loadgate.__file__).resolve().parents[1]
    with_prompts = {
        ".".join(path.relative_to(root).with_suffix("").parts)
        for top in ("loadgate", "loadtests", "target_app") for path in (root / top).rglob("*.py")
        if ">>> " in path.read_text()
    }
    covered = set(MODULES) | set(ELSEWHERE) | set(RUN_BY_THEIR_OWN_TESTS)
    assert with_prompts - covered == set()
