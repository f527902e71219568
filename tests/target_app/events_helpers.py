"""Helpers for the events tests: wait for async work, run the worker process, find one's emails."""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testsupport.servers import SmtpSink

LOADGATE = str(Path(sys.executable).with_name("loadgate"))


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


def start_worker(**env: str) -> subprocess.Popen:
    """``loadgate serve-worker`` with this environment (on top of ours, minus server URLs)."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("MONGODB_URL", "REDIS_URL", "AMQP_URL", "SMTP_URL")}
    environ |= {"LOG_LEVEL": "WARN", **env}
    return subprocess.Popen([LOADGATE, "serve-worker"], env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def stop_worker(proc: subprocess.Popen) -> str:
    """Stop a worker gracefully; its output."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]
