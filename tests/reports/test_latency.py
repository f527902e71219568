"""Interval logs read into a sparse matrix give exactly what hdrh gives, and merge by adding."""

from __future__ import annotations

import numpy as np
import pytest

from loadgate import runformat as rf
from reports.latency import LatencyLog, counts_of, summary_figures, to_histogram, values_at
from reports.summary import percentiles
from testsupport.synthetic import START, histogram_of, write_samples_run


def merged_by_adding(intervals: list[rf.IntervalHistogram]) -> dict[str, rf.HdrHistogram]:
    """The reference: hdrh's own ``add`` over every interval, per endpoint and ``Total``."""
    groups: dict[str, list[rf.HdrHistogram]] = {}
    for iv in intervals:
        groups.setdefault(iv.endpoint, []).append(iv.histogram)
    merged = {name: rf.merge(hists) for name, hists in groups.items()}
    merged[rf.TOTAL] = rf.merge(merged.values())
    return merged


def test_percentiles_equal_hdrh_on_the_same_merged_histograms(tmp_path):
    rng = np.random.default_rng(11)
    samples = {
        "GET /tasks": rng.lognormal(8, 1, 5000).astype(int) + 1,
        "POST /tasks": rng.lognormal(10, 0.5, 800).astype(int) + 1,
    }
    run = rf.RunDir.open(write_samples_run(tmp_path, "r", samples, intervals=7))
    ours = LatencyLog.load(run).histograms()
    reference = merged_by_adding(run.intervals())
    assert set(ours) == set(reference) == {"GET /tasks", "POST /tasks", rf.TOTAL}
    for name, hist in reference.items():
        assert percentiles(ours[name]) == percentiles(hist)
        qs = [0.1, 25, 50, 90, 99, 99.9, 99.99, 100]
        expected = [hist.get_value_at_percentile(q) for q in qs]
        assert values_at(counts_of(ours[name]), qs)[0].tolist() == expected


def test_summary_figures_are_hdrhs_own_percentiles_max_and_mean():
    rng = np.random.default_rng(3)
    for _ in range(20):
        hist = histogram_of(rng.lognormal(rng.uniform(3, 14), rng.uniform(0.1, 2), rng.integers(1, 3000)))
        qs = [50, 90, 95, 99, 99.9]
        values, max_us, mean_us = summary_figures(hist, qs)
        expected = hist.get_percentile_to_value_dict(qs)
        assert values == [expected[q] for q in qs]
        assert (max_us, mean_us) == (hist.get_max_value(), hist.get_mean_value())


def test_each_interval_merges_endpoints_by_adding_never_by_averaging(tmp_path):
    # One interval: 90 requests at 1 ms on one endpoint, 10 at 2 ms on another.
    run = rf.RunDir.open(
        write_samples_run(tmp_path, "r", {"GET /a": [1000] * 90, "GET /b": [2000] * 10}, intervals=1)
    )
    row = LatencyLog.load(run).over_time(percentiles=(50, 90, 95)).iloc[0]
    assert row["count"] == 100
    assert (row["p50"], row["p90"], row["p95"], row["max"]) == (1.0, 1.0, 2.0, 2.0)
    # (averaging the endpoints' p95s would say 1.5 ms)


def test_over_time_has_one_row_per_interval_with_its_own_percentiles(tmp_path):
    values = [1000] * 100 + [1500] * 100 + [2000] * 100
    run = rf.RunDir.open(write_samples_run(tmp_path, "r", {"GET /a": values}, intervals=3))
    frame = LatencyLog.load(run).over_time("GET /a", percentiles=(50,))
    assert frame.index.tolist() == [START, START + 5, START + 10]
    assert frame["p50"].tolist() == [1.0, 1.5, 2.0]
    assert frame["count"].tolist() == [100, 100, 100]


def test_windows_add_consecutive_intervals(tmp_path):
    values = [1000] * 100 + [2000] * 100 + [1000] * 100 + [2000] * 100
    run = rf.RunDir.open(write_samples_run(tmp_path, "r", {"GET /a": values}, intervals=4))
    frame = LatencyLog.load(run).windows("GET /a", 2, percentiles=(50, 95))
    assert frame["count"].tolist() == [200, 200]
    assert frame["p50"].tolist() == [1.0, 1.0]
    assert frame["p95"].tolist() == [2.0, 2.0]


def test_only_non_empty_buckets_are_kept(tmp_path):
    run = rf.RunDir.open(
        write_samples_run(tmp_path, "r", {"GET /a": [1000, 1000, 1500, 70_000]}, intervals=1)
    )
    log = LatencyLog.load(run)
    assert log.counts.nnz == 3  # three distinct buckets, not 23,552 counters


def test_a_histogram_of_other_precision_is_refused_with_its_line(tmp_path):
    run = rf.RunDir.open(write_samples_run(tmp_path, "r", {"GET /a": [1000] * 10}, intervals=1))
    other = rf.HdrHistogram(1, 1000, 2)
    other.record_value(5)
    log = run.path / rf.RAW_LOG
    log.write_text(log.read_text() + f"Tag=GET /b,0.000,5.000,0.005,{other.encode().decode()}\n")
    with pytest.raises(rf.RunFormatError, match=r"raw.hlog:\d+: histogram range/precision differs"):
        LatencyLog.load(run)


def test_histogram_of_puts_values_in_the_buckets_hdrh_would():
    values = np.array([1, 2047, 2048, 2049, 99_999, 100_000, 3_600_000_000])
    ours = histogram_of(values)
    reference = rf.new_histogram()
    for v in values:
        reference.record_value(int(v))
    assert np.array_equal(counts_of(ours), counts_of(reference))


def test_histograms_built_from_counts_equal_ones_recorded_through_hdrhs_public_api():
    """reports.latency reads and writes hdrh's counts array directly (for speed); an hdrh release
    that changes those internals must fail here, not skew a report."""
    rng = np.random.default_rng(5)
    public = rf.new_histogram()
    for value in rng.lognormal(9, 1.5, 4000).astype(int) + 1:
        public.record_value(int(value))
    built = to_histogram(counts_of(public))
    assert built.encode() == public.encode()
    for figure in ("get_min_value", "get_max_value", "get_total_count", "get_mean_value"):
        assert getattr(built, figure)() == getattr(public, figure)(), figure
    by_iterator = {it.value_iterated_to: it.count_at_value_iterated_to
                   for it in public.get_recorded_iterator()}
    counts = counts_of(public)
    assert {int(public.get_highest_equivalent_value(public.get_value_from_index(int(i)))): int(counts[i])
            for i in np.flatnonzero(counts)} == by_iterator
