"""Fixtures for the task API's tests: one app on real Redis and FerretDB for the session."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from taskapi_helpers import LOADGATE, Clock, User, running, seed_users, settings

from testsupport.servers import free_port


@pytest.fixture(scope="session")
async def api(redis_url: str, mongodb_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the session's Redis and FerretDB (a database of its own), rate limit off."""
    config = settings(MONGODB_URL=mongodb_url, MONGODB_DB=f"taskapi_{uuid.uuid4().hex[:8]}",
                      REDIS_URL=redis_url)
    async with running(config) as client:
        yield client


@pytest.fixture(scope="session")
async def user_pool(api: httpx.AsyncClient) -> list[User]:
    """Fresh users, seeded in one call; tests take their own with the ``user`` fixtures."""
    return await seed_users(api, 250)


@pytest.fixture
def take_user(user_pool: list[User]):
    """A function handing out a user no other test has used."""
    def take() -> User:
        if not user_pool:
            pytest.fail("user pool exhausted: raise its size in tests/target_app/conftest.py")
        return user_pool.pop()
    return take


@pytest.fixture
def alice(take_user) -> User:
    """A user of this test's own."""
    return take_user()


@pytest.fixture
def bob(take_user) -> User:
    """Another user of this test's own."""
    return take_user()


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock, starting at 0."""
    return Clock()


@pytest.fixture
def serve(tmp_path):
    """Start ``loadgate serve`` with extra arguments and environment; stopped after the test."""
    procs: list[subprocess.Popen] = []

    def start(*args: str, **env: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        environ = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
        environ |= {"SQLITE_PATH": str(tmp_path / "serve.sqlite3"), "RATE_LIMIT": "0"} | env
        proc = subprocess.Popen([LOADGATE, "serve", "--port", str(port), *args], env=environ,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    return url, proc
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"loadgate serve did not come up:\n{proc.communicate(timeout=5)[0]}")
            time.sleep(0.1)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)
