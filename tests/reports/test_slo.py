"""SLO files: every form of limit parses to what it says, and every mistake is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import write_slo

from reports.slo import KNOWN_ROUTES, METRICS, Limit, SloError, load_slo, parse_slo

REPO = Path(__file__).resolve().parents[2]


def _one(spec: dict):
    return parse_slo({"endpoints": {"Total": spec}}, Path("x.yaml")).criteria


def test_a_bare_number_is_the_fail_level_in_the_metrics_own_direction():
    (p95,) = _one({"p95": 250})
    assert p95.fail == Limit("<=", 250.0) and p95.warn is None
    (rps,) = _one({"rps": 20})
    assert rps.fail == Limit(">=", 20.0)


def test_strings_carry_operators_units_and_percentages():
    c = _one(
        {
            "p95": {"fail": "<= 0.5s", "warn": "< 250ms"},
            "error_rate": {"fail": "1%", "warn": "0.1%"},
            "cache_hit_ratio": ">= 80%",
            "p99.9": 1500,
        }
    )
    assert c[0].fail == Limit("<=", 500.0) and c[0].warn == Limit("<", 250.0)
    assert c[1].fail == Limit("<=", 0.01) and c[1].warn == Limit("<=", 0.001)
    assert c[2].fail == Limit(">=", 0.8)
    assert c[3].metric == "p999"


def test_signed_percentages_are_relative_to_the_baseline():
    (c,) = _one({"p95": "<= +10%"})
    assert c.fail == Limit("<=", 0.10, relative=True) and c.relative
    assert c.fail.bound(200.0) == pytest.approx(220.0)
    assert c.fail.holds(219.0, 200.0) and not c.fail.holds(221.0, 200.0)


def test_a_list_gives_absolute_and_relative_criteria_on_one_metric():
    c = _one({"p95": [{"fail": 250}, {"fail": "<= +10%", "warn": "<= +5%"}]})
    assert [x.relative for x in c] == [False, True]


def test_minimum_samples_per_percentile():
    assert {m: METRICS[m].min_samples for m in ("p50", "p95", "p99", "p999", "max", "rps")} == {
        "p50": 2,
        "p95": 20,
        "p99": 100,
        "p999": 1000,
        "max": 1,
        "rps": 1,
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"p96": 1}, r"endpoints.'Total'.p96: unknown metric"),
        ({"p95": "fast"}, r"endpoints.'Total'.p95: 'fast' is not a limit"),
        ({"p95": ">= 100"}, r"p95 is bounded with '<=' or '<'"),
        ({"rps": "<= 100"}, r"rps is bounded with '>=' or '>'"),
        ({"p95": "10%"}, r"relative to the baseline and needs a sign"),
        ({"cache_hit_ratio": ">= 1.5"}, r"a ratio above 1"),
        ({"p95": {"fail": 100, "warn": 200}}, r"p95.warn: <= 200 ms is looser than the fail level"),
        ({"p95": {"fial": 100}}, r"p95.fial: unknown level"),
        ({"p95": True}, r"True is not a limit"),
        ({"rps": "5ms"}, r"rps is not a latency"),
    ],
)
def test_malformed_criteria_name_the_field_and_value(spec, message):
    with pytest.raises(SloError, match=message):
        _one(spec)


def test_an_endpoint_that_is_not_a_route_is_refused():
    with pytest.raises(SloError, match=r"endpoints.'tasks': not an endpoint"):
        parse_slo({"endpoints": {"tasks": {"p95": 1}}}, Path("x.yaml"))


def test_an_endpoint_neither_recorded_nor_known_is_bad_input(tmp_path):
    slo = load_slo(
        write_slo(
            tmp_path / "s.yaml",
            """
        endpoints:
          "GET /taks": {p95: 100}
        """,
        )
    )
    with pytest.raises(
        SloError, match=r"s.yaml: endpoints.'GET /taks': unknown endpoint \(the run recorded: GET /tasks\)"
    ):
        slo.check_endpoints({"GET /tasks"})
    slo.check_endpoints({"GET /taks"})  # recorded by the run: fine


def test_file_problems_are_one_line(tmp_path):
    with pytest.raises(SloError, match=r"nope.yaml: SLO file not found"):
        load_slo(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("endpoints: {Total: {p95: [1, }\n")
    with pytest.raises(SloError, match=r"bad.yaml:\d+: not valid YAML"):
        load_slo(bad)
    with pytest.raises(SloError, match=r"no criteria"):
        parse_slo({"endpoints": {}}, Path("x.yaml"))
    with pytest.raises(SloError, match=r"x.yaml: baseline.regression"):
        parse_slo({"endpoints": {"Total": {"p95": 1}}, "baseline": {"regression": "maybe"}}, Path("x.yaml"))


def test_baseline_policy_defaults_and_percent_effect():
    slo = parse_slo({"endpoints": {"Total": {"p95": 1}}, "baseline": {"min_effect": "10%"}}, Path("x.yaml"))
    assert slo.baseline.min_effect == pytest.approx(0.10)
    assert slo.baseline.metrics == ["p95", "p99"] and slo.baseline.regression == "fail"


@pytest.mark.parametrize("path", sorted((REPO / "scenarios" / "slo").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_slo_files_load_and_name_only_api_routes(path):
    slo = load_slo(path)
    assert slo.criteria
    assert set(slo.endpoints) <= KNOWN_ROUTES | {"Total"}
    assert slo.absolute_limit("Total", "p95") is not None  # capacity and plan use it


def test_every_scenario_has_its_slo_file():
    names = {"smoke", "baseline-1k", "stress-10k", "swarm-100k", "spike", "soak", "capacity-steps"}
    assert names <= {p.stem for p in (REPO / "scenarios" / "slo").glob("*.yaml")}
