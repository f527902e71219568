"""Intervals persisted as the run goes: what a killed writer leaves is readable, and says it is
incomplete."""

from __future__ import annotations

from loadgate import runformat as rf
from loadtests.recorder import Collector, Recorder

T0 = 1_800_000_000.0


def _collector(*starts: float) -> Collector:
    rec = Recorder()
    for t in starts:
        rec.record("GET /tasks", start=t, latency_us=1000, failed=False)
    collector = Collector()
    collector.absorb(rec.drain())
    return collector


def test_only_closed_intervals_are_taken_and_each_once():
    collector = _collector(T0 + 1, T0 + 6, T0 + 11)
    raw, corrected = collector.take_closed(before=T0 + 10)
    assert [iv.start for iv in raw] == [T0, T0 + 5] and len(corrected) == 2
    assert collector.take_closed(before=T0 + 10) == ([], [])
    assert [iv.start for iv in collector.take_closed(before=T0 + 15)[0]] == [T0 + 10]


def test_an_appended_log_reads_back_after_each_append(tmp_path):
    collector = _collector(T0 + 1, T0 + 6)
    log = rf.HlogAppender(tmp_path / "raw.hlog", T0)
    log.append(collector.take_closed(before=T0 + 5)[0])
    assert [iv.start for iv in rf.read_hlog(tmp_path / "raw.hlog")] == [T0]
    log.append(collector.take_closed(before=T0 + 10)[0])
    assert [iv.histogram.get_total_count() for iv in rf.read_hlog(tmp_path / "raw.hlog")] == [1, 1]


def test_a_run_whose_writer_was_killed_is_incomplete_up_to_its_last_persisted_interval():
    meta = rf.Meta(run_id="r", scenario_name="s", created_at=T0, started_at=T0, planned_duration_s=60,
                   persisted_until=T0 + 20)
    assert not meta.complete and meta.duration_s == 20
    assert any(r.startswith("incomplete") and "20s of 60s" in r for r in meta.invalid_reasons())


def test_a_finished_run_names_only_the_problems_it_recorded():
    meta = rf.Meta(run_id="r", scenario_name="s", created_at=T0, started_at=T0, ended_at=T0 + 60,
                   problems=["worker w1 lost at 20s of 60s (missed its heartbeats): its users stopped"])
    assert meta.complete and meta.invalid_reasons() == meta.problems
