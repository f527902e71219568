"""Tiny test servers on 127.0.0.1 for the load-generation tests (threads in this process)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from runhelpers import FAILED_LOGINS, NOMINAL_CYCLE_US, RETRY_AFTER_S, SLOW_S, STALL_AT_S, STALL_S


@dataclass
class LocalServer:
    url: str
    requests: Callable[[], int]


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the generator's pooled connections expect

    def log_message(self, *args) -> None:
        pass

    def answer(self, headers: dict[str, str] | None = None) -> None:
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def exact_server() -> Iterator[LocalServer]:
    """Serves ``GET /exact`` taking the next service time of NOMINAL_CYCLE_US, and names it in
    ``X-Nominal-Us`` (the time it meant to take, not what the sleep and the socket added)."""
    lock = threading.Lock()
    count = [0]

    class Handler(_Handler):
        def do_GET(self) -> None:
            with lock:
                nominal = NOMINAL_CYCLE_US[count[0] % len(NOMINAL_CYCLE_US)]
                count[0] += 1
            time.sleep(nominal / 1e6)
            self.answer({"X-Nominal-Us": str(nominal)})

    for server in _serve(Handler):
        yield LocalServer(f"http://127.0.0.1:{server.server_port}", lambda: count[0])


@pytest.fixture
def stall_server() -> Iterator[LocalServer]:
    """Answers at once, except from STALL_AT_S after its first request for STALL_S: every
    request that arrives or waits in that second is answered when it ends (a GC pause, a
    failover)."""
    lock = threading.Lock()
    first: list[float] = []
    count = [0]

    class Handler(_Handler):
        def do_GET(self) -> None:
            with lock:
                now = time.monotonic()
                if not first:
                    first.append(now)
                count[0] += 1
            stall_from = first[0] + STALL_AT_S
            stall_until = stall_from + STALL_S
            if stall_from <= now < stall_until:
                time.sleep(stall_until - now)
            self.answer()

    for server in _serve(Handler):
        yield LocalServer(f"http://127.0.0.1:{server.server_port}", lambda: count[0])


@dataclass
class LoginStandIn(LocalServer):
    sign_ins: Callable[[], dict[str, list[float]]]
    """Per account, the times its sign-ins arrived."""


def _task_api_stand_in(refused: int | None, retry_after: str | None = None) -> Iterator[LoginStandIn]:
    """A task API stand-in that refuses the first ``refused`` sign-ins (None: all of them) with
    503 (and ``Retry-After`` when given), then hands out a token; every other route answers 401
    without that token. ``requests()`` counts requests sent without it."""
    lock = threading.Lock()
    logins: dict[str, list[float]] = {}
    unauthenticated = [0]

    class Handler(_Handler):
        def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/admin/seed":
                users = [{"email": f"{body['email_prefix']}{i}@example.com", "id": str(i)}
                         for i in range(body["users"])]
                return self._json(200, {"users": users})
            if self.path == "/auth/login":
                with lock:
                    logins.setdefault(body.get("email", ""), []).append(time.monotonic())
                    failed = refused is None or sum(map(len, logins.values())) <= refused
                if failed:
                    return self._json(503, {"title": "store unavailable"},
                                      {"Retry-After": retry_after} if retry_after else None)
                return self._json(200, {"access_token": "tok", "token_type": "bearer", "expires_in": 1800})
            self.do_GET()

        def do_GET(self) -> None:
            if self.path == "/health":
                return self._json(200, {"status": "ok", "store": "stand-in", "cache": "none"})
            if self.path == "/metrics":  # the SUT probe's, public as the API's is
                return self.answer()
            if self.headers.get("Authorization") != "Bearer tok":
                with lock:
                    unauthenticated[0] += 1
                return self._json(401, {"title": "not signed in"})
            self._json(200, {"items": []})

    def sign_ins() -> dict[str, list[float]]:
        with lock:
            return {k: list(v) for k, v in logins.items()}

    for server in _serve(Handler):
        yield LoginStandIn(f"http://127.0.0.1:{server.server_port}", lambda: unauthenticated[0], sign_ins)


@pytest.fixture
def flaky_login_server() -> Iterator[LoginStandIn]:
    """A task API stand-in whose first FAILED_LOGINS sign-ins answer 503; every other route
    answers 401 without the token it hands out. ``requests()`` counts requests sent without it."""
    yield from _task_api_stand_in(FAILED_LOGINS)


@pytest.fixture(scope="module")
def overloaded_login_server() -> Iterator[LoginStandIn]:
    """A task API stand-in that refuses every sign-in with 503 and ``Retry-After: RETRY_AFTER_S``."""
    yield from _task_api_stand_in(None, str(RETRY_AFTER_S))




@pytest.fixture
def slow_server() -> Iterator[LocalServer]:
    """Answers every ``GET`` after SLOW_S, many at once (a thread per connection)."""
    count = [0]

    class Handler(_Handler):
        def do_GET(self) -> None:
            count[0] += 1
            time.sleep(SLOW_S)
            self.answer()

    for server in _serve(Handler):
        yield LocalServer(f"http://127.0.0.1:{server.server_port}", lambda: count[0])
