"""Recording and merging: what workers record, merged by adding, equals one histogram of it all."""

from __future__ import annotations

import random

import pytest

from loadgate.runformat import INTERVAL_S, interval_start, new_histogram, read_hlog
from loadtests.recorder import Collector, Recorder

T0 = 1_800_000_000.0  # an interval boundary


def _samples(n: int, seed: int = 1) -> list[tuple[str, float, int, bool]]:
    rng = random.Random(seed)
    endpoints = ["GET /tasks", "GET /tasks/{id}", "POST /tasks"]
    return [(rng.choice(endpoints), T0 + rng.uniform(0, 30), int(rng.lognormvariate(8, 1.2)) + 1,
             rng.random() < 0.02) for _ in range(n)]


def _same(a, b) -> bool:
    return a.get_total_count() == b.get_total_count() and all(
        a.get_count_at_index(i) == b.get_count_at_index(i) for i in range(a.counts_len))


def test_two_workers_merged_equal_one_histogram_of_all_samples():
    samples = _samples(20_000)
    workers = [Recorder(), Recorder()]
    collector = Collector()
    for i, (endpoint, start, us, failed) in enumerate(samples):
        workers[i % 2].record(endpoint, start, us, failed)
        if i % 3_000 == 0:  # ships at its own pace, several times, like report_to_master every 3 s
            collector.absorb(workers[i % 2].drain())
    for worker in workers:
        collector.absorb(worker.drain())

    merged = collector.per_endpoint()
    for endpoint in {s[0] for s in samples}:
        alone = new_histogram()
        for ep, _, us, _ in samples:
            if ep == endpoint:
                alone.record_value(us)
        assert _same(merged[endpoint], alone), endpoint
        for q in (50, 90, 95, 99, 99.9, 100):
            assert merged[endpoint].get_value_at_percentile(q) == alone.get_value_at_percentile(q)
    assert collector.totals() == (len(samples), sum(s[3] for s in samples))


def test_intervals_are_epoch_aligned_so_every_process_agrees():
    a, b = Recorder(), Recorder()
    a.record("GET /tasks", T0 + 4.9, 1000, False)
    b.record("GET /tasks", T0 + 5.1, 1000, False)
    collector = Collector()
    collector.absorb(a.drain())
    collector.absorb(b.drain())
    assert sorted(collector.per_interval()) == [T0, T0 + INTERVAL_S]
    assert [interval_start(T0 + 4.9), interval_start(T0 + 5.1)] == [T0, T0 + INTERVAL_S]
    assert collector.per_interval()[T0] == ({"GET /tasks": 1}, {})


def test_a_late_shipment_to_an_old_compacted_interval_is_still_added_exactly():
    collector = Collector(keep_live_s=0)
    rec = Recorder()
    rec.record("GET /tasks", T0 + 1, 1500, False)
    collector.absorb(rec.drain())
    collector.compact(now=T0 + 100)
    assert collector.raw[(T0, "GET /tasks")].hist is None  # kept encoded, not 190 KB of counts
    rec.record("GET /tasks", T0 + 2, 2500, True)
    collector.absorb(rec.drain())
    (interval,) = collector.intervals()
    assert interval.histogram.get_total_count() == 2
    assert interval.histogram.get_max_value() == pytest.approx(2500, rel=1e-3)
    assert collector.per_interval()[T0] == ({"GET /tasks": 2}, {"GET /tasks": 1})


def test_the_interval_log_is_written_from_encoded_histograms_and_reads_back_exactly(tmp_path):
    rec, collector = Recorder(), Collector(keep_live_s=0)
    for endpoint, start, us, failed in _samples(5_000):
        rec.record(endpoint, start, us, failed)
    collector.absorb(rec.drain())
    expected = {(iv.start, iv.endpoint): iv.histogram for iv in collector.intervals()}
    collector.compact(now=T0 + 1_000)  # every interval old: nothing decoded when writing
    collector.write_hlog(tmp_path / "raw.hlog", base_time=T0)
    assert all(cell.hist is None for cell in collector.raw.values())
    back = read_hlog(tmp_path / "raw.hlog")
    assert len(back) == len(expected)
    for iv in back:
        assert _same(iv.histogram, expected[(iv.start, iv.endpoint)])


def test_open_model_corrected_latency_runs_from_the_intended_start():
    rec = Recorder(open_model=True)
    rec.record("GET /", start=T0 + 1.0, latency_us=2_000, failed=False, intended=T0 + 0.5)
    collector = Collector()
    collector.absorb(rec.drain())
    raw, corrected = collector.per_endpoint()["GET /"], collector.per_endpoint(corrected=True)["GET /"]
    assert raw.get_max_value() == pytest.approx(2_000, rel=1e-3)
    assert corrected.get_max_value() == pytest.approx(502_000, rel=1e-3)
    rec.record("POST /auth/login", start=T0 + 2.0, latency_us=30_000, failed=False)  # no due time
    collector.absorb(rec.drain())
    login = collector.per_endpoint(corrected=True)["POST /auth/login"]
    assert login.get_max_value() == pytest.approx(30_000, rel=1e-3)


def test_closed_model_corrected_histogram_back_fills_the_requests_a_stall_swallowed():
    rec = Recorder(expected_interval_us=100_000)  # a user sends every 100 ms
    for i in range(99):
        rec.record("GET /", T0 + i * 0.1, 1_000, False)
    rec.record("GET /", T0 + 10, 1_000_000, False)  # one request stalled for 1 s
    collector = Collector()
    collector.absorb(rec.drain())
    raw, corrected = collector.per_endpoint()["GET /"], collector.per_endpoint(corrected=True)["GET /"]
    assert raw.get_total_count() == 100 and raw.get_value_at_percentile(99) < 2_000  # the stall hides
    assert corrected.get_total_count() == 109  # 900, 800, ... 100 ms added: those requests waited
    assert corrected.get_value_at_percentile(95) >= 500_000
    alone = new_histogram()  # exactly what HdrHistogram's own correction gives for the same samples
    for _ in range(99):
        alone.record_corrected_value(1_000, 100_000)
    alone.record_corrected_value(1_000_000, 100_000)
    assert _same(corrected, alone)
