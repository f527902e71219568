"""Load shapes: the fraction of the peak at each moment, and what Locust is asked for."""

from __future__ import annotations

import pytest

from loadtests.scenario import Constant, Ramp, Soak, Spike, Steps, validate_scenario
from loadtests.shapes import level_at, rate_at, spawn_rate, users_at


def test_constant_ramps_up_then_holds_and_ends_with_the_run():
    shape = Constant(ramp_up=10)
    assert [level_at(shape, t, 60) for t in (0, 5, 10, 59.9)] == [0, 0.5, 1, 1]
    assert level_at(shape, 60, 60) is None


def test_ramp_goes_from_start_to_end_over_its_length_then_holds():
    shape = Ramp(kind="ramp", start=0.2, end=1.0, over=40)
    assert level_at(shape, 0, 100) == pytest.approx(0.2)
    assert level_at(shape, 20, 100) == pytest.approx(0.6)
    assert level_at(shape, 80, 100) == 1.0
    assert level_at(Ramp(kind="ramp"), 50, 100) == pytest.approx(0.5)  # default: over the whole run


def test_steps_hold_each_level_for_one_step():
    shape = Steps(kind="steps", levels=[0.25, 0.5, 1.0], step=60)
    assert [level_at(shape, t, 180) for t in (0, 59.9, 60, 125, 179)] == [0.25, 0.25, 0.5, 1.0, 1.0]


def test_steps_can_ramp_into_each_level():
    shape = Steps(kind="steps", levels=[0.5, 1.0], step=60, ramp=10)
    assert [level_at(shape, t, 120) for t in (0, 5, 10, 65, 70)] == [0, 0.25, 0.5, 0.75, 1.0]


def test_spike_jumps_to_the_peak_for_its_hold_and_returns_to_base():
    shape = Spike(kind="spike", base=0.2, at=30, hold=10)
    assert [level_at(shape, t, 60) for t in (0, 29.9, 30, 39.9, 40, 59)] == [0.2, 0.2, 1, 1, 0.2, 0.2]


def test_soak_holds_its_level_after_the_ramp():
    shape = Soak(kind="soak", level=0.8, ramp_up=100)
    assert level_at(shape, 50, 3600) == pytest.approx(0.4)
    assert level_at(shape, 3000, 3600) == pytest.approx(0.8)


def _scenario(**fields):
    return validate_scenario({"name": "s", "duration": 60, "users": 100, **fields}, "test")


def test_closed_users_follow_the_shape_and_never_drop_to_zero_while_running():
    scenario = _scenario(shape={"kind": "ramp", "over": 50})
    assert users_at(scenario, 0) == 1
    assert users_at(scenario, 25) == 50
    assert users_at(scenario, 60) is None
    assert spawn_rate(scenario) == 100  # a jump lands within a second


def test_open_model_keeps_its_pool_and_shapes_the_arrival_rate():
    steps = {"kind": "steps", "levels": [0.5, 1], "step": 30}
    scenario = _scenario(model="open", rate=40, users=200, shape=steps)
    assert users_at(scenario, 0) == users_at(scenario, 45) == 200
    assert rate_at(scenario, 10) == 20 and rate_at(scenario, 45) == 40 and rate_at(scenario, 61) == 0
    assert spawn_rate(scenario) == 20  # the pool starts over 10 s when the shape has no ramp
