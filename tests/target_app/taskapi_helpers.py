"""Helpers for the task API's tests: run an app in-process, read its metrics, make tokens."""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
from prometheus_client.parser import text_string_to_metric_families

from target_app.main import create_app
from target_app.settings import Settings

LOADGATE = str(Path(sys.executable).with_name("loadgate"))
SEED_TOKEN = "test-seed-token"
PASSWORD = "correct horse battery"


def settings(**overrides: object) -> Settings:
    """Test settings: no rate limit unless asked, a seed token, quick breakers."""
    values: dict[str, object] = {"RATE_LIMIT": "0", "SEED_TOKEN": SEED_TOKEN, "LOG_LEVEL": "WARN",
                                 "BREAKER_RESET_SECONDS": 0.5, "STORE_TIMEOUT_MS": 1000,
                                 "JWT_SECRET": "test-secret-0123456789-0123456789-abcdef"}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running(config: Settings, client_ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """The app built from ``config``, started (lifespan) and reachable through an httpx client."""
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://taskapi") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@dataclass
class User:
    """A seeded user and the headers that authenticate as them."""

    id: str
    email: str
    headers: dict[str, str]


async def seed_users(client: httpx.AsyncClient, count: int, tasks_per_user: int = 0) -> list[User]:
    """``count`` fresh users (one argon2 hash for all), with tokens issued by the app itself."""
    prefix = "u" + uuid.uuid4().hex[:10] + "-"
    response = await client.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                                 json={"users": count, "tasks_per_user": tasks_per_user,
                                       "password": PASSWORD, "email_prefix": prefix})
    assert response.status_code == 200, response.text
    tokens = client.app.state.services.tokens  # type: ignore[attr-defined]
    return [User(u["id"], u["email"], {"Authorization": f"Bearer {tokens.issue(u['id'])[0]}"})
            for u in response.json()["users"]]


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


async def metric(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The current value of a metric (summed over matching label sets), read from /metrics."""
    response = await client.get("/metrics")
    return sample(response.text, name, **labels)


def forge(claims: dict, secret: str, algorithm: str = "HS256") -> str:
    """A JWT with any claims, signed with any secret (or ``algorithm="none"``)."""
    return jwt.encode(claims, None if algorithm == "none" else secret, algorithm=algorithm)


def crash(server) -> None:
    """Kill a test server outright (SIGKILL), as a crash would: faster than its graceful stop."""
    server.proc.kill()
    server.proc.wait()


class Clock:
    """A clock the test moves by hand (``clock.now += 5``), for breakers and TTLs."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def events_handled(client: httpx.AsyncClient) -> None:
    """Wait until the in-process queue has handled what was published (its work touches the cache)."""
    import asyncio

    transport = client.app.state.services.events.transport  # type: ignore[attr-defined]
    for _ in range(1000):
        if not hasattr(transport, "idle") or transport.idle():
            return
        await asyncio.sleep(0.01)
