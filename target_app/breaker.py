"""A small asyncio-friendly circuit breaker.

Written here rather than taken from a library: pybreaker guards synchronous calls (and Tornado
coroutines), aiobreaker has been unmaintained since 2021, and what the API needs is small: a
state the caller checks before reaching a server, failures and successes reported after.

    breaker = CircuitBreaker("store", failures=3, reset_seconds=5)
    if not breaker.allow():
        raise StoreUnavailable(retry_after=breaker.retry_after())
    try:
        result = await call()
    except StoreUnavailable:
        breaker.failure()
        raise
    breaker.success()

Closed: calls go through; ``failures`` consecutive failures open it. Open: calls are refused
until ``reset_seconds`` have passed, then it is half-open and lets one probe through; the probe's
success closes it, its failure opens it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum

from target_app.logs import logger


class State(IntEnum):
    """Breaker states, valued as the ``taskapi_circuit_breaker_state`` gauge reports them."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; probes again after ``reset_seconds``."""

    def __init__(self, name: str, *, failures: int = 3, reset_seconds: float = 5.0,
                 on_change: Callable[[str, State], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self._on_change = on_change
        self._clock = clock
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_started: float | None = None
        if on_change:
            on_change(name, State.CLOSED)

    @property
    def state(self) -> State:
        """The current state (an open breaker whose pause is over reports half-open)."""
        if self._state is State.OPEN and self._clock() - self._opened_at >= self.reset_seconds:
            return State.HALF_OPEN
        return self._state

    def allow(self) -> bool:
        """Whether a call may go through now. Half-open lets one probe at a time through."""
        if self._state is State.CLOSED:
            return True
        now = self._clock()
        if self._state is State.OPEN:
            if now - self._opened_at < self.reset_seconds:
                return False
            self._set(State.HALF_OPEN)
        # Half-open: one probe in flight; a probe that never reported (cancelled) times out.
        if self._probe_started is None or now - self._probe_started >= self.reset_seconds:
            self._probe_started = now
            return True
        return False

    def retry_after(self) -> float:
        """Seconds until the breaker will let a probe through (at least 1 when not closed)."""
        if self._state is State.CLOSED:
            return 0.0
        return max(1.0, self.reset_seconds - (self._clock() - self._opened_at))

    def success(self) -> None:
        """Report a call that reached the server: closes a half-open breaker."""
        self._failures = 0
        if self._state is not State.CLOSED:
            self._probe_started = None
            self._set(State.CLOSED)

    def failure(self) -> None:
        """Report a call that could not reach the server."""
        self._failures += 1
        if self._state is State.HALF_OPEN or self._failures >= self.threshold:
            self.trip()

    def trip(self) -> None:
        """Open now, whatever the count (e.g. the cache may hold stale data)."""
        self._opened_at = self._clock()
        self._probe_started = None
        if self._state is not State.OPEN:
            self._set(State.OPEN)

    def _set(self, state: State) -> None:
        previous, self._state = self._state, state
        log = logger.warning if state is State.OPEN else logger.info
        log("circuit breaker %s: %s -> %s", self.name, previous.name.lower(), state.name.lower(),
            extra={"breaker": self.name, "state": state.name.lower()})
        if self._on_change:
            self._on_change(self.name, state)
