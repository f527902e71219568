"""A ramp re-targets the users every second; Locust's spawn-rate warning shows once, not per tick."""

from __future__ import annotations

import logging

from loadtests.locust_logging import SPAWN_RATE_WARNING, warn_once


def _warn_per_tick(logger: logging.Logger, ticks: int) -> None:
    for _ in range(ticks):  # what Locust's runner logs on every start() above 100 users/s
        logger.warning(f"{SPAWN_RATE_WARNING} (>100), and this is known to sometimes cause issues.")


def test_the_spawn_rate_warning_shows_once_for_a_whole_ramp(caplog):
    logger = logging.getLogger("locust.runners")
    once = warn_once()
    try:
        with caplog.at_level(logging.WARNING, logger="locust.runners"):
            _warn_per_tick(logger, 30)
            logger.warning("another warning")
        texts = [r.getMessage() for r in caplog.records]
        assert sum(t.startswith(SPAWN_RATE_WARNING) for t in texts) == 1
        assert "another warning" in texts
        assert warn_once() is once  # installing twice keeps one filter
    finally:
        logger.removeFilter(once)
