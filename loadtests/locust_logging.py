"""Locust's "spawn rate is very high" warning, once per process instead of once per shape tick
(headless runs, workers and the web UI alike).

A shape re-targets the user count every second, and Locust warns on every ``start`` whose spawn
rate is above 100: a ramp printed it once a second for its whole length.

    warn_once()     # idempotent; the first such warning still shows
"""

from __future__ import annotations

import logging

SPAWN_RATE_WARNING = "Your selected spawn rate is very high"


class OnceFilter(logging.Filter):
    """Passes the first record whose message starts with ``prefix``, drops the repeats."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith(self.prefix):
            return True
        if self.seen:
            return False
        self.seen = True
        return True


def warn_once(logger_name: str = "locust.runners") -> OnceFilter:
    """Install (once) the filter on Locust's runners logger and return it."""
    logger = logging.getLogger(logger_name)
    for f in logger.filters:
        if isinstance(f, OnceFilter) and f.prefix == SPAWN_RATE_WARNING:
            return f
    once = OnceFilter(SPAWN_RATE_WARNING)
    logger.addFilter(once)
    return once
