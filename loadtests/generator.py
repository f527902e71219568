"""A process that runs users: the scenario's user class, and what it records of every request.

    env = Environment(user_classes=[cls])
    gen = Generator(env, scenario, cls, "local")
    gen.apply(scenario, accounts, password)      # before the users spawn
    gen.recorder.drain()                          # this process's interval histograms so far
    gen.ledger.drain()                            # its users' ledger entries so far (audit: true)

``Generator`` listens to Locust's ``request`` event, runs the open model's arrival clock and the
process's health monitor, and keeps the garbage collector out of the latencies (see
``_on_spawning_complete``).
"""

from __future__ import annotations

import gc
import importlib
import time

from locust.env import Environment

from loadgate.errors import InputError
from loadgate.runformat import Calibration
from loadtests.arrivals import Arrivals
from loadtests.audit import Ledger
from loadtests.calibration import calibrate
from loadtests.health import HealthMonitor
from loadtests.journeys import LoadgateUser, Plan, configure
from loadtests.pool import PoolWaits
from loadtests.recorder import Recorder
from loadtests.scenario import Scenario
from loadtests.shapes import rate_at

GC_YOUNG_THRESHOLD = 10_000


def load_user_class(path: str) -> type[LoadgateUser]:
    """The user class ``module:Class`` a scenario names (InputError if it cannot be used)."""
    module_name, _, class_name = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"user_class: cannot import {path} ({exc})") from None
    if not (isinstance(cls, type) and issubclass(cls, LoadgateUser)):
        raise InputError(f"user_class: {path} is not a loadtests.journeys.LoadgateUser subclass")
    return cls


class Generator:
    """Instruments a process that runs users: records requests, runs the arrival clock, health."""

    def __init__(self, env: Environment, scenario: Scenario, user_class: type[LoadgateUser], process: str,
                 record: bool = True):
        self.env = env
        self.user_class = user_class
        self.recorder = Recorder()
        self.ledger = Ledger()
        """Its users' acknowledged writes and unknown outcomes, when the scenario audits."""
        self.pool_waits = PoolWaits()
        self.calibrations: list[Calibration] = []
        """Not yet shipped (a worker's) or written (a local run's) calibrations of this process."""
        self._endpoints: dict[tuple[str, str], str] = {}
        self.monitor = HealthMonitor(process, users=self.users)
        self.arrivals: Arrivals | None = None
        self.apply(scenario)
        if record:
            env.events.request.add_listener(self.on_request)
        env.events.test_start.add_listener(self._on_test_start)
        env.events.test_stop.add_listener(self._on_test_stop)
        env.events.spawning_complete.add_listener(self._on_spawning_complete)
        self._frozen_users = 0

    def apply(self, scenario: Scenario, accounts: list[str] | None = None, password: str = "",
              worker_index: int = 0, worker_count: int = 1, ready: bool = True) -> None:
        """(Re)configure users for ``scenario`` and the seeded accounts, before they spawn."""
        self.scenario = scenario
        self.worker_count = worker_count
        closed = scenario.model == "closed"
        self.recorder.expected_interval_us = int(scenario.expected_interval_s * 1e6) if closed else 0
        self.recorder.open_model = not closed
        self.arrivals = None if closed else Arrivals(self.rate)
        configure(self.user_class, Plan(scenario, accounts or [], password, worker_index, worker_count,
                                        self.arrivals, ready, self.ledger if scenario.audit else None),
                  self.pool_waits)

    def calibrate(self, when: str) -> Calibration:
        """Measure this process's client floor now (no user must be running) and keep it."""
        result = calibrate(self.user_class, self.monitor.process, when, self.scenario)
        self.calibrations.append(result)
        return result

    def users(self) -> int:
        return self.env.runner.user_count if self.env.runner is not None else 0

    def rate(self, t: float) -> float:
        """This process's share of the open model's arrivals.

        Locust spreads the users evenly over the workers, so each worker that has users issues
        an equal share, from the start: arrivals do not wait for the users to spawn (tickets
        queue, and their wait counts).
        """
        runner = self.env.runner
        if runner is None or runner.target_user_count <= 0:
            return 0.0
        return rate_at(self.scenario, t) / max(1, min(self.worker_count, self.scenario.users))

    def on_request(self, request_type, name, response_time, exception=None, context=None, start_time=None,
                   **_kwargs) -> None:
        intended = context.get("intended") if context else None
        start = start_time if start_time is not None else time.time() - response_time / 1000.0
        endpoint = self._endpoints.get((request_type, name))
        if endpoint is None:
            endpoint = self._endpoints[(request_type, name)] = f"{request_type} {name}"
        wait_s = self.pool_waits.take()
        self.recorder.record(endpoint, start, response_time * 1000.0, exception is not None, intended,
                             wait_s * 1e6)

    def _on_test_start(self, **_kwargs) -> None:
        if self.arrivals is not None:
            self.arrivals.start()

    def _on_spawning_complete(self, **_kwargs) -> None:
        # Thousands of users are millions of long-lived objects, and every full garbage collection
        # walks them all: 0.1-0.3 s with 10,000 users, a loop stall that lands in the latencies.
        # Freezing them (after a young collection, so little garbage is kept) takes them out of
        # the collector's walks. Again whenever the users grew by a tenth, not on every tick.
        # Young collections of such a process still pause it 10-50 ms each; fewer of them
        # (every 10,000 allocations, not 700) removed those pauses in benchmarks/bench_users.py.
        users = self.users()
        if users > 0 and users >= 1.1 * self._frozen_users:
            gc.collect(1)
            gc.freeze()
            self._frozen_users = users
            threshold = gc.get_threshold()
            if threshold[0] < GC_YOUNG_THRESHOLD:
                gc.set_threshold(GC_YOUNG_THRESHOLD, *threshold[1:])

    def _on_test_stop(self, **_kwargs) -> None:
        if self.arrivals is not None:
            self.arrivals.stop()
