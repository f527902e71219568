"""The client's own floor: what the client stack adds to every latency, measured in this process.

    calibrate(TaskApiUser, "local", "start")     # before the users spawn, and after they stop
    # -> Calibration(process='local', when='start', count=300, p50_ms=0.41, p99_ms=0.83, ...)

A zero-latency server (a gevent server on 127.0.0.1 in this very process, answering every request
with the same few bytes as soon as its head has arrived) is asked ``CALIBRATION_REQUESTS`` times
through the same client stack the users use: a ``FastHttpSession`` with the user class's settings
and default headers, a pool built like theirs, a request as heavy as a journey's (a bearer token,
a JSON answer), measured the way Locust measures them. What it takes is what the generator adds
(request building, the socket round trip, response parsing, Locust's bookkeeping): no latency a
run reports can resolve differences below it. The server's own share (reading a request head,
writing a canned answer) is a few microseconds of the same loop.

Requests go one at a time from one greenlet, while no user runs, so the figure is the stack's
floor on a quiet loop; a busy loop adds its lag on top (``loadtests.health`` measures that).
"""

from __future__ import annotations

import time

import gevent
from gevent.server import StreamServer
from locust.contrib.fasthttp import FastHttpSession
from locust.event import EventHook

from loadgate.runformat import Calibration, new_histogram
from loadtests.journeys import LoadgateUser
from loadtests.pool import PoolWaits, TimedClientPool
from loadtests.scenario import Scenario

CALIBRATION_REQUESTS = 300
WARMUP_REQUESTS = 20
BODY = b'{"items":[],"next_cursor":null}'
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
ANSWER = HEAD % len(BODY) + BODY
TOKEN = "Bearer " + "x" * 160
"""As long as the API's signed tokens, so the request head weighs what a journey's does."""


def _answer(sock, _address) -> None:
    """Answer each request head on this connection at once (keep-alive; GETs carry no body)."""
    pending = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            pending += data
            heads = pending.count(b"\r\n\r\n")
            if heads:
                pending = pending.rsplit(b"\r\n\r\n", 1)[1]
                sock.sendall(ANSWER * heads)
    except OSError:
        return
    finally:
        sock.close()


class ZeroServer:
    """The zero-latency server, on a free 127.0.0.1 port of this process, while in a ``with``."""

    def __enter__(self) -> ZeroServer:
        self.server = StreamServer(("127.0.0.1", 0), _answer)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self

    def __exit__(self, *_exc) -> None:
        self.server.stop(timeout=1)


def calibrate(user_class: type[LoadgateUser], process: str, when: str, scenario: Scenario | None = None,
              requests: int = CALIBRATION_REQUESTS) -> Calibration:
    """The client-added latency of this process now: p50 / p99 / max of ``requests`` requests."""
    times_ms: list[float] = []

    def on_request(response_time, exception=None, **_kwargs) -> None:
        if exception is None:
            times_ms.append(response_time)

    event = EventHook()
    event.add_listener(on_request)
    timeout = scenario.timeout if scenario is not None else 30.0
    pool = TimedClientPool(PoolWaits(), concurrency=1, network_timeout=timeout, connection_timeout=timeout,
                           insecure=True)
    with ZeroServer() as server:
        session = FastHttpSession(
            base_url=server.url, request_event=event, user=None, network_timeout=timeout,
            connection_timeout=timeout, max_redirects=user_class.max_redirects,
            max_retries=user_class.max_retries, insecure=True, client_pool=pool,
            headers=user_class.default_headers,
        )
        headers = {"Authorization": TOKEN}
        for i in range(WARMUP_REQUESTS + requests):
            if i == WARMUP_REQUESTS:
                times_ms.clear()  # the first connection and the first parses are not the floor
            session.request("GET", "/tasks", name="calibration", headers=headers)
            gevent.sleep(0)
        pool.close()
    hist = new_histogram()
    for ms in times_ms:
        hist.record_value(max(1, int(round(ms * 1000))))
    if not hist.get_total_count():
        raise RuntimeError("calibration: no request to the zero-latency server succeeded")
    return Calibration(
        process=process, when=when, t=time.time(), count=hist.get_total_count(),
        p50_ms=hist.get_value_at_percentile(50) / 1000.0, p99_ms=hist.get_value_at_percentile(99) / 1000.0,
        max_ms=hist.get_max_value() / 1000.0,
    )
