"""The circuit breaker, on a clock the test moves by hand."""

from __future__ import annotations

import pytest
from taskapi_helpers import Clock

from target_app.breaker import CircuitBreaker, State


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker("store", failures=3, reset_seconds=5, clock=clock)


def test_it_starts_closed_and_lets_calls_through(breaker):
    assert breaker.state is State.CLOSED
    assert breaker.allow()


def test_it_opens_after_the_threshold_of_consecutive_failures(breaker):
    breaker.failure()
    breaker.failure()
    assert breaker.state is State.CLOSED
    breaker.failure()
    assert breaker.state is State.OPEN
    assert not breaker.allow()


def test_a_success_resets_the_failure_count(breaker):
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state is State.CLOSED


def test_after_the_pause_it_lets_exactly_one_probe_through(breaker, clock):
    breaker.trip()
    clock.now = 5
    assert breaker.allow()
    assert breaker.state is State.HALF_OPEN
    assert not breaker.allow()


def test_a_successful_probe_closes_it(breaker, clock):
    breaker.trip()
    clock.now = 5
    breaker.allow()
    breaker.success()
    assert breaker.state is State.CLOSED
    assert breaker.allow()


def test_a_failed_probe_opens_it_for_another_pause(breaker, clock):
    breaker.trip()
    clock.now = 5
    breaker.allow()
    breaker.failure()
    assert breaker.state is State.OPEN
    clock.now = 9
    assert not breaker.allow()
    clock.now = 10
    assert breaker.allow()


def test_a_probe_that_never_reports_back_is_replaced_after_the_pause(breaker, clock):
    breaker.trip()
    clock.now = 5
    assert breaker.allow()  # this probe is cancelled and never reports
    clock.now = 10
    assert breaker.allow()


def test_retry_after_says_how_long_until_the_next_probe(breaker, clock):
    breaker.trip()
    clock.now = 2
    assert breaker.retry_after() == 3


def test_state_changes_are_published(clock):
    seen: list[tuple[str, State]] = []
    breaker = CircuitBreaker("cache", failures=1, reset_seconds=5, clock=clock,
                             on_change=lambda name, state: seen.append((name, state)))
    breaker.failure()
    clock.now = 5
    breaker.allow()
    breaker.success()
    assert seen == [("cache", State.CLOSED), ("cache", State.OPEN), ("cache", State.HALF_OPEN),
                    ("cache", State.CLOSED)]
