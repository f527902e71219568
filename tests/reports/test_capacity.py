"""Capacity: the USL fit recovers known parameters, plateaus are read as computed by hand, and
the model says when it extrapolates."""

from __future__ import annotations

import json

import numpy as np
import pytest
from report_helpers import loadgate, write_slo

from loadgate.errors import InputError
from reports.backtest import backtest
from reports.capacity import analyse, range_note
from reports.plateaus import Step, steps_of
from reports.rundata import RunData
from reports.slo_break import p95_break
from reports.usl import fit_usl, usl
from testsupport.synthetic import write_samples_run, write_steps_run

LAM, ALPHA, BETA = 20.0, 0.03, 0.0002  # N* = sqrt(0.97 / 0.0002) ~ 69.6
LEVELS = [1, 5, 10, 20, 40, 60, 80, 120, 160, 200]


def test_the_usl_is_gunthers_formula_computed_by_hand():
    # X(N) = λN / (1 + α(N − 1) + βN(N − 1)); λ 100, α 0.1, β 0.01 at N = 10:
    # 1,000 / (1 + 0.9 + 0.9) = 1,000 / 2.8 = 357.142857...
    assert float(usl(10, 100.0, 0.1, 0.01)) == pytest.approx(357.142857, abs=1e-6)
    assert float(usl(1, 100.0, 0.1, 0.01)) == 100.0  # one user alone: λ, whatever α and β
    # N* = sqrt((1 − 0.1) / 0.01) = sqrt(90) = 9.4868; X(N*) = 948.68 / (1 + 0.84868 + 0.80513) = 357.48
    assert float(usl(90**0.5, 100.0, 0.1, 0.01)) == pytest.approx(357.48, abs=0.01)


def test_the_fit_recovers_known_alpha_and_beta_within_its_intervals():
    rng = np.random.default_rng(42)
    n = np.repeat(LEVELS, 3)
    x = usl(n, LAM, ALPHA, BETA) * rng.lognormal(0, 0.02, len(n))
    fit = fit_usl(n, x)
    for name, true in (("lam", LAM), ("alpha", ALPHA), ("beta", BETA)):
        low, high = fit.ci[name]
        assert low <= true <= high, (name, low, true, high)
    assert fit.ci["beta"][1] - fit.ci["beta"][0] < BETA  # an interval, not a shrug
    true_n_star = np.sqrt((1 - ALPHA) / BETA)
    assert fit.n_star_ci[0] <= true_n_star <= fit.n_star_ci[1]
    assert fit.x_peak == pytest.approx(usl(true_n_star, LAM, ALPHA, BETA), rel=0.03)


def test_a_steps_run_is_read_into_plateaus_and_fitted_end_to_end(tmp_path):
    path = write_steps_run(tmp_path, "steps", LEVELS, lam=LAM, alpha=ALPHA, beta=BETA, step_s=60, seed=3)
    result = analyse([RunData.open(path)])
    assert [s.users for s in result.steps] == LEVELS
    assert all(s.intervals == 11 for s in result.steps)  # 12 intervals a step, the first settles
    assert result.fit.ci["alpha"][0] <= ALPHA <= result.fit.ci["alpha"][1]
    assert result.fit.ci["beta"][0] <= BETA <= result.fit.ci["beta"][1]
    assert "within the measured range" in result.lines()[2]


def test_plateau_throughput_and_p95_are_as_computed_by_hand(tmp_path):
    # Five intervals of 30 requests: 5 users for two, then 10 users for three. The first interval
    # of each plateau settles (and is slow on purpose: were it counted, the p95 would show it).
    values = [5000] * 30 + [1000] * 30 + [9000] * 30 + [1000] * 15 + [1500] * 15 + [1500] * 30
    path = write_samples_run(tmp_path, "r", {"GET /a": values}, intervals=5)
    rows = [json.loads(line) for line in (path / "timeline.jsonl").read_text().splitlines()]
    for row, users in zip(rows, [5, 5, 10, 10, 10], strict=True):
        row["users"] = users
    (path / "timeline.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    steps = steps_of(RunData.open(path), min_intervals=1)
    assert [(s.users, s.intervals, s.requests, s.throughput) for s in steps] == [
        (5, 1, 30, 6.0),
        (10, 2, 60, 6.0),
    ]
    assert (steps[0].p95, steps[1].p95) == (1.0, 1.5)  # below 2,048 µs HDR is exact
    assert steps[1].samples == 60


def test_the_p95_break_is_interpolated_between_plateaus_and_never_extrapolated():
    def step(users, p95):
        return Step("r", users, 0, 0, 3, 0, 0.0, p95=p95)

    brk = p95_break([step(100, 80.0), step(200, 150.0), step(400, 350.0)], 250.0)
    assert brk.users == pytest.approx(300.0)  # 200 + (250 - 150) / (350 - 150) * 200
    held = p95_break([step(100, 80.0), step(200, 150.0)], 250.0)
    assert held.users is None and "not measured" in held.text
    early = p95_break([step(100, 300.0)], 250.0)
    assert early.users is None and "lowest measured" in early.text


def test_predictions_beyond_the_measured_range_say_so():
    assert range_note(4200, 10, 1000, "N*") == (
        "N* = 4,200 is 4.2× the highest measured concurrency (1,000): extrapolation"
    )
    assert "interpolation" in range_note(500, 10, 1000, "N*")


def test_fewer_than_three_levels_cannot_be_fitted():
    with pytest.raises(InputError, match=r"at least 3 concurrency levels, found 2 \(1, 2\)"):
        fit_usl([1, 2, 2], [10, 19, 20])


def test_capacity_command_reports_the_fit_the_break_and_a_png(tmp_path):
    path = write_steps_run(tmp_path, "steps", LEVELS, lam=LAM, alpha=ALPHA, beta=BETA, step_s=30, seed=1)
    slo = write_slo(tmp_path / "slo.yaml", "endpoints: {Total: {p95: 500}}")
    chart = tmp_path / "usl.png"
    proc = loadgate("capacity", path, "--slo", slo, "--chart", chart)
    assert proc.returncode == 0, proc.stderr
    assert (
        "USL fit" in proc.stdout and "N* = " in proc.stdout and "p95 crosses 500 ms at about" in proc.stdout
    )
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "back-test: fitted on 8 lower levels" in proc.stdout  # the out-of-sample error beside the fit


def test_the_backtest_predicts_held_out_levels_of_a_usl_run_within_its_noise(tmp_path):
    # throughput on the curve with 2 % noise per interval: the top two levels are predictable
    path = write_steps_run(tmp_path, "steps", LEVELS, lam=LAM, alpha=ALPHA, beta=BETA, step_s=60, seed=3)
    test = analyse([RunData.open(path)]).backtest
    assert [h.users for h in test.held_out] == [160, 200] and test.fit_levels == LEVELS[:-2]
    assert test.max_error < 0.03, test.to_dict()
    assert "predicts the held-out top (160, 200 users) within 10%" in test.verdict()


def test_the_backtest_reports_the_known_error_when_the_top_levels_leave_the_curve(tmp_path):
    # the lower levels follow one curve; the top two a steeper collapse (β three times larger)
    low = write_steps_run(tmp_path, "low", LEVELS[:-2], lam=LAM, alpha=ALPHA, beta=BETA, step_s=60, seed=3)
    top = write_steps_run(tmp_path, "top", LEVELS[-2:], lam=LAM, alpha=ALPHA, beta=3 * BETA, seed=4)
    result = analyse([RunData.open(low), RunData.open(top)])
    for h in result.backtest.held_out:
        known = usl(h.users, LAM, ALPHA, BETA) / usl(h.users, LAM, ALPHA, 3 * BETA) - 1
        assert h.error == pytest.approx(known, abs=0.04), (h, known)
    assert result.backtest.max_error > 0.10
    assert any("cannot predict the top levels" in line for line in result.lines())


def test_too_few_levels_for_a_backtest_say_so():
    steps = [Step("r", n, 0, 1, 5, 100, float(usl(n, LAM, ALPHA, BETA))) for n in (10, 20, 40)]
    assert backtest(steps) is None
