"""The API's shutdown is bounded: a service whose close never returns is left behind, logged."""

from __future__ import annotations

import asyncio
import time

from target_app import main


async def test_a_close_that_never_returns_is_left_behind_within_the_bound(monkeypatch, caplog):
    monkeypatch.setattr(main, "SHUTDOWN_STEP_S", 0.2)

    released = asyncio.Event()

    async def stuck() -> None:  # ignores its cancellation too, as a wedged client library may
        while not released.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue

    t0 = time.monotonic()
    await main._bounded_close("events", stuck())
    assert time.monotonic() - t0 < 2
    released.set()  # let it end: the test's event loop must close
    await asyncio.sleep(0.2)
    assert "events did not close within" in caplog.text


async def test_a_close_that_fails_is_logged_and_the_shutdown_goes_on(caplog):
    async def failing() -> None:
        raise ConnectionError("broker gone")

    await main._bounded_close("cache", failing())
    assert "cache failed to close" in caplog.text and "broker gone" in caplog.text
