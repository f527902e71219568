"""The scenario's shape as Locust's ``LoadTestShape``: (users, spawn rate) every second."""

from __future__ import annotations

from locust.shape import LoadTestShape

from loadtests.scenario import Scenario
from loadtests.shapes import spawn_rate, users_at


class ScenarioShape(LoadTestShape):
    """The scenario's shape as Locust sees it: (users, spawn rate) every second.

    In ``loadgate run`` the run loop decides when the run ends (``stop_at_end=False``); in the
    web UI the shape ends it.
    """

    def __init__(self, scenario: Scenario, stop_at_end: bool = True):
        super().__init__()
        self.scenario = scenario
        self.stop_at_end = stop_at_end
        self.spawn_rate = spawn_rate(scenario)

    def tick(self):
        t = self.get_run_time()
        users = users_at(self.scenario, t)
        if users is None:
            if self.stop_at_end:
                return None
            users = users_at(self.scenario, (self.scenario.duration or 0) - 1e-3) or 1
        return users, self.spawn_rate
