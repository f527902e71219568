"""What a run watches for while it measures: workers lost, and users short of the shape.

Either makes the run invalid, with the time (``meta.json`` ``workers_seen`` and ``problems``):

    watch = RunWatch(scenario, distributed=True)
    watch.start(started_at)
    watch.workers(runner, now, final_reports)     # every tick: joins, and losses
    watch.users(runner.user_count, now)           # every tick: below the shape for longer than the grace
    watch.stop(ended_at)                          # the users are told to stop: silence is no loss now
    watch.no_final_report(pending)                # a worker whose last report never came is a loss
    workers_seen, problems = watch.records()
"""

from __future__ import annotations

import logging

from locust.runners import STATE_MISSING

from loadgate import runformat as rf
from loadtests.scenario import Scenario
from loadtests.shapes import users_at

logger = logging.getLogger("loadgate")

USERS_SHORT_FRACTION = 0.9
USERS_GRACE_S = 15.0


class RunWatch:
    """Each worker's join and loss, and stretches of users below the shape, as problems."""

    def __init__(self, scenario: Scenario, distributed: bool):
        self.scenario = scenario
        self.distributed = distributed
        self.started_at = 0.0
        self.stopped_at: float | None = None
        self.seen: dict[str, rf.WorkerRecord] = {}
        self.problems: list[str] = []
        self.short_since: float | None = None
        self.short_users: tuple[int, int] = (0, 0)

    def start(self, started_at: float) -> None:
        """Measurement began: times in problems count from here."""
        self.started_at = started_at

    def stop(self, at: float) -> None:
        """The run ended and its users are being stopped: no more losses are judged by heartbeat.

        A worker stopping tens of thousands of users can miss heartbeats before its final report
        (a 100,000-user run here had all four "lost" 4-7 s after the end, every report in);
        what matters from now on is whether that report arrives (``no_final_report``).
        """
        self.stopped_at = at

    def no_final_report(self, pending: list[str]) -> None:
        """Workers whose final report never came after the stop: their last seconds are missing."""
        for client_id in sorted(pending):
            record = self.seen.get(client_id)
            if record is not None and record.lost_at is not None:
                continue  # already a problem, with the time it was lost
            if record is not None:
                record.lost_at, record.reason = self.stopped_at, "no final report"
            self.problem(f"worker {client_id} sent no final report after the end: "
                         f"its last seconds are missing")

    def records(self) -> tuple[list[rf.WorkerRecord], list[str]]:
        """(workers seen, problems) as ``meta.json`` keeps them."""
        return list(self.seen.values()), list(self.problems)

    def _at(self, t: float) -> str:
        return f"{t - self.started_at:.0f}s of {self.scenario.duration or 0:.0f}s"

    def workers(self, runner, now: float, final_reports: dict[str, tuple[float, str]]) -> None:
        """Record each worker's join, and its loss: gone or silent before the run ended."""
        if not self.distributed or self.stopped_at is not None:
            return
        for client_id, node in list(runner.clients.items()):
            if client_id not in self.seen and node.state != STATE_MISSING:
                self.seen[client_id] = rf.WorkerRecord(worker=client_id, joined_at=now)
        for client_id, record in self.seen.items():
            node = runner.clients.get(client_id)
            if record.lost_at is not None or (node is not None and node.state != STATE_MISSING):
                continue
            record.lost_at = final_reports.get(client_id, (now, ""))[0]
            record.reason = "missed its heartbeats" if node is not None else "left before the end"
            self.problem(f"worker {client_id} lost at {self._at(record.lost_at)} ({record.reason}): "
                          f"its users stopped")

    def users(self, users: int, now: float) -> None:
        """Users below the shape for longer than the grace make the run invalid (once per stretch).

        Closed model only: an open model's users are a pool that fills over its ramp, not the load.
        """
        if self.scenario.model != "closed":
            return
        want = users_at(self.scenario, now - self.started_at) or 0
        if users >= USERS_SHORT_FRACTION * want:
            self.end_shortfall(now)
            return
        if self.short_since is None:
            self.short_since = now
        self.short_users = (min(users, self.short_users[0]) if self.short_users[1] else users, want)

    def end_shortfall(self, now: float) -> None:
        if self.short_since is not None and now - self.short_since > USERS_GRACE_S:
            low, want = self.short_users
            self.problem(f"users below the shape from {self._at(self.short_since)} to {self._at(now)} "
                          f"(as few as {low} of {want})")
        self.short_since, self.short_users = None, (0, 0)

    def problem(self, text: str) -> None:
        logger.warning("run invalid: %s", text)
        self.problems.append(text)
