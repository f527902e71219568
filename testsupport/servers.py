"""Start real Redis, FerretDB, nginx, RabbitMQ, Prometheus and an SMTP sink on 127.0.0.1 for tests.

Each server runs as a child process on a free port in a temporary directory and is stopped by
``stop()``. Binaries come from Debian (``redis-server``, ``nginx``, ``rabbitmq-server``,
``prometheus``) and from
``scripts/setup.sh`` (FerretDB, linked at ``.cache/bin/ferretdb-lite``). The SMTP sink is
``aiosmtpd`` on a thread of the calling process, keeping what it receives.

    >>> redis = start_redis()
    >>> redis.url
    'redis://127.0.0.1:40123/0'
    >>> redis.stop()
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from loadgate import balancer
from loadgate.paths import ROOT, free_port


class ServerUnavailable(RuntimeError):
    """A server binary is missing or the server did not come up."""


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    """Block until 127.0.0.1:port accepts connections, or raise ServerUnavailable."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerUnavailable(f"process exited with {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerUnavailable(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f}s")


def wait_for_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Block until GET url answers 200, or raise ServerUnavailable."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerUnavailable(f"process exited with {proc.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.1)
    raise ServerUnavailable(f"{url} not ready after {timeout:.0f}s ({last})")


def find_binary(name: str, *extra: Path) -> str:
    """The path of a server binary, searching PATH, /usr/sbin and the given places."""
    for candidate in (*extra, Path("/usr/sbin") / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise ServerUnavailable(f"{name} not found: run scripts/setup.sh")


@dataclass
class Server:
    """A running server process: its URL, port, and how to stop or pause it."""

    name: str
    url: str
    port: int
    proc: subprocess.Popen
    workdir: Path
    _args: list[str] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Terminate the process and remove its working directory."""
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def kill(self) -> None:
        """Stop the process, keeping its data, so it can be ``restart()``-ed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        """Start the process again on the same port with the same data."""
        self.kill()
        self.proc = _spawn(self._args, self.workdir)
        wait_for_port(self.port, proc=self.proc)


def _spawn(args: list[str], workdir: Path) -> subprocess.Popen:
    log = open(workdir / "server.log", "ab")  # noqa: SIM115 - owned by the child for its lifetime
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    return subprocess.Popen(args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)


def _start(name: str, args_for, url_for, timeout: float = 30.0) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix=f"loadgate-{name}-"))
    port = free_port()
    args = args_for(port, workdir)
    proc = _spawn(args, workdir)
    try:
        wait_for_port(port, timeout=timeout, proc=proc)
    except ServerUnavailable as exc:
        proc.kill()
        log = (workdir / "server.log").read_text(errors="replace")[-2000:]
        raise ServerUnavailable(f"{name}: {exc}\n{log}") from exc
    return Server(name, url_for(port), port, proc, workdir, args)


def start_redis() -> Server:
    """A throwaway Redis on 127.0.0.1, no persistence."""
    binary = find_binary("redis-server")
    return _start(
        "redis",
        lambda port, wd: [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", str(wd)],
        lambda port: f"redis://127.0.0.1:{port}/0",
    )


def start_ferretdb() -> Server:
    """FerretDB v1.24.2 on its SQLite backend, telemetry off, on 127.0.0.1."""
    binary = find_binary("ferretdb-lite", ROOT / ".cache/bin/ferretdb-lite")
    return _start(
        "ferretdb",
        lambda port, wd: [binary, f"--listen-addr=127.0.0.1:{port}", f"--sqlite-dir={wd}/data"],
        lambda port: f"mongodb://127.0.0.1:{port}/",
    )


ZERO_LATENCY = """\
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type application/json;
            return 200 '{{"ok":true}}';
        }}
    }}"""


def start_nginx_balancer(backends: list[str]) -> Server:
    """nginx on 127.0.0.1 balancing over ``backends`` with the repo's load-balancer config."""
    binary = find_binary("nginx")

    def args(port: int, wd: Path) -> list[str]:
        (wd / "tmp").mkdir()
        (wd / "taskapi.conf").write_text(balancer.render_balancer(f"127.0.0.1:{port}", backends))
        (wd / "nginx.conf").write_text(balancer.main_conf(wd, f"    include {wd}/taskapi.conf;"))
        return [binary, "-c", str(wd / "nginx.conf"), "-p", str(wd), "-e", str(wd / "error.log")]

    return _start("nginx-balancer", args, lambda port: f"http://127.0.0.1:{port}")


def start_nginx() -> Server:
    """nginx answering every path with a fixed 200: a zero-latency target."""
    binary = find_binary("nginx")

    def args(port: int, wd: Path) -> list[str]:
        (wd / "tmp").mkdir()
        (wd / "nginx.conf").write_text(balancer.main_conf(wd, ZERO_LATENCY.format(port=port), 16384))
        return [binary, "-c", str(wd / "nginx.conf"), "-p", str(wd), "-e", str(wd / "error.log")]

    return _start("nginx", args, lambda port: f"http://127.0.0.1:{port}")


def start_prometheus() -> Server:
    """Debian's Prometheus on 127.0.0.1 with the remote-write receiver on, a throwaway TSDB, no scrapes.

    The swarm's live results arrive at ``{url}/api/v1/write``; PromQL reads them at ``{url}/api/v1/query``.
    """
    binary = find_binary("prometheus")

    def args(port: int, wd: Path) -> list[str]:
        (wd / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
        return [binary, f"--config.file={wd}/prometheus.yml", f"--storage.tsdb.path={wd}/data",
                f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
                "--log.level=warn"]

    srv = _start("prometheus", args, lambda port: f"http://127.0.0.1:{port}")
    # The port opens before the TSDB does: until then every query answers 503.
    try:
        wait_for_http(f"{srv.url}/-/ready", timeout=60.0, proc=srv.proc)
    except ServerUnavailable as exc:
        srv.stop()
        raise ServerUnavailable(f"prometheus: {exc}") from exc
    return srv


RABBITMQ_CONF = """\
listeners.tcp.1 = 127.0.0.1:{port}
loopback_users = none
log.console = true
log.console.level = warning
log.file = false
"""


def start_rabbitmq() -> Server:
    """A throwaway RabbitMQ node on 127.0.0.1: its own node name, ports, data and cookie, no plugins.

    Everything RabbitMQ would read from /etc or /var/lib points into the working directory, so
    it runs beside a system broker and as any user. ``kill()`` / ``restart()`` keep its data:
    durable queues and persistent messages survive, as on a real broker restart. Erlang's port
    mapper (epmd) is started on 127.0.0.1 by the first node and outlives it, as it does for any
    Erlang program.
    """
    binary = find_binary("rabbitmq-server", Path("/usr/lib/rabbitmq/bin/rabbitmq-server"))

    def args(port: int, wd: Path) -> list[str]:
        (wd / "home").mkdir(mode=0o700)
        (wd / "rabbitmq.conf").write_text(RABBITMQ_CONF.format(port=port))
        (wd / "enabled_plugins").write_text("[].\n")  # no management plugin: faster start, no HTTP port
        env = {
            "HOME": wd / "home",  # the Erlang cookie is written here
            "RABBITMQ_NODENAME": f"loadgate-{port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": port,
            "RABBITMQ_DIST_PORT": free_port(),
            "RABBITMQ_MNESIA_BASE": wd / "mnesia",
            "RABBITMQ_LOG_BASE": wd / "log",
            "RABBITMQ_CONFIG_FILE": wd / "rabbitmq.conf",
            "RABBITMQ_ENABLED_PLUGINS_FILE": wd / "enabled_plugins",
            "RABBITMQ_CONF_ENV_FILE": wd / "rabbitmq-env.conf",  # absent: ignore /etc/rabbitmq's
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        # Through env(1), so restart() starts it again with the same environment.
        return ["env", *(f"{k}={v}" for k, v in env.items()), binary]

    return _start("rabbitmq", args, lambda port: f"amqp://guest:guest@127.0.0.1:{port}/", timeout=90.0)


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message it receives, in order."""

    url: str
    port: int
    messages: list = field(default_factory=list)
    _controller: object = None

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def message_ids(self) -> list[str]:
        """The Message-ID header of each message received, duplicates included."""
        return [m["Message-ID"] for m in list(self.messages)]


def start_worker(**env: str) -> subprocess.Popen:
    """``loadgate serve-worker`` (the API's background worker) with this environment, on top of
    ours minus the server URLs; its output piped as text."""
    import sys

    environ = {k: v for k, v in os.environ.items()
               if k not in ("MONGODB_URL", "REDIS_URL", "AMQP_URL", "SMTP_URL")}
    environ |= {"LOG_LEVEL": "WARN", **env}
    return subprocess.Popen([str(Path(sys.executable).with_name("loadgate")), "serve-worker"], env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_worker(proc: subprocess.Popen) -> str:
    """Stop a worker gracefully; its output."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def start_smtp_sink() -> SmtpSink:
    """An ``aiosmtpd`` server on a thread of this process: the worker's emails land here."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    sink = SmtpSink("", 0)

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            sink.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    sink.url, sink.port, sink._controller = f"smtp://127.0.0.1:{port}", port, controller
    return sink


TOKEN = "stand-in." + "x" * 150
"""As long as the API's signed tokens, so requests weigh what they do against the API."""


def _task(i: int) -> dict:
    return {"id": f"t{i}", "title": f"Task {i}", "description": "A stand-in task.", "status": "todo",
            "priority": "medium", "dueDate": "2026-12-01T00:00:00Z", "createdAt": "2026-11-01T00:00:00Z"}


def _quoted(body: dict) -> str:
    """A JSON body as an nginx ``return`` string (single-quoted)."""
    return "'" + json.dumps(body, separators=(",", ":")).replace("'", "\\'") + "'"


def task_api_conf(wd: Path, port: int, accounts: int = 50) -> str:
    """nginx as a zero-latency stand-in of the task API: a fixed answer per route, enough for the
    journeys to seed (``accounts`` emails), sign in, list, open, create, update and delete tasks.

    nginx takes a ``return`` body of at most 4 KB from its configuration, so ``accounts`` stays
    small (50 fit): users share them, and the stand-in checks no token anyway."""
    seed = {"users": [{"email": f"stand-in-{i}@loadgate.test", "id": str(i)} for i in range(accounts)]}
    page = {"items": [_task(i) for i in range(20)], "next_cursor": None}
    answers = {
        "= /health": ("200", {"status": "ok", "store": "stand-in", "cache": "none"}),
        "= /admin/seed": ("200", seed),
        "= /auth/login": ("200", {"access_token": TOKEN, "token_type": "bearer", "expires_in": 1800}),
        "= /users/me": ("200", {"id": "u1", "email": "stand-in-0@loadgate.test", "name": "Stand-in"}),
        "= /analytics": ("200", {"total": 20, "by_status": {"todo": 20}, "by_priority": {"medium": 20}}),
    }
    locations = [f"        location {where} {{ return {code} {_quoted(body)}; }}"
                 for where, (code, body) in answers.items()]
    locations += [
        "        location = /metrics { default_type text/plain; return 200 ''; }",
        "        location = /tasks {",
        f"            if ($request_method = POST) {{ return 201 {_quoted(_task(999))}; }}",
        f"            return 200 {_quoted(page)};",
        "        }",
        "        location /tasks/ {",
        "            if ($request_method = DELETE) { return 204; }",
        f"            return 200 {_quoted(_task(1))};",
        "        }",
    ]
    server = ["    keepalive_requests 1000000;", "    server {", f"        listen 127.0.0.1:{port};",
              "        default_type application/json;", *locations, "    }"]
    return balancer.main_conf(wd, "\n".join(server), 16384)


def start_task_api_nginx(accounts: int = 50, workers: int = 1) -> Server:
    """nginx answering the task API's routes with fixed bodies at once (``task_api_conf``)."""
    binary = find_binary("nginx")

    def args(port: int, wd: Path) -> list[str]:
        (wd / "tmp").mkdir()
        conf = task_api_conf(wd, port, accounts)
        # A swarm opens thousands of connections in bursts: nginx's default listen backlog (511)
        # overflows, and a dropped SYN is retried after 1, 3, 7 ... 63 s, which a run records as
        # latency. The kernel caps the backlog at net.core.somaxconn.
        conf = conf.replace("worker_processes 1;", f"worker_processes {workers};").replace(
            f"listen 127.0.0.1:{port};", f"listen 127.0.0.1:{port} backlog=65535;")
        (wd / "nginx.conf").write_text(conf)
        return [binary, "-c", str(wd / "nginx.conf"), "-p", str(wd), "-e", str(wd / "error.log")]

    return _start("nginx", args, lambda port: f"http://127.0.0.1:{port}")
