"""nginx in front of several ``loadgate serve`` replicas, with the repo's load-balancer config:
requests spread across replicas, and a replica killed mid-run fails no request."""

from __future__ import annotations

import os
import signal
import socket
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
DRAIN_S = 2.0


def start_replica(env: dict[str, str]) -> tuple[str, subprocess.Popen]:
    """One ``loadgate serve`` on a free port, ready; its address and process."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("AMQP_URL",)} | env
    # Its own process group, so a test can kill the replica whole (the CLI and its server).
    proc = subprocess.Popen([LOADGATE, "serve", "--port", str(port)], env=environ, start_new_session=True,
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


def run_balanced(mongodb_url: str, redis_url: str, **extra: str):
    """Two replicas on one FerretDB database and one Redis, behind nginx; yields (url, replicas)."""
    env = {"MONGODB_URL": mongodb_url, "MONGODB_DB": f"lb_{uuid.uuid4().hex[:8]}", "REDIS_URL": redis_url,
           "RATE_LIMIT": "0", "SEED_TOKEN": SEED_TOKEN, "LOG_LEVEL": "WARN",
           "JWT_SECRET": "test-secret-0123456789-0123456789-abcdef"} | extra
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
            proc.wait(timeout=30)


@pytest.fixture
def balanced(mongodb_url, redis_url):
    yield from run_balanced(mongodb_url, redis_url)


@pytest.fixture
def balanced_draining(mongodb_url, redis_url):
    yield from run_balanced(mongodb_url, redis_url, SHUTDOWN_DRAIN_SECONDS=str(DRAIN_S))


def signed_in(client: httpx.Client) -> dict[str, str]:
    """A seeded user's bearer header, through the balancer."""
    seeded = client.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                         json={"users": 1, "password": "correct horse battery",
                               "email_prefix": f"lb{uuid.uuid4().hex[:6]}-"})
    assert seeded.status_code == 200, seeded.text
    email = seeded.json()["users"][0]["email"]
    token = client.post("/auth/login", json={"email": email, "password": "correct horse battery"})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def kill_replica(address: str, proc: subprocess.Popen) -> None:
    """SIGKILL the replica whole and wait until its port refuses connections.

    Killing only the ``loadgate serve`` CLI would leave its server a graceful shutdown (the
    parent-death signal is SIGTERM), which is another test's case, not a crash.
    """
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    host, port = address.rsplit(":", 1)
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return
        time.sleep(0.05)
    pytest.fail(f"replica {address} still accepts connections after SIGKILL")


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
        headers = signed_in(client)
        kill_replica(*replicas[0])
        statuses = []
        for i in range(30):
            statuses.append(client.post("/tasks", headers=headers, json={"title": f"t{i}"}).status_code)
            statuses.append(client.get("/tasks", headers=headers).status_code)
    assert statuses == [201, 200] * 30


def test_a_replica_stopped_with_sigterm_drains_and_fails_no_request(balanced_draining):
    """A rolling restart: the replica goes unready, keeps answering for the drain, then stops;
    writes through the balancer go on all the while, across the moment it closes its socket."""
    url, replicas = balanced_draining
    address, proc = replicas[0]
    with httpx.Client(base_url=url) as client:
        headers = signed_in(client)
        proc.terminate()  # the CLI passes SIGTERM on to its server
        deadline = time.monotonic() + 5
        while (ready := httpx.get(f"http://{address}/ready", timeout=2)).status_code == 200:
            assert time.monotonic() < deadline, "a draining replica still says it is ready"
            time.sleep(0.05)
        assert ready.status_code == 503 and ready.json()["draining"] is True, ready.text
        assert ready.headers["connection"] == "close"
        statuses: list[int] = []
        stopped_at = None
        deadline = time.monotonic() + DRAIN_S + 30
        while time.monotonic() < deadline and (stopped_at is None or len(statuses) < stopped_at + 40):
            statuses.append(client.post("/tasks", headers=headers, json={"title": "t"}).status_code)
            statuses.append(client.get("/tasks", headers=headers).status_code)
            if stopped_at is None and proc.poll() is not None:
                stopped_at = len(statuses)
    assert stopped_at is not None, "the replica did not stop after its drain"
    assert proc.returncode == 128 + signal.SIGTERM  # a clean shutdown, then SIGTERM re-raised
    assert statuses == [201, 200] * (len(statuses) // 2)
