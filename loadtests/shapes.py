"""Load shapes as plain functions of elapsed time: what fraction of the peak applies at ``t``.

The peak is the scenario's ``users`` (closed model) or ``rate`` (open model), so one shape serves
both. Pure math, no Locust: the Locust ``LoadTestShape`` in ``loadtests.runner`` and the open
model's arrival clock both call these.

    level_at(Steps(kind="steps", levels=[0.25, 0.5, 1.0], step=60), t=70, duration=180)
    # -> 0.5
    users_at(scenario, t=0.0)     # closed model: concurrent users to run now
    # -> 4
"""

from __future__ import annotations

import math

from loadtests.scenario import Constant, Ramp, Scenario, Soak, Spike, Steps

MIN_SPAWN_RATE = 1.0


def _ramp(t: float, over: float, start: float, end: float) -> float:
    if over <= 0 or t >= over:
        return end
    return start + (end - start) * (t / over)


def level_at(shape, t: float, duration: float) -> float | None:
    """Fraction of the peak at ``t`` seconds into the run; ``None`` once the run is over.

    level_at(Constant(ramp_up=10), t=5, duration=60)
    # -> 0.5
    level_at(Spike(kind="spike", base=0.2, at=30, hold=10), t=35, duration=60)
    # -> 1.0
    """
    if t >= duration:
        return None
    t = max(t, 0.0)
    match shape:
        case Constant(ramp_up=ramp_up):
            return _ramp(t, ramp_up, 0.0, 1.0)
        case Ramp(start=start, end=end, over=over):
            return _ramp(t, duration if over is None else over, start, end)
        case Steps(levels=levels, step=step, ramp=ramp):
            i = min(int(t // step), len(levels) - 1)
            return _ramp(t - i * step, ramp, levels[i - 1] if i else 0.0, levels[i])
        case Spike(base=base, at=at, hold=hold, ramp_up=ramp_up):
            return 1.0 if at <= t < at + hold else _ramp(t, ramp_up, 0.0, base)
        case Soak(level=level, ramp_up=ramp_up):
            return _ramp(t, ramp_up, 0.0, level)
    raise TypeError(f"unknown shape {shape!r}")


def users_at(scenario: Scenario, t: float) -> int | None:
    """Closed model: concurrent users at ``t`` (at least 1 while running); open model: the pool.

    The open model keeps its pool of users (journeys in flight) constant; its rate follows the shape.
    """
    if scenario.model == "open":
        return scenario.users if t < (scenario.duration or 0) else None
    level = level_at(scenario.shape, t, scenario.duration or 0)
    if level is None:
        return None
    return max(1, round(scenario.users * level))


def rate_at(scenario: Scenario, t: float) -> float:
    """Open model: arrivals (journeys per second) at ``t``; 0 after the end."""
    level = level_at(scenario.shape, t, scenario.duration or 0)
    return 0.0 if level is None else (scenario.rate or 0.0) * level


def spawn_rate(scenario: Scenario) -> float:
    """Users started per second when the user count changes.

    Ramps are followed by re-targeting the count every second, so starting users fast is right:
    a jump (spike, next step) should land within about a second. The open model's pool starts
    over its shape's ramp-up (10 s when it has none), so logins do not all land at once.
    """
    if scenario.model == "open":
        ramp = getattr(scenario.shape, "ramp_up", 0.0) or 10.0
        return max(MIN_SPAWN_RATE, math.ceil(scenario.users / ramp))
    return max(MIN_SPAWN_RATE, float(scenario.users))
