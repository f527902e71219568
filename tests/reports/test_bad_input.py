"""Bad input: one line naming the file, field or value; exit 2; no traceback; nothing lost."""

from __future__ import annotations

import json

import pytest
from report_helpers import loadgate, write_slo

from loadgate import runformat as rf
from testsupport.synthetic import write_samples_run


@pytest.fixture
def run(tmp_path):
    return write_samples_run(tmp_path, "r", {"GET /tasks": [1000] * 200})


def _one_line(proc, *fragments: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("loadgate: "), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_missing_run_directory(tmp_path):
    _one_line(loadgate("gate", tmp_path / "nope", "--slo", tmp_path / "x.yaml"), "nope: not a run directory")


def test_a_corrupt_meta_json(run):
    (run / rf.META).write_text("{not json")
    _one_line(loadgate("report", run), "meta.json: corrupt JSON")


def test_a_format_version_it_does_not_know(run):
    meta = json.loads((run / rf.META).read_text())
    (run / rf.META).write_text(json.dumps({**meta, "format_version": 7}))
    _one_line(loadgate("report", run), "meta.json: format_version 7 is not one this loadgate reads (1, 2, 3)")


def test_a_missing_field_in_meta(run):
    meta = json.loads((run / rf.META).read_text())
    del meta["started_at"]
    (run / rf.META).write_text(json.dumps(meta))
    _one_line(loadgate("report", run), "meta.json: started_at: Field required")


def test_a_corrupt_histogram_line(run):
    log = run / rf.RAW_LOG
    log.write_text(log.read_text() + "Tag=GET /tasks,1.0,5.0,1.0,AAAA!!\n")
    _one_line(loadgate("report", run), "raw.hlog:", "corrupt interval histogram")


def test_a_missing_histogram_log(run):
    (run / rf.RAW_LOG).unlink()
    _one_line(loadgate("report", run), "hdr/raw.hlog: missing")


def test_a_corrupt_timeline_line_names_file_line_and_field(run):
    with open(run / rf.TIMELINE, "a") as f:
        f.write('{"t": "soon"}\n')
    _one_line(loadgate("report", run), "timeline.jsonl:13: t:")


def test_a_corrupt_summary_is_reported_and_kept(run):
    (run / rf.SUMMARY).write_text('{"run_id": 3}')
    _one_line(loadgate("report", run), "summary.json:")
    assert (run / rf.SUMMARY).read_text() == '{"run_id": 3}'
    assert not (run / "report.html").exists()


def test_an_slo_with_an_unknown_endpoint(tmp_path, run):
    slo = write_slo(tmp_path / "s.yaml", 'endpoints: {"GET /taks/{id}": {p95: 100}}')
    _one_line(loadgate("gate", run, "--slo", slo), "s.yaml: endpoints.'GET /taks/{id}': unknown endpoint")
    assert not (run / "verdict.json").exists() and not (run / "junit.xml").exists()


def test_an_slo_with_a_malformed_criterion(tmp_path, run):
    slo = write_slo(tmp_path / "s.yaml", 'endpoints: {Total: {p95: {fail: "<= lots"}}}')
    _one_line(
        loadgate("gate", run, "--slo", slo), "s.yaml: endpoints.'Total'.p95.fail: '<= lots' is not a limit"
    )


def test_a_missing_slo_file(tmp_path, run):
    _one_line(loadgate("gate", run, "--slo", tmp_path / "gone.yaml"), "gone.yaml: SLO file not found")


def test_a_missing_baseline(tmp_path, run):
    slo = write_slo(tmp_path / "s.yaml", "endpoints: {Total: {p95: 100}}")
    _one_line(loadgate("gate", run, "--slo", slo, "--baseline", tmp_path / "old"), "old: not a run directory")
    _one_line(loadgate("compare", tmp_path / "old", run), "old: not a run directory")


def test_capacity_without_any_plateau(tmp_path):
    path = write_samples_run(tmp_path, "r", {"GET /tasks": [1000] * 10}, intervals=2)
    _one_line(loadgate("capacity", path), "capacity: no plateau")


def test_plan_with_negative_users():
    _one_line(loadgate("plan", "--users", "-5", "--rpm", "100"), "--users and --rpm must not be negative")


def test_a_percentile_compare_cannot_judge():
    _one_line(loadgate("compare", "a", "b", "--metric", "rps"), "--metric rps: not a percentile")
