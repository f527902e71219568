"""Helpers for the events tests: wait for async work, run the worker process, find one's emails."""

from __future__ import annotations

import asyncio
import inspect
import time

import pytest

from testsupport.servers import SmtpSink, start_worker, stop_worker


async def wait_for(check, what: str, timeout: float = 30.0, interval: float = 0.05):
    """Poll ``check`` (sync or async) until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


def emails_to(sink: SmtpSink, address: str) -> list:
    """The messages the sink received for ``address``."""
    return [m for m in list(sink.messages) if m["To"] == address]


__all__ = ["emails_to", "start_worker", "stop_worker", "wait_for"]
