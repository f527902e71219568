"""The run directory round-trips: what the writer records, the reader and summary get back exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from loadgate import runformat as rf
from reports.summary import build_summary, write_summary


def _meta(run_id: str = "r1", **kw) -> rf.Meta:
    base = dict(run_id=run_id, scenario_name="synthetic", created_at=1000.0, started_at=1000.0,
                ended_at=1060.0, planned_duration_s=60.0)
    return rf.Meta(**{**base, **kw})


def _write_run(tmp_path, samples_by_endpoint, **meta_kw):
    """A run of 60 s with the given µs samples spread over 12 intervals per endpoint."""
    with rf.RunWriter(tmp_path, "r1") as run:
        intervals = []
        for endpoint, samples in samples_by_endpoint.items():
            for i, chunk in enumerate(np.array_split(np.asarray(samples), 12)):
                h = rf.new_histogram()
                for v in chunk:
                    h.record_value(int(v))
                intervals.append(rf.IntervalHistogram(endpoint, 1000.0 + 5 * i, 5.0, h))
        rf.write_hlog(run.file(rf.RAW_LOG), intervals, base_time=1000.0)
        run.append(rf.TIMELINE, rf.TimelineRow(t=1000.0, users=10, requests={}, failures={"GET /tasks": 3}))
        run.write_meta(_meta(**meta_kw))
    return tmp_path / "r1"


def test_percentiles_from_the_log_match_the_exact_values_within_hdr_precision(tmp_path):
    rng = np.random.default_rng(7)
    samples = rng.lognormal(mean=8, sigma=1, size=20_000).astype(int) + 1
    path = _write_run(tmp_path, {"GET /tasks": samples})
    summary = build_summary(rf.RunDir.open(path))
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        exact = np.percentile(samples, q, method="inverted_cdf") / 1000.0
        assert getattr(summary.endpoints["GET /tasks"], name) == pytest.approx(exact, rel=1e-3)
    assert summary.total.count == 20_000
    assert summary.endpoints["GET /tasks"].failures == 3
    assert summary.endpoints["GET /tasks"].rps == pytest.approx(20_000 / 60)


def test_total_is_the_merge_of_all_endpoints(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [1000] * 990, "POST /tasks": [50_000] * 10})
    summary = build_summary(rf.RunDir.open(path))
    assert summary.total.count == 1000
    assert summary.total.p99 == pytest.approx(1.0, rel=1e-3)
    assert summary.total.max == pytest.approx(50.0, rel=1e-3)


def test_the_run_directory_appears_only_under_its_final_name_when_finished(tmp_path):
    writer = rf.RunWriter(tmp_path, "r2")
    assert not (tmp_path / "r2").exists()
    writer.write_meta(_meta("r2"))
    final = writer.finish()
    assert final == tmp_path / "r2" and (final / rf.META).exists()
    assert not list(tmp_path.glob(".*partial"))


def test_an_interrupted_run_is_invalid_with_its_reason(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [1000] * 100}, interrupted=True, interrupt_reason="SIGINT")
    summary = write_summary(path)
    assert not summary.validity.valid
    assert "interrupted" in summary.validity.reasons[0] and "SIGINT" in summary.validity.reasons[0]
    assert json.loads((path / rf.SUMMARY).read_text())["validity"]["valid"] is False


def test_a_saturated_generator_makes_the_run_invalid(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [1000] * 100})
    with open(path / rf.GENERATOR, "w") as f:
        for i in range(6):
            f.write(rf.GeneratorSample(t=1000 + 5 * i, process="worker-1", cpu_percent=97,
                                       loop_lag_ms=1).model_dump_json() + "\n")
    summary = build_summary(rf.RunDir.open(path))
    assert not summary.validity.valid
    assert "worker-1 above 90% CPU for 25s" in summary.validity.reasons[0]


def test_cache_hit_ratio_comes_from_sut_counter_deltas(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [1000] * 100})
    rows = [rf.SutSample(t=1000, cache={"GET /tasks": {"hit": 100, "miss": 50}}),
            rf.SutSample(t=1030, cache={"GET /tasks": {"hit": 190, "miss": 60}}),
            rf.SutSample(t=1060, cache={"GET /tasks": {"hit": 280, "miss": 70}})]
    (path / rf.SUT).write_text("".join(r.model_dump_json() + "\n" for r in rows))
    summary = build_summary(rf.RunDir.open(path))
    assert summary.endpoints["GET /tasks"].cache_hit_ratio == pytest.approx(180 / 200)
    assert summary.total.cache_hit_ratio == pytest.approx(0.9)


def test_an_unknown_format_version_is_one_clear_error(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [1000]})
    meta = json.loads((path / rf.META).read_text())
    (path / rf.META).write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(rf.RunFormatError, match=r"meta.json: format_version 99 is not one"):
        rf.RunDir.open(path)


def test_a_corrupt_histogram_line_names_the_file_and_line(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [1000] * 10})
    log = path / rf.RAW_LOG
    log.write_text(log.read_text() + "Tag=GET /x,1.0,5.0,1.0,NOTBASE64!!\n")
    with pytest.raises(rf.RunFormatError, match=r"raw.hlog:\d+: corrupt interval histogram"):
        rf.RunDir.open(path).intervals()


def test_a_version_1_run_is_still_read_and_has_no_pool_wait_figures(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [1000] * 200}, format_version=1)
    run = rf.RunDir.open(path)
    assert run.meta.format_version == 1 and not (run.path / rf.POOL_LOG).exists()
    e = build_summary(run).endpoints["GET /tasks"]
    assert e.count == 200 and e.pool_wait is None and e.pool_wait_share is None


def test_pool_waits_are_summed_over_every_request_and_their_share_of_latency(tmp_path):
    path = _write_run(tmp_path, {"GET /tasks": [9_000] * 100})
    waits = rf.new_histogram()
    waits.record_value(1_000, 10)  # 10 of 100 requests waited 1 ms for a connection
    rf.write_hlog(path / rf.POOL_LOG, [rf.IntervalHistogram("GET /tasks", 1000.0, 5.0, waits)], 1000.0)
    e = build_summary(rf.RunDir.open(path)).endpoints["GET /tasks"]
    assert e.pool_wait.count == 100 and e.pool_wait.p50 == 0
    assert e.pool_wait.max == pytest.approx(1.0, rel=1e-3)
    assert e.pool_wait_share == pytest.approx(10 / (10 + 900), rel=1e-3)
