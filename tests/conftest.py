"""Real servers for the whole suite, started once per test run on 127.0.0.1.

``MONGODB_URL`` / ``REDIS_URL`` / ``AMQP_URL`` point the suite at servers of your own instead. A missing
server is a failure, never a skip: run ``scripts/setup.sh`` first (``scripts/test.sh`` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from testsupport import servers


def _server(start, env_var: str) -> Iterator[str]:
    if os.environ.get(env_var):
        yield os.environ[env_var]
        return
    try:
        srv = start()
    except servers.ServerUnavailable as exc:
        pytest.fail(f"{env_var}: {exc}", pytrace=False)
    try:
        yield srv.url
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a real Redis (ours, or REDIS_URL)."""
    yield from _server(servers.start_redis, "REDIS_URL")


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    """URL of a real MongoDB-protocol server (FerretDB, or MONGODB_URL)."""
    yield from _server(servers.start_ferretdb, "MONGODB_URL")


@pytest.fixture(scope="session")
def nginx_url() -> Iterator[str]:
    """URL of an nginx answering 200 to everything: a zero-latency target."""
    try:
        srv = servers.start_nginx()
    except servers.ServerUnavailable as exc:
        pytest.fail(f"nginx: {exc}", pytrace=False)
    yield srv.url
    srv.stop()


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    """URL of a real RabbitMQ (ours, or AMQP_URL)."""
    yield from _server(servers.start_rabbitmq, "AMQP_URL")


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[servers.SmtpSink]:
    """An SMTP server on 127.0.0.1 keeping every message (tests tell theirs apart by recipient)."""
    sink = servers.start_smtp_sink()
    yield sink
    sink.stop()


@pytest.fixture
def own_rabbitmq() -> Iterator[servers.Server]:
    """A RabbitMQ of this test's own, which the test may stop and restart."""
    try:
        srv = servers.start_rabbitmq()
    except servers.ServerUnavailable as exc:
        pytest.fail(f"rabbitmq: {exc}", pytrace=False)
    yield srv
    srv.stop()


@pytest.fixture
def own_redis() -> Iterator[servers.Server]:
    """A Redis of this test's own, which the test may stop and restart."""
    srv = servers.start_redis()
    yield srv
    srv.stop()


@pytest.fixture
def own_ferretdb() -> Iterator[servers.Server]:
    """A FerretDB of this test's own, which the test may stop and restart."""
    srv = servers.start_ferretdb()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def prometheus_url() -> Iterator[str]:
    """URL of a real Prometheus accepting remote write (ours, Debian's package)."""
    try:
        srv = servers.start_prometheus()
    except servers.ServerUnavailable as exc:
        pytest.fail(f"prometheus: {exc}", pytrace=False)
    yield srv.url
    srv.stop()
