"""Forwarded headers: ``X-Forwarded-For`` names the client only when a trusted proxy sent it.

Otherwise a caller rotating the header would be a new client on every request, and never rate
limited. The server tests run ``loadgate serve`` on its embedded defaults: a fresh in-process
limiter per server, so the counts start at zero whatever else the suite has done.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import httpx
import pytest
from taskapi_helpers import LOADGATE, running, settings

from testsupport.servers import free_port

LOGIN = {"email": "nobody@example.org", "password": "wrong password"}


def _logins(url: str, forwarded_for: list[str]) -> list[int]:
    """The status of one failed login per ``X-Forwarded-For`` value, in order."""
    with httpx.Client(base_url=url) as client:
        return [client.post("/auth/login", json=LOGIN, headers={"X-Forwarded-For": ip}).status_code
                for ip in forwarded_for]


def _rotating(count: int) -> list[str]:
    return [f"203.0.113.{i + 1}" for i in range(count)]


def test_serve_ignores_x_forwarded_for_from_an_untrusted_peer(serve):
    """The bypass: from 127.0.0.1 uvicorn used to believe the header, so each login was a new IP."""
    url, _ = serve(RATE_LIMIT="2/minute")
    assert _logins(url, _rotating(4)) == [401, 401, 429, 429]


def test_serve_honours_x_forwarded_for_from_a_trusted_proxy(serve):
    url, _ = serve(RATE_LIMIT="2/minute", TRUSTED_PROXIES="127.0.0.1")
    assert _logins(url, _rotating(4)) == [401, 401, 401, 401]
    assert _logins(url, ["198.51.100.9"] * 3) == [401, 401, 429]


def test_serve_refuses_a_trusted_proxy_that_is_not_an_address():
    environ = os.environ | {"TRUSTED_PROXIES": "10.0.0.1,the-load-balancer"}
    result = subprocess.run([LOADGATE, "serve", "--port", str(free_port())], env=environ,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "loadgate serve: TRUSTED_PROXIES: Value error, 'the-load-balancer' is not an IP address or network "
        "(like 10.0.0.5 or 10.0.0.0/8)"]


async def _app_logins(client: httpx.AsyncClient, forwarded_for: list[str]) -> list[int]:
    return [(await client.post("/auth/login", json=LOGIN, headers={"X-Forwarded-For": value})).status_code
            for value in forwarded_for]


def _fresh_ip(prefix: str) -> str:
    """An address no other test (nor an earlier run on the same Redis) has been counted as."""
    return f"{prefix}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
async def behind_proxy(redis_url, mongodb_url):
    """The API trusting the proxy network 10.9.0.0/16, reached from the proxy 10.9.0.5."""
    config = settings(MONGODB_URL=mongodb_url, MONGODB_DB=f"proxied_{uuid.uuid4().hex[:8]}",
                      REDIS_URL=redis_url, RATE_LIMIT="2/minute", TRUSTED_PROXIES="10.9.0.0/16")
    async with running(config, client_ip="10.9.0.5") as client:
        yield client


async def test_a_trusted_proxy_names_the_client_the_limit_counts(behind_proxy):
    client_ip = _fresh_ip("198.18")
    assert await _app_logins(behind_proxy, [client_ip] * 3) == [401, 401, 429]
    assert await _app_logins(behind_proxy, [_fresh_ip("198.18")]) == [401]


async def test_a_client_cannot_prepend_addresses_through_a_trusted_proxy(behind_proxy):
    """The proxy appends the peer it saw: the rightmost untrusted address is the client."""
    client_ip = _fresh_ip("198.19")
    assert await _app_logins(behind_proxy, [f"192.0.2.{i}, {client_ip}" for i in range(3)]) == [401, 401, 429]


async def test_without_trusted_proxies_the_app_ignores_the_header(redis_url, mongodb_url):
    config = settings(MONGODB_URL=mongodb_url, MONGODB_DB=f"unproxied_{uuid.uuid4().hex[:8]}",
                      REDIS_URL=redis_url, RATE_LIMIT="2/minute")
    async with running(config, client_ip=_fresh_ip("10.8")) as client:
        assert await _app_logins(client, _rotating(3)) == [401, 401, 429]
