"""What a simulated user does: sign in once, then journey steps picked by the scenario's mix.

    configure(TaskApiUser, Plan(scenario, accounts=emails, password="..."))
    env = Environment(user_classes=[TaskApiUser], host="http://127.0.0.1:8000")

Each step is one request, named by its route template (``GET /tasks/{id}``, never the raw URL)
so statistics group by endpoint. Closed model: a user waits its think time between steps. Open
model: a user takes the next arrival ticket and the request carries the ticket's due time in its
context (``intended``), from which the recorder measures the corrected latency.

Users share one HTTP connection pool per process, whose wait is timed apart from the time on the
wire (``loadtests.pool``).

Custom journeys subclass :class:`LoadgateUser` and implement ``act(action, intended)``; name them
in a scenario with ``user_class: module:Class``.

A write's answer is one of four outcomes (:func:`outcome_of`): acknowledged (2xx), refused (4xx:
not applied), absent (404: the task is gone), or unknown (5xx, a timeout, a lost connection: it
may or may not have been applied, ``docs/api.md``). A task whose write ended unknown is neither
kept as existing nor assumed gone: the user re-reads it (``GET /tasks/{id}``) as its next step.
With ``audit: true`` every acknowledged write and unknown outcome goes to the process's ledger
(``loadtests.audit``), and a ``GET /tasks/{id}`` older than the user's last acknowledged write of
that task is recorded as a stale read.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import gevent
from locust import FastHttpUser, task

from loadgate.runformat import LedgerEntry
from loadtests.arrivals import Arrivals
from loadtests.audit import Ledger
from loadtests.backoff import retry_after_s, sign_in_backoff
from loadtests.pool import PoolWaits, shared_pool
from loadtests.scenario import ACTIONS, Scenario

PAGE = 20
KNOWN_TASKS = 50
"""Task ids a user remembers (from its list pages and its creations) to open and update."""
RELOGIN_MARGIN_S = 60.0
PLAN_WAIT_S = 30.0
SIGN_IN = "/auth/login"
SIGN_IN_RETRY = "/auth/login (retry)"
"""The name a sign-in that follows a failed one is recorded under: the run counts retries apart."""
STATUSES = ("todo", "in_progress", "done")
PRIORITIES = ("low", "medium", "high")
TASK_FIELDS = ("title", "description", "status", "priority", "dueDate")
"""The fields a create writes (and the ledger keeps)."""
ACKED_KEPT = 4 * KNOWN_TASKS
"""Tasks whose last acknowledged write a user remembers for its stale-read check."""
CLOCK_SLACK = timedelta(milliseconds=1)
"""A store may keep updatedAt to the millisecond while the write's answer carried microseconds."""

Outcome = Literal["ack", "refused", "absent", "unknown"]


def outcome_of(status: int) -> Outcome:
    """What a write's answer says about it: 2xx acknowledged, 404 absent, other 4xx refused (not
    applied); 5xx, 0 (a timeout or a lost connection) unknown: it may have been applied.

    outcome_of(204), outcome_of(404), outcome_of(422), outcome_of(503), outcome_of(0)
    # -> ('ack', 'absent', 'refused', 'unknown', 'unknown')
    """
    if 200 <= status < 300:
        return "ack"
    if status == 404:
        return "absent"
    if 400 <= status < 500 and status != 408:
        return "refused"
    return "unknown"


def _older(read: object, acked: str | None) -> bool:
    """Whether the updatedAt a read showed is before the one an acknowledged write answered."""
    try:
        return datetime.fromisoformat(str(read)) < datetime.fromisoformat(str(acked)) - CLOCK_SLACK
    except ValueError:
        return False


@dataclass
class Plan:
    """What this process's users need: the scenario, the seeded accounts, the arrival clock."""

    scenario: Scenario
    accounts: list[str] = field(default_factory=list)
    password: str = ""
    worker_index: int = 0
    worker_count: int = 1
    arrivals: Arrivals | None = None
    ready: bool = True
    """False on a worker until the master's set-up (accounts) arrives; users wait for it."""
    ledger: Ledger | None = None
    """The process's ledger when the scenario audits (``audit: true``)."""

    def __post_init__(self) -> None:
        mix = [(a, w) for a, w in self.scenario.mix.items() if w > 0]
        self.actions = [a for a, _ in mix]
        self.cum_weights = list(itertools.accumulate(w for _, w in mix))
        self._total = self.cum_weights[-1]
        self._think = self.scenario.think
        self._counter = itertools.count()

    def pick(self) -> str:
        """The next journey step, by the mix's weights."""
        # bisect on cumulative weights: what random.choices does, without its per-call set-up
        return self.actions[bisect.bisect(self.cum_weights, random.random() * self._total)]

    def think(self) -> float:
        """Seconds to wait before the next step: uniform think time (closed), none (open)."""
        if self.arrivals is not None:
            return 0.0
        return random.uniform(self._think.min, self._think.max)

    def next_account(self) -> str | None:
        """An account for a new user; workers interleave, so users do not share one until wrap."""
        if not self.accounts:
            return None
        k = next(self._counter)
        return self.accounts[(k * self.worker_count + self.worker_index) % len(self.accounts)]


def configure(user_class: type[LoadgateUser], plan: Plan, waits: PoolWaits | None = None) -> None:
    """Give a user class its plan and a fresh shared pool (once per process, before spawning)."""
    user_class.plan = plan
    user_class.client_pool = shared_pool(plan.scenario, waits, plan.worker_count)
    user_class.network_timeout = user_class.connection_timeout = plan.scenario.timeout


def _json(response) -> dict:
    # Decode ourselves: FastResponse.text would guess the charset, slowly, on every response.
    try:
        data = json.loads((response.content or b"null").decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


class LoadgateUser(FastHttpUser):
    """Base of loadgate's users: shared pool, think time or arrival tickets, one step per task."""

    abstract = True
    plan: Plan

    def wait_time(self) -> float:
        return self.plan.think()

    def on_start(self) -> None:
        waited = 0.0
        while not self.plan.ready and waited < PLAN_WAIT_S:  # a worker that joined mid-run
            gevent.sleep(0.05)
            waited += 0.05

    @task
    def step(self) -> None:
        arrivals = self.plan.arrivals
        intended = arrivals.take() if arrivals is not None else None
        self.act(self.plan.pick(), intended)

    def act(self, action: str, intended: float | None) -> None:
        """Run one journey step; ``intended`` is its due time in the open model."""
        raise NotImplementedError

    def call(self, method: str, url: str, name: str, intended: float | None = None, **kwargs):
        """One request named ``name`` (a route template); the open model's due time rides along."""
        if intended is not None:
            kwargs["context"] = {"intended": intended}
        return self.client.request(method, url, name=name, **kwargs)


class TaskApiUser(LoadgateUser):
    """A user of the task API: signs in once with a seeded account, then works on its tasks."""

    def on_start(self) -> None:
        super().on_start()
        self.seen: list[str] = []
        self.created: list[str] = []
        self.unsure: dict[str, bool] = {}
        """Tasks whose last write ended unknown (id -> one of ours): re-read before relying on them."""
        self.acked: dict[str, tuple[dict, str | None]] = {}
        """Per task (auditing only), the values and updatedAt of this user's last acknowledged write."""
        self.ledger = self.plan.ledger
        self.auth: dict[str, str] = {}
        self.token_expires = 0.0
        self.sign_in_failures = 0
        self.sign_in_at = 0.0
        self.email = self.plan.next_account()
        self.login()

    def login(self, intended: float | None = None) -> None:
        """Sign in; after a failure, the next attempt waits :func:`sign_in_backoff` and is
        recorded as ``POST /auth/login (retry)``, outside the open model's schedule."""
        if self.email is None:
            return
        body = {"email": self.email, "password": self.plan.password}
        if self.sign_in_failures:
            response = self.call("POST", SIGN_IN, SIGN_IN_RETRY, json=body)
        else:
            response = self.call("POST", SIGN_IN, SIGN_IN, intended, json=body)
        data = _json(response) if response.status_code == 200 else {}
        token = data.get("access_token")
        if token:
            self.auth = {"Authorization": f"Bearer {token}"}
            self.token_expires = time.time() + float(data.get("expires_in") or 1800)
            self.sign_in_failures = 0
            return
        self.sign_in_failures += 1
        retry_after = retry_after_s(response.headers.get("Retry-After")) if response.headers else None
        self.sign_in_at = time.time() + sign_in_backoff(self.sign_in_failures, retry_after)

    def act(self, action: str, intended: float | None) -> None:
        if self.email is not None and (not self.auth or time.time() > self.token_expires - RELOGIN_MARGIN_S):
            # Signed out (a failed sign-in, a rejected or expiring token): sign in again instead
            # of the step, as a real client would; requests without a token would only measure
            # 401s. Tokens expire (30 min by default) and soaks outlive them. After a failed
            # sign-in, back off first: coming back at once keeps an overloaded API overloaded.
            wait = self.sign_in_at - time.time()
            if wait > 0:
                gevent.sleep(wait)
            self.login(intended)
            return
        if self.unsure:
            self.recheck(intended)  # before relying on what it knows: the task may or may not exist
            return
        getattr(self, action)(intended)

    def call(self, method: str, url: str, name: str, intended: float | None = None, **kwargs):
        response = super().call(method, url, name, intended, **kwargs)
        if response.status_code == 401 and url != SIGN_IN:
            self.auth = {}  # the token was refused: the next step signs in again
        return response

    def _get(self, url: str, name: str, intended: float | None):
        return self.call("GET", url, name, intended, headers=self.auth)

    def _remember(self, items: list) -> None:
        ids = [t["id"] for t in items if isinstance(t, dict) and "id" in t]
        self.seen = (ids + [i for i in self.seen if i not in ids])[:KNOWN_TASKS]

    def _some_task(self) -> str | None:
        return random.choice(self.seen) if self.seen else None

    # ---- journey steps (the keys of scenario.ACTIONS) -------------------------------------

    def browse(self, intended: float | None) -> None:
        # The default first page (20 tasks); no query string to build and parse on every request.
        items = _json(self._get("/tasks", "/tasks", intended)).get("items") or []
        self._remember(items)

    def filter(self, intended: float | None) -> None:
        status = random.choice(STATUSES)
        items = _json(self._get(f"/tasks?status={status}&limit={PAGE}", "/tasks", intended)).get("items")
        self._remember(items or [])

    def open_task(self, intended: float | None) -> None:
        task_id = self._some_task()
        if task_id is None:
            return self.browse(intended)  # nothing known yet: look at the list first
        self._read_task(task_id, intended)

    def recheck(self, intended: float | None) -> None:
        """Re-read a task whose last write ended unknown: it exists (known again) or it is gone."""
        task_id, ours = self.unsure.popitem()
        status = self._read_task(task_id, intended)
        if status == 200:
            self.seen.insert(0, task_id)
            del self.seen[KNOWN_TASKS:]
            if ours:
                self.created.append(task_id)
        elif status != 404:
            self.unsure[task_id] = ours  # still unknown: again at the next step

    def _read_task(self, task_id: str, intended: float | None) -> int:
        """``GET /tasks/{id}``, checked against this user's last acknowledged write of it; its status."""
        t0 = time.time()
        response = self._get(f"/tasks/{task_id}", "/tasks/{id}", intended)
        if response.status_code == 404:
            self._forget(task_id)
        elif response.status_code == 200 and self.ledger is not None and task_id in self.acked:
            data = _json(response)
            values, updated = self.acked[task_id]
            if any(data.get(k) != v for k, v in values.items()) and _older(data.get("updatedAt"), updated):
                self.ledger.add(LedgerEntry(
                    t=t0, done=time.time(), user=self.email or "", op="read", outcome="stale", task=task_id,
                    status=200, values={k: data.get(k) for k in values}, updated_at=data.get("updatedAt"),
                    expected=values, expected_updated_at=updated))
        return response.status_code

    def _write(self, method: str, url: str, op: Literal["create", "update", "delete"], task_id: str | None,
               intended: float | None, body: dict | None = None) -> tuple[Outcome, dict]:
        """One write; its outcome and answer, kept in the ledger when acknowledged or unknown."""
        t0, status, data = time.time(), 0, {}
        try:
            kwargs = {"json": body} if body is not None else {}
            response = self.call(method, url, "/tasks/{id}" if task_id else "/tasks", intended,
                                 headers=self.auth, **kwargs)
            status = response.status_code
            data = _json(response) if status in (200, 201) else {}
        finally:
            # A user stopped mid-request (the run's end) leaves its write in flight: status 0, unknown.
            outcome = outcome_of(status)
            if self.ledger is not None and outcome in ("ack", "unknown"):
                fields = TASK_FIELDS if op == "create" else tuple(body or ())
                values = {k: data.get(k) for k in fields} if outcome == "ack" else dict(body or {})
                task = task_id or data.get("id")
                self.ledger.add(LedgerEntry(t=t0, done=time.time(), user=self.email or "", op=op,
                                            outcome=outcome, task=task, status=status, values=values,
                                            updated_at=data.get("updatedAt")))
                if outcome == "ack" and task and op != "delete":
                    known = self.acked.pop(task, ({}, None))[0] if op == "update" else {}
                    self.acked[task] = ({**known, **values}, data.get("updatedAt"))
                    if len(self.acked) > ACKED_KEPT:
                        del self.acked[next(iter(self.acked))]
        return outcome, data

    def _unsure(self, task_id: str) -> None:
        """A write of this task ended unknown: neither kept as existing nor assumed gone."""
        ours = task_id in self.created
        self._forget(task_id, keep_acked=True)
        self.unsure[task_id] = ours

    def create_task(self, intended: float | None) -> None:
        due = time.gmtime(time.time() + random.randint(-48, 240) * 3600)
        body = {
            # unique, so the audit can tell whether a create whose answer never came was applied
            "title": f"Load task {random.getrandbits(48):012x}",
            "description": "Created by a loadgate journey.",
            "status": "todo",
            "priority": random.choice(PRIORITIES),
            "dueDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", due),
        }
        outcome, data = self._write("POST", "/tasks", "create", None, intended, body)
        if outcome == "ack" and "id" in data:
            self.created.append(data["id"])
            self.seen.insert(0, data["id"])
            del self.seen[KNOWN_TASKS:]

    def _set_status(self, status: str, intended: float | None) -> None:
        task_id = self._some_task()
        if task_id is None:
            return self.browse(intended)
        outcome, _ = self._write("PATCH", f"/tasks/{task_id}", "update", task_id, intended,
                                 {"status": status})
        if outcome == "absent":
            self._forget(task_id)
        elif outcome == "unknown":
            self._unsure(task_id)

    def update_status(self, intended: float | None) -> None:
        self._set_status("in_progress", intended)

    def complete_task(self, intended: float | None) -> None:
        self._set_status("done", intended)

    def delete_task(self, intended: float | None) -> None:
        if not self.created:
            return self.create_task(intended)  # only delete our own, so seeded data stays
        task_id = self.created[-1]
        outcome, _ = self._write("DELETE", f"/tasks/{task_id}", "delete", task_id, intended)
        if outcome == "unknown":
            self._unsure(task_id)
        elif outcome != "refused":  # deleted, or already gone; a refused delete left it in place
            self._forget(task_id)

    def analytics(self, intended: float | None) -> None:
        self._get("/analytics", "/analytics", intended)

    def view_profile(self, intended: float | None) -> None:
        self._get("/users/me", "/users/me", intended)

    def update_profile(self, intended: float | None) -> None:
        self.call("PATCH", "/users/me", "/users/me", intended,
                  json={"name": f"Load user {random.randrange(1_000_000)}"}, headers=self.auth)

    def _forget(self, task_id: str, keep_acked: bool = False) -> None:
        if task_id in self.seen:
            self.seen.remove(task_id)
        if task_id in self.created:
            self.created.remove(task_id)
        if not keep_acked:
            self.acked.pop(task_id, None)


_missing = [name for name in ACTIONS if not callable(getattr(TaskApiUser, name, None))]
assert not _missing, f"journey steps without an implementation: {_missing}"
