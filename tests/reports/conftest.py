"""Fixtures of the reports tests: run directories whose figures are easy to compute by hand."""

from __future__ import annotations

import pytest
from report_helpers import TWO_ENDPOINTS, sut_counters

from reports import charts
from testsupport.synthetic import START, write_run, write_samples_run


@pytest.fixture
def exact_run(tmp_path):
    """A run whose figures are easy by hand: GET /tasks 200 requests, 190 at 1 ms and 10 at 2 ms
    (exact in HDR: below 2,048 µs every µs has its own bucket); 3 failures; 60 s; cache 180 hits
    of 200 lookups."""
    samples = {"GET /tasks": [1000] * 190 + [2000] * 10}
    sut = sut_counters(START, hits=[0, 90, 180], misses=[0, 10, 20])
    return write_samples_run(tmp_path, "exact", samples, failures={"GET /tasks": 3}, sut=sut)


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the charts draw, in order, kept as they are turned into PNG."""
    figures = []
    to_png = charts._png

    def keep(fig):
        figures.append(fig)
        return to_png(fig)

    monkeypatch.setattr(charts, "_png", keep)
    return figures


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Two minutes of :data:`report_helpers.TWO_ENDPOINTS`, raw and corrected."""
    return write_run(tmp_path_factory.mktemp("runs"), "r", TWO_ENDPOINTS, duration_s=120, seed=7)
