"""What a simulated user does: sign in once, then journey steps picked by the scenario's mix.

    configure(TaskApiUser, Plan(scenario, accounts=emails, password="..."))
    env = Environment(user_classes=[TaskApiUser], host="http://127.0.0.1:8000")

Each step is one request, named by its route template (``GET /tasks/{id}``, never the raw URL)
so statistics group by endpoint. Closed model: a user waits its think time between steps. Open
model: a user takes the next arrival ticket and the request carries the ticket's due time in its
context (``intended``), from which the recorder measures the corrected latency.

Users share one HTTP connection pool per process (``Scenario.connections`` sockets, by default
one per user of the process up to the open-file limit; sockets open only as requests need them),
like users behind a load balancer. A request that finds every connection busy waits in the
generator, not in the API: :class:`PoolWaits` times that wait per request, so the recorder keeps
it apart from the time on the wire (``Recorder.record(wait_us=...)``).

Custom journeys subclass :class:`LoadgateUser` and implement ``act(action, intended)``; name them
in a scenario with ``user_class: module:Class``.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import random
import resource
import time
from dataclasses import dataclass, field

import gevent
from gevent import getcurrent
from geventhttpclient.client import HTTPClientPool
from locust import FastHttpUser, task
from locust.contrib.fasthttp import insecure_ssl_context_factory

from loadtests.arrivals import Arrivals
from loadtests.backoff import retry_after_s, sign_in_backoff
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


FD_RESERVE = 64
"""Open files a generator process keeps for itself (logs, the master's socket, the SUT probe)."""


class PoolWaits:
    """Per user greenlet, the seconds its request in flight waited for a pooled connection.

        waits = PoolWaits()
        waits.note(0.002)      # inside the pool, in the requesting greenlet
        waits.take()           # in the request event, same greenlet: 0.002, and reset
    """

    def __init__(self) -> None:
        self.pending: dict[object, float] = {}

    def note(self, seconds: float) -> None:
        g = getcurrent()
        self.pending[g] = self.pending.get(g, 0.0) + seconds

    def take(self) -> float:
        return self.pending.pop(getcurrent(), 0.0) if self.pending else 0.0


class _TimedSlots:
    """A connection pool's semaphore that times only the acquisitions that have to wait.

    geventhttpclient's ``ConnectionPool.get_socket`` takes a slot of this semaphore before it
    reuses or opens a socket; the slot free at once (the common case) costs one comparison.
    """

    __slots__ = ("_sem", "_waits")

    def __init__(self, sem, waits: PoolWaits):
        self._sem, self._waits = sem, waits

    def acquire(self, *args, **kwargs):
        sem = self._sem
        if sem.counter > 0:
            return sem.acquire(*args, **kwargs)
        t0 = time.perf_counter()
        try:
            return sem.acquire(*args, **kwargs)
        finally:
            self._waits.note(time.perf_counter() - t0)

    def release(self):
        return self._sem.release()

    def __getattr__(self, name):
        return getattr(self._sem, name)


class TimedClientPool(HTTPClientPool):
    """geventhttpclient's per-host client pool, each client's connection slots timed."""

    def __init__(self, waits: PoolWaits, **kwargs):
        super().__init__(**kwargs)
        self.waits = waits

    def get_client(self, url):
        client = super().get_client(url)
        pool = client._connection_pool
        if type(pool._semaphore) is not _TimedSlots:
            pool._semaphore = _TimedSlots(pool._semaphore, self.waits)
        return client


def open_file_limit() -> int:
    """This process's open-file limit, raised to the hard limit first (sockets are files)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 1_048_576


def pool_size(scenario: Scenario, worker_count: int = 1) -> int:
    """Connections for one process: the scenario's, or one per user this process may run.

    A closed-model user has at most one request in flight, so one connection per user never
    makes a request wait in the generator; sockets open only when that many are in flight at
    once, so the bound costs nothing until then. Capped by the open-file limit.
    """
    if scenario.connections is not None:
        return scenario.connections
    users = math.ceil(scenario.users / max(1, worker_count))
    return max(1, min(users, open_file_limit() - FD_RESERVE))


def shared_pool(scenario: Scenario, waits: PoolWaits | None = None, worker_count: int = 1) -> HTTPClientPool:
    """One connection pool for all users of this process (one client per host inside)."""
    return TimedClientPool(
        waits if waits is not None else PoolWaits(),
        concurrency=pool_size(scenario, worker_count),
        network_timeout=scenario.timeout,
        connection_timeout=scenario.timeout,
        insecure=True,
        ssl_context_factory=insecure_ssl_context_factory,
    )


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
        response = self._get(f"/tasks/{task_id}", "/tasks/{id}", intended)
        if response.status_code == 404:
            self._forget(task_id)

    def create_task(self, intended: float | None) -> None:
        due = time.gmtime(time.time() + random.randint(-48, 240) * 3600)
        body = {
            "title": f"Load task {random.randrange(1_000_000)}",
            "description": "Created by a loadgate journey.",
            "status": "todo",
            "priority": random.choice(PRIORITIES),
            "dueDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", due),
        }
        data = _json(self.call("POST", "/tasks", "/tasks", intended, json=body, headers=self.auth))
        if "id" in data:
            self.created.append(data["id"])
            self.seen.insert(0, data["id"])
            del self.seen[KNOWN_TASKS:]

    def _set_status(self, status: str, intended: float | None) -> None:
        task_id = self._some_task()
        if task_id is None:
            return self.browse(intended)
        response = self.call("PATCH", f"/tasks/{task_id}", "/tasks/{id}", intended,
                             json={"status": status}, headers=self.auth)
        if response.status_code == 404:
            self._forget(task_id)

    def update_status(self, intended: float | None) -> None:
        self._set_status("in_progress", intended)

    def complete_task(self, intended: float | None) -> None:
        self._set_status("done", intended)

    def delete_task(self, intended: float | None) -> None:
        if not self.created:
            return self.create_task(intended)  # only delete our own, so seeded data stays
        task_id = self.created.pop()
        self.call("DELETE", f"/tasks/{task_id}", "/tasks/{id}", intended, headers=self.auth)
        self._forget(task_id)

    def analytics(self, intended: float | None) -> None:
        self._get("/analytics", "/analytics", intended)

    def view_profile(self, intended: float | None) -> None:
        self._get("/users/me", "/users/me", intended)

    def update_profile(self, intended: float | None) -> None:
        self.call("PATCH", "/users/me", "/users/me", intended,
                  json={"name": f"Load user {random.randrange(1_000_000)}"}, headers=self.auth)

    def _forget(self, task_id: str) -> None:
        if task_id in self.seen:
            self.seen.remove(task_id)
        if task_id in self.created:
            self.created.remove(task_id)


_missing = [name for name in ACTIONS if not callable(getattr(TaskApiUser, name, None))]
assert not _missing, f"journey steps without an implementation: {_missing}"
