"""nginx in front of several ``loadgate serve`` replicas, with the repo's load-balancer config:
requests spread across replicas, and a replica killed mid-run fails no request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from taskapi_helpers import SEED_TOKEN, sample

from loadgate.paths import free_port
from testsupport import servers

LOADGATE = str(Path(sys.executable).with_name("loadgate"))


def start_replica(env: dict[str, str]) -> tuple[str, subprocess.Popen]:
    """One ``loadgate serve`` on a free port, ready; its address and process."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("AMQP_URL",)} | env
    proc = subprocess.Popen([LOADGATE, "serve", "--port", str(port)], env=environ,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return f"127.0.0.1:{port}", proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"replica on port {port} did not come up")
        time.sleep(0.1)


@pytest.fixture
def balanced(mongodb_url, redis_url):
    """Two replicas on one FerretDB database and one Redis, behind nginx; (url, replicas)."""
    env = {"MONGODB_URL": mongodb_url, "MONGODB_DB": f"lb_{uuid.uuid4().hex[:8]}", "REDIS_URL": redis_url,
           "RATE_LIMIT": "0", "SEED_TOKEN": SEED_TOKEN, "LOG_LEVEL": "WARN",
           "JWT_SECRET": "test-secret-0123456789-0123456789-abcdef"}
    replicas = [start_replica(env) for _ in range(2)]
    try:
        nginx = servers.start_nginx_balancer([address for address, _ in replicas])
    except servers.ServerUnavailable as exc:
        pytest.fail(f"nginx: {exc}", pytrace=False)
    yield nginx.url, replicas
    nginx.stop()
    for _, proc in replicas:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)


def health_count(address: str) -> float:
    """``GET /health`` requests a replica has answered, from its own /metrics."""
    text = httpx.get(f"http://{address}/metrics").text
    return sample(text, "taskapi_http_request_duration_seconds_count", route="/health")


def test_the_balancer_spreads_requests_across_replicas(balanced):
    url, replicas = balanced
    before = [health_count(address) for address, _ in replicas]
    with httpx.Client(base_url=url) as client:
        for _ in range(40):
            assert client.get("/health").status_code == 200
    served = [health_count(address) - b for (address, _), b in zip(replicas, before, strict=True)]
    assert sum(served) == 40
    assert all(n >= 10 for n in served), served


def test_a_killed_replica_fails_no_request(balanced):
    url, replicas = balanced
    with httpx.Client(base_url=url) as client:
        seeded = client.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                             json={"users": 1, "password": "correct horse battery",
                                   "email_prefix": f"lb{uuid.uuid4().hex[:6]}-"})
        assert seeded.status_code == 200, seeded.text
        email = seeded.json()["users"][0]["email"]
        token = client.post("/auth/login", json={"email": email, "password": "correct horse battery"})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        replicas[0][1].kill()
        replicas[0][1].wait()
        statuses = []
        for i in range(30):
            statuses.append(client.post("/tasks", headers=headers, json={"title": f"t{i}"}).status_code)
            statuses.append(client.get("/tasks", headers=headers).status_code)
    assert statuses == [201, 200] * 30
