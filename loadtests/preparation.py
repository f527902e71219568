"""Before measurement: the system under test found or started, and its accounts seeded.

    target = prepare_target(scenario, console)      # the URL checked, or the API started here
    emails = seed(scenario, target, console)        # not measured
    target.stop()                                   # stops a local API; nothing for a URL
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console

from loadgate import runformat as rf
from loadtests.scenario import Scenario
from loadtests.seeding import seed_accounts, seed_token_from_env
from loadtests.target import LocalApi, TargetError, describe, health

StopCheck = Callable[[], bool]


@dataclass
class Target:
    url: str
    kind: str
    seed_token: str
    api: LocalApi | None = None
    topology: rf.Topology | None = None
    """The processes behind the URL, when this run started them (a URL target's are not known)."""

    def stop(self) -> None:
        if self.api is not None:
            self.api.stop()


def prepare_target(scenario: Scenario, console: Console, should_stop: StopCheck = lambda: False) -> Target:
    """The SUT: the scenario's URL (checked), or the API started locally for this run."""
    if scenario.target == "local":
        store = "MongoDB" if os.environ.get("MONGODB_URL") else "SQLite"
        cache = "Redis" if os.environ.get("REDIS_URL") else "in-process cache"
        replicas = f", {scenario.api_replicas} replicas behind nginx" if scenario.api_replicas > 1 else ""
        console.print(f"starting the API locally ({store}, {cache}{replicas})", highlight=False)
        api = LocalApi.start(scenario, should_stop=should_stop)
        return Target(api.url, api.kind, api.seed_token, api, api.topology)
    if health(scenario.target) is None:
        raise TargetError(f"{scenario.target}: GET /health does not answer 200; is the API running?")
    token = seed_token_from_env()
    if scenario.seed_users and not token:
        raise TargetError(f"{scenario.target}: set LOADGATE_SEED_TOKEN (the API's SEED_TOKEN) to seed "
                          f"{scenario.seed_users} accounts, or set seed.users: 0")
    return Target(scenario.target, describe(scenario.target, local=False), token or "")


def seed(scenario: Scenario, target: Target, console: Console,
         should_stop: StopCheck = lambda: False) -> list[str]:
    """Seed the scenario's accounts before measurement; returns their emails."""
    if not scenario.seed_users:
        return []
    t0 = time.monotonic()
    emails = seed_accounts(target.url, target.seed_token, scenario.seed_users, scenario.seed.tasks_per_user,
                           scenario.seed.password, tag=secrets.token_hex(4), should_stop=should_stop)
    console.print(f"seeded {len(emails):,} accounts x {scenario.seed.tasks_per_user} tasks in "
                  f"{time.monotonic() - t0:.1f}s (not measured)", highlight=False)
    return emails
