"""The async backlog of a run: figures computed by hand from ``sut.jsonl``, the run-level SLO
criteria on them, and what the report shows."""

from __future__ import annotations

import re

import pytest
from report_helpers import loadgate, write_slo

from loadgate import runformat as rf
from reports.gate import gate
from reports.report import build_report
from reports.slo import SloError, load_slo
from reports.summary import build_summary
from testsupport.synthetic import START, write_samples_run

END = START + 60.0  # write_samples_run: 12 intervals of 5 s


def _sample(t: float, email=(0, 0.0), analytics=(0, 0.0), dead=(0, 0.0), outbox=0.0) -> rf.SutSample:
    queues = {"taskapi.email": email, "taskapi.analytics": analytics, "taskapi.email.dead": dead}
    return rf.SutSample(t=t, queues={q: {"depth": d, "age_s": a} for q, (d, a) in queues.items()},
                        events={"published": t - START, "confirmed": t - START, "outbox_depth": outbox})


BACKLOG = [
    _sample(START),
    _sample(START + 20, email=(5, 2.0), analytics=(3, 1.0), dead=(1, 100.0), outbox=2),
    _sample(END, email=(4, 8.0), dead=(1, 140.0)),
    _sample(END + 2, email=(1, 3.0), dead=(1, 142.0)),
]
DRAINED = _sample(END + 4.5, dead=(1, 144.5))


def _run(tmp_path, samples, drain: rf.Drain | None, name="r"):
    return write_samples_run(tmp_path, name, {"GET /tasks": [1000] * 200}, sut=samples, drain=drain)


def test_lag_depth_and_drain_are_the_samples_figures_dead_letters_apart(tmp_path):
    run = _run(tmp_path, [*BACKLOG, DRAINED], rf.Drain(timeout_s=30, ended_at=END + 4.5, drained=True))
    summary = build_summary(rf.RunDir.open(run))
    # lag: 8 s in taskapi.email (the dead-letter queue's 144.5 s is no worker's lag);
    # depth: 5 + 3 ready plus 2 in the outbox at +20 s; drained at the sample 4.5 s after the stop
    assert summary.run_figures == {"queue_lag_max": 8.0, "queue_depth_max": 10.0, "drain_seconds": 4.5}
    assert summary.queues["taskapi.email.dead"] == rf.QueueSummary(depth_max=1, age_max_s=144.5, depth_last=1)
    assert summary.queues["taskapi.email"].depth_max == 5 and summary.drain_note is None


def test_a_backlog_left_when_the_wait_ran_out_has_no_drain_time_and_says_why(tmp_path):
    run = _run(tmp_path, BACKLOG, rf.Drain(timeout_s=2, ended_at=END + 2, drained=False))
    summary = build_summary(rf.RunDir.open(run))
    assert summary.run_figures["drain_seconds"] is None
    assert summary.drain_note == "the backlog did not drain within 2 s of the load's stop"


def test_a_run_whose_api_reported_no_queues_measured_none_of_the_figures(tmp_path):
    summary = build_summary(rf.RunDir.open(_run(tmp_path, [rf.SutSample(t=START)], None)))
    assert summary.run_figures == {"queue_lag_max": None, "queue_depth_max": None, "drain_seconds": None}
    assert summary.queues == {}


def test_run_criteria_are_judged_into_the_gate_rows_beside_the_endpoints(tmp_path):
    run = _run(tmp_path, [*BACKLOG, DRAINED], rf.Drain(timeout_s=30, ended_at=END + 4.5, drained=True))
    slo = write_slo(tmp_path / "slo.yaml", """
        endpoints:
          Total: {p95: 50}
        run:
          queue_lag_max: {fail: 10, warn: 5}
          drain_seconds: "<= 4s"
        """)
    result = gate(run, slo)
    rows = {r.name: r for r in result.criteria}
    assert (rows["run queue_lag_max"].endpoint, rows["run queue_lag_max"].measured) == ("run", 8.0)
    assert rows["run queue_lag_max"].result == "warn" and rows["run queue_lag_max"].unit == "s"
    assert rows["run drain_seconds"].result == "fail" and rows["run drain_seconds"].limit == "fail <= 4 s"
    assert rows["Total p95"].result == "pass"
    assert (result.verdict, result.exit_code) == ("NO-GO", 1)


def test_a_drain_limit_within_the_runs_wait_fails_when_the_backlog_outlasted_the_wait(tmp_path):
    run = _run(tmp_path, BACKLOG, rf.Drain(timeout_s=2, ended_at=END + 2, drained=False))
    [row] = gate(run, write_slo(tmp_path / "slo.yaml", "run:\n  drain_seconds: 1.5\n")).criteria
    assert (row.result, row.measured) == ("fail", None)
    assert row.note == "still draining 2 s after the load's stop, when the run stopped waiting"


def test_a_drain_limit_beyond_the_runs_wait_cannot_be_judged_and_is_invalid(tmp_path):
    run = _run(tmp_path, BACKLOG, rf.Drain(timeout_s=2, ended_at=END + 2, drained=False))
    result = gate(run, write_slo(tmp_path / "slo.yaml", "run:\n  drain_seconds: 600\n"))
    [row] = result.criteria
    assert row.result == "invalid" and result.verdict == "INVALID"
    assert row.note.endswith("raise the scenario's drain_timeout above 600 s")


def test_a_run_criterion_on_a_figure_the_run_did_not_measure_is_invalid_never_a_pass(tmp_path):
    run = _run(tmp_path, [rf.SutSample(t=START)], None)
    [row] = gate(run, write_slo(tmp_path / "slo.yaml", "run:\n  queue_lag_max: 600\n")).criteria
    assert row.result == "invalid" and "not measured by this run" in row.note


def test_run_limits_take_seconds_or_milliseconds(tmp_path):
    body = "run:\n  queue_lag_max: '<= 1500ms'\n  drain_seconds: 30\n"
    slo = load_slo(write_slo(tmp_path / "slo.yaml", body))
    lag, drain = slo.run
    assert (lag.endpoint, lag.metric, lag.fail.value) == ("run", "queue_lag_max", 1.5)
    assert drain.fail.value == 30.0 and slo.endpoints == []


@pytest.mark.parametrize(("body", "message"), [
    ("run:\n  queue_lag: 5\n", "run.queue_lag: unknown run figure (one of lost_writes, phantom_writes, "
     "stale_reads, queue_lag_max, drain_seconds)"),
    ("run:\n  drain_seconds: {fail: '>= 5'}\n",
     "run.drain_seconds.fail: '>= 5': drain_seconds is bounded with '<=' or '<'"),
    ("run:\n  drain_seconds: 5rps\n", "run.drain_seconds: '5rps': drain_seconds is not a rate"),
])
def test_a_bad_run_criterion_is_one_line_naming_the_file_and_key(tmp_path, body, message):
    path = write_slo(tmp_path / "slo.yaml", body)
    with pytest.raises(SloError, match=re.escape(f"slo.yaml: {message}")):
        load_slo(path)
    run = _run(tmp_path, BACKLOG, None)
    proc = loadgate("gate", run, "--slo", path)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert message in proc.stderr


def test_the_report_shows_the_backlog_chart_and_the_drain(tmp_path):
    run = _run(tmp_path, [*BACKLOG, DRAINED], rf.Drain(timeout_s=30, ended_at=END + 4.5, drained=True))
    html, md = (p.read_text() for p in build_report(run))
    assert "Event backlog and drain" in html and "taskapi.email.dead" in html
    assert "drained 4.5 s after the load stopped" in html
    assert "Async backlog: max 10 messages waiting, oldest 8.0 s; drained 4.5 s after the load stopped" in md


def test_a_report_of_a_run_without_queues_has_no_backlog_chart(tmp_path):
    html, md = (p.read_text() for p in build_report(_run(tmp_path, [rf.SutSample(t=START)], None)))
    assert "Event backlog" not in html and "Async backlog" not in md
