"""When to try again after a refused request: exponential backoff with full jitter, a cap, and
the server's ``Retry-After`` as the least wait. Pure functions (no Locust), used by the journeys.

    >>> delay = sign_in_backoff(failures=3, retry_after=retry_after_s("1"))
    >>> 1.0 <= delay <= 5.0
    True
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

SIGN_IN_RETRY_BASE_S = 1.0
SIGN_IN_RETRY_CAP_S = 30.0


def sign_in_backoff(failures: int, retry_after: float | None = None, *, base: float = SIGN_IN_RETRY_BASE_S,
                    cap: float = SIGN_IN_RETRY_CAP_S) -> float:
    """Seconds to wait before signing in again after ``failures`` failed sign-ins in a row.

    Exponential backoff with full jitter (uniform up to ``base * 2**(failures-1)``, capped), so
    users refused together do not come back together; never sooner than the server's
    ``Retry-After``:

        >>> 0.0 <= sign_in_backoff(1) <= 1.0
        True
        >>> sign_in_backoff(20) <= 30.0
        True
        >>> 5.0 <= sign_in_backoff(1, retry_after=5) <= 6.0
        True
    """
    jitter = random.uniform(0.0, min(cap, base * 2 ** (max(failures, 1) - 1)))
    return max(0.0, retry_after) + jitter if retry_after is not None else jitter


def retry_after_s(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (delay seconds or an HTTP date), None if absent or bad.

        >>> retry_after_s("2")
        2.0
        >>> retry_after_s(None) is None
        True
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
