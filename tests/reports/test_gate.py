"""The gate: each verdict from figures computed by hand, and the files it leaves behind."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from report_helpers import write_slo

from loadgate.errors import InputError
from reports.compare import Shift
from reports.criteria import judge_criterion
from reports.gate import JUNIT_FILE, VERDICT_FILE, gate
from reports.rundata import RunData
from reports.slo import Criterion, Limit
from testsupport.synthetic import write_samples_run


def _slo(tmp_path, body: str):
    return write_slo(tmp_path / "slo.yaml", body)


def _row(result, name):
    return next(r for r in result.criteria if r.name == name)


def test_every_figure_is_measured_as_computed_by_hand(tmp_path, exact_run):
    # 200 requests in 60 s: 190 at 1 ms, 10 at 2 ms; 3 failures; 180 cache hits of 200 lookups.
    result = gate(
        exact_run,
        _slo(
            tmp_path,
            """
        endpoints:
          "GET /tasks": {p50: 5, p95: 5, p99: 5, max: 5, error_rate: 5%, rps: ">= 1",
                         cache_hit_ratio: ">= 0.5"}
        """,
        ),
    )
    measured = {r.metric: r.measured for r in result.criteria}
    assert measured == {
        "p50": 1.0,
        "p95": 1.0,
        "p99": 2.0,
        "max": 2.0,
        "error_rate": 3 / 200,
        "rps": pytest.approx(200 / 60),
        "cache_hit_ratio": pytest.approx(0.9),
    }
    assert result.verdict == "GO" and result.exit_code == 0


def test_a_crossed_warn_level_is_warn_and_exit_3_or_0_with_warn_ok(tmp_path, exact_run):
    slo = _slo(
        tmp_path,
        """
        endpoints:
          Total: {p99: {fail: 5, warn: 1.5}}
        """,
    )
    result = gate(exact_run, slo)
    assert (result.verdict, result.exit_code, result.criteria[0].result) == ("WARN", 3, "warn")
    assert gate(exact_run, slo, warn_ok=True).exit_code == 0


@pytest.mark.parametrize(
    ("criterion", "name"),
    [
        ("p99: 1.5", "Total p99"),  # 2 ms > 1.5 ms
        ("error_rate: 1%", "Total error_rate"),  # 1.5 % > 1 %
        ('rps: ">= 5"', "Total rps"),  # 3.33 rps < 5
        ('cache_hit_ratio: ">= 0.95"', "Total cache_hit_ratio"),  # 90 % < 95 %
    ],
)
def test_a_crossed_fail_level_is_no_go_with_a_junit_failure(tmp_path, exact_run, criterion, name):
    result = gate(
        exact_run,
        _slo(
            tmp_path,
            f"""
        endpoints:
          Total: {{p50: 10, {criterion}}}
        """,
        ),
    )
    assert (result.verdict, result.exit_code) == ("NO-GO", 1)
    assert _row(result, name).result == "fail" and _row(result, "Total p50").result == "pass"
    suite = ET.parse(exact_run / JUNIT_FILE).getroot().find("testsuite")
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failed == [name]
    assert suite.get("failures") == "1" and suite.get("tests") == "3"  # validity + 2 criteria
    verdict = json.loads((exact_run / VERDICT_FILE).read_text())
    assert verdict["verdict"] == "NO-GO" and verdict["exit_code"] == 1


def test_an_interrupted_run_is_invalid_even_when_every_criterion_passes(tmp_path):
    path = write_samples_run(tmp_path, "r", {"GET /tasks": [1000] * 200}, interrupted=True)
    result = gate(path, _slo(tmp_path, "endpoints: {Total: {p95: 100}}"))
    assert result.criteria[0].result == "pass"
    assert (result.verdict, result.exit_code) == ("INVALID", 4)
    assert "interrupted" in result.reasons[0]
    case = ET.parse(path / JUNIT_FILE).getroot().find("testsuite/testcase")
    assert case.get("name") == "validity" and case.find("error") is not None


def test_too_few_samples_for_a_percentile_is_invalid(tmp_path):
    path = write_samples_run(tmp_path, "r", {"GET /tasks": [1000] * 99})
    result = gate(path, _slo(tmp_path, "endpoints: {Total: {p95: 100, p99: 100}}"))
    assert [r.result for r in result.criteria] == ["pass", "invalid"]
    assert result.criteria[1].note == "p99 needs >= 100 samples, the run has 99"
    assert result.verdict == "INVALID"


def test_a_known_route_the_run_never_called_is_invalid_not_a_typo(tmp_path, exact_run):
    result = gate(exact_run, _slo(tmp_path, 'endpoints: {"GET /analytics": {p95: 100}}'))
    assert result.criteria[0].note == "no requests recorded" and result.verdict == "INVALID"


def test_the_slo_named_in_meta_is_found_beside_the_scenario_file(tmp_path):
    (tmp_path / "scenarios" / "slo").mkdir(parents=True)
    write_slo(tmp_path / "scenarios" / "slo" / "x.yaml", "endpoints: {Total: {p95: 0.5}}")
    path = write_samples_run(
        tmp_path,
        "r",
        {"GET /tasks": [1000] * 50},
        slo_file="slo/x.yaml",
        scenario_file=str(tmp_path / "scenarios" / "x.yaml"),
    )
    result = gate(path)
    assert result.slo_file == tmp_path / "scenarios" / "slo" / "x.yaml" and result.verdict == "NO-GO"


def test_no_slo_anywhere_is_bad_input(exact_run):
    with pytest.raises(InputError, match=r"no SLO given and meta.json names none"):
        gate(exact_run)


def test_relative_criteria_compare_with_the_baseline_run(tmp_path):
    base = write_samples_run(tmp_path, "base", {"GET /tasks": [1000] * 1200})
    slower = write_samples_run(tmp_path, "slow", {"GET /tasks": [1200] * 1200})
    slo = _slo(tmp_path, 'endpoints: {Total: {p95: {fail: "<= +10%", warn: "<= +5%"}}}')
    result = gate(slower, slo, base)
    row = result.criteria[0]
    assert (row.measured, row.baseline, row.result) == (1.2, 1.0, "fail")
    assert row.delta == pytest.approx(0.2)
    assert result.verdict == "NO-GO"
    assert gate(base, slo, base).verdict == "GO"
    skipped = gate(slower, slo)  # no baseline: a relative level cannot be judged
    assert skipped.criteria[0].result == "skipped" and skipped.verdict == "GO"


def test_a_relative_breach_within_noise_is_only_a_warning(exact_run):
    summary = RunData.open(exact_run).summary
    worse = summary.model_copy(deep=True)
    worse.total.p95 = 1.2
    c = Criterion("Total", "p95", fail=Limit("<=", 0.10, relative=True))
    noise = Shift("Total", "p95", p_value=0.4, p_adjusted=0.4, verdict="no significant shift", shift=0.1)
    assert judge_criterion(c, worse, summary, None).result == "fail"
    row = judge_criterion(c, worse, summary, noise)
    assert row.result == "warn" and "within noise" in row.note


def test_a_regression_against_the_baseline_is_no_go_and_noise_is_not(tmp_path):
    rng = np.random.default_rng(5)

    def run(name, scale):
        return write_samples_run(
            tmp_path, name, {"GET /tasks": rng.lognormal(np.log(20_000 * scale), 0.4, 24_000)}, intervals=60
        )

    base, same, slower = run("base", 1.0), run("same", 1.0), run("slower", 1.1)
    slo = _slo(tmp_path, "endpoints: {Total: {p95: 1000}}")
    regressed = gate(slower, slo, base)
    assert regressed.verdict == "NO-GO"
    shift_rows = [r for r in regressed.criteria if r.metric.endswith("shift")]
    assert [r.result for r in shift_rows] == ["fail", "fail"]  # Total p95 and p99
    assert gate(same, slo, base).verdict == "GO"


def test_bad_input_leaves_the_previous_verdict_untouched(tmp_path, exact_run):
    good = _slo(tmp_path, "endpoints: {Total: {p95: 100}}")
    gate(exact_run, good)
    before = (exact_run / VERDICT_FILE).read_bytes(), (exact_run / JUNIT_FILE).read_bytes()
    bad = write_slo(tmp_path / "bad.yaml", 'endpoints: {"GET /nope": {p95: 1}}')
    with pytest.raises(InputError, match=r"unknown endpoint"):
        gate(exact_run, bad)
    assert ((exact_run / VERDICT_FILE).read_bytes(), (exact_run / JUNIT_FILE).read_bytes()) == before


def test_an_absolute_limit_tighter_than_the_runs_floor_is_invalid_not_pass(tmp_path, exact_run):
    # the run's p50 is 1.0 ms, under a 1.5 ms limit; but its client stack alone adds 1.2 ms at p50
    summary = RunData.open(exact_run).summary.model_copy(update={"floor_p50_ms": 1.2, "floor_p99_ms": 3.0})
    tight = judge_criterion(Criterion("GET /tasks", "p50", fail=Limit("<=", 1.2)), summary, None)
    assert tight.result == "invalid" and "floor" in tight.note
    loose = judge_criterion(Criterion("GET /tasks", "p50", fail=Limit("<=", 5.0)), summary, None)
    assert loose.result == "pass"
    tail = judge_criterion(Criterion("GET /tasks", "p99", fail=Limit("<=", 2.5)), summary, None)
    assert tail.result == "invalid"  # p99 limits are held against the floor's p99


def test_a_run_without_calibration_is_judged_as_before(exact_run):
    summary = RunData.open(exact_run).summary
    assert summary.floor_p50_ms is None
    row = judge_criterion(Criterion("GET /tasks", "p50", fail=Limit("<=", 1.2)), summary, None)
    assert row.result == "pass"
