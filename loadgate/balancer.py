"""nginx as the scaling plan's load balancer: the one template, rendered, and run on this machine.

    conf = render_balancer("127.0.0.1:8080", ["127.0.0.1:8001", "127.0.0.1:8002"])
    nginx = start_balancer("127.0.0.1", 8080, ["127.0.0.1:8001", "127.0.0.1:8002"], workdir)
    nginx_version()                      # 'nginx/1.22.1'

The template is ``config/nginx/taskapi.conf.template`` (package data ``loadgate.nginx``; see
``docs/loadbalancer.md``): the plan's upstream (``keepalive 32``, ``proxy_http_version 1.1``,
``Connection ""``, ``proxy_buffering off``) and passive health checks. ``start_balancer`` wraps it
in a main configuration of its own (no daemon, every path under ``workdir``) for Debian's nginx.
"""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path
from string import Template

from loadgate.errors import InputError
from loadgate.processes import die_with_parent

MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {wd}/nginx.pid;
error_log {wd}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {wd}/tmp;
    proxy_temp_path {wd}/tmp;
    fastcgi_temp_path {wd}/tmp;
    uwsgi_temp_path {wd}/tmp;
    scgi_temp_path {wd}/tmp;
{http}
}}
"""
"""nginx's main file around the template: in the foreground (it dies with its parent), one worker
process (the API replicas need the cores), everything it writes under its working directory."""


def main_conf(workdir: Path, http: str, connections: int = 4096) -> str:
    """nginx.conf for ``workdir``, with ``http`` (directives, indented) inside its ``http`` block."""
    return MAIN_CONF.format(wd=workdir, connections=connections, http=http)


def template() -> str:
    """``config/nginx/taskapi.conf.template``, from the checkout or the installed package."""
    return resources.files("loadgate.nginx").joinpath("taskapi.conf.template").read_text()


def render_balancer(listen: str, backends: list[str]) -> str:
    """The template for these replicas (``host:port`` each), listening on ``listen``.

    >>> "server 127.0.0.1:8001 max_fails=1 fail_timeout=5s;" in render_balancer("8080", ["127.0.0.1:8001"])
    True
    """
    servers = " ".join(f"server {b} max_fails=1 fail_timeout=5s;" for b in backends)
    return Template(template()).safe_substitute(NGINX_LISTEN=listen, NGINX_UPSTREAM_SERVERS=servers)


def nginx_binary() -> str:
    """Debian's nginx (``/usr/sbin`` is not on every PATH), or an InputError saying how to get it."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise InputError("nginx: not found (apt-get install nginx, or run scripts/setup.sh)")
    return found


def nginx_version() -> str | None:
    """``nginx/1.22.1``, or None when nginx is missing."""
    try:
        out = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True, timeout=10)
    except (InputError, OSError, subprocess.TimeoutExpired):
        return None
    return out.stderr.strip().removeprefix("nginx version: ") or None


def start_balancer(host: str, port: int, backends: list[str], workdir: Path) -> subprocess.Popen:
    """nginx on ``host:port`` balancing over ``backends``, configured and logging in ``workdir``;
    it dies with this process."""
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    (workdir / "taskapi.conf").write_text(render_balancer(f"{host}:{port}", backends))
    (workdir / "nginx.conf").write_text(main_conf(workdir, f"    include {workdir}/taskapi.conf;"))
    log = open(workdir / "nginx.log", "ab")  # noqa: SIM115 - owned by the child for its lifetime
    return subprocess.Popen([nginx_binary(), "-c", str(workdir / "nginx.conf"), "-p", str(workdir),
                             "-e", str(workdir / "error.log")], stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=die_with_parent)
