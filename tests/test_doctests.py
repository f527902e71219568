"""The ``>>>`` examples in docstrings run, so they stay true. Modules whose examples need a live
run show plain examples instead (no ``>>>``); this list names every module that keeps runnable ones."""

from __future__ import annotations

import doctest
import importlib

import pytest

RUNNABLE = [
    "loadgate.runformat.figures",
    "loadgate.runformat.schema",
    "loadtests.arrivals",
    "loadtests.interrupts",
    "loadtests.recorder",
    "loadtests.status",
    "target_app.settings",
]


@pytest.mark.parametrize("name", RUNNABLE)
def test_the_examples_of_a_module_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, result
