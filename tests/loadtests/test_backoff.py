"""Sign-in backoff: exponential, jittered, capped, and never sooner than the API's Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from loadtests.backoff import retry_after_s, sign_in_backoff


@pytest.fixture(autouse=True)
def seeded_random():
    random.seed(9)


def longest(failures: int, **kwargs) -> float:
    return max(sign_in_backoff(failures, **kwargs) for _ in range(2000))


def test_the_longest_wait_doubles_with_each_failure():
    assert [round(longest(n)) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]


def test_the_wait_is_capped():
    assert 29 < longest(12, cap=30.0) <= 30.0


def test_users_refused_together_do_not_come_back_together():
    waits = [sign_in_backoff(3) for _ in range(100)]
    assert len({round(w, 3) for w in waits}) > 90
    assert min(waits) < 1.0 < 3.0 < max(waits)


def test_the_wait_is_never_shorter_than_retry_after():
    assert min(sign_in_backoff(1, retry_after=5.0) for _ in range(1000)) >= 5.0


def test_retry_after_is_honoured_beyond_the_cap():
    assert sign_in_backoff(1, retry_after=60.0, cap=30.0) >= 60.0


@pytest.mark.parametrize(("header", "seconds"), [("2", 2.0), ("0", 0.0), (None, None), ("soon", None)])
def test_retry_after_in_delay_seconds(header, seconds):
    assert retry_after_s(header) == seconds


def test_retry_after_as_an_http_date():
    header = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_s(header) <= 30
