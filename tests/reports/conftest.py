"""Fixtures of the reports tests: run directories whose figures are easy to compute by hand."""

from __future__ import annotations

import pytest
from report_helpers import sut_counters

from testsupport.synthetic import START, write_samples_run


@pytest.fixture
def exact_run(tmp_path):
    """A run whose figures are easy by hand: GET /tasks 200 requests, 190 at 1 ms and 10 at 2 ms
    (exact in HDR: below 2,048 µs every µs has its own bucket); 3 failures; 60 s; cache 180 hits
    of 200 lookups."""
    samples = {"GET /tasks": [1000] * 190 + [2000] * 10}
    sut = sut_counters(START, hits=[0, 90, 180], misses=[0, 10, 20])
    return write_samples_run(tmp_path, "exact", samples, failures={"GET /tasks": 3}, sut=sut)
