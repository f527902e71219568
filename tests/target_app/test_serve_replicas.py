"""``loadgate serve --replicas N``: N API processes behind Debian's nginx (the repo's template), one
``/metrics`` adding up all of them, and nothing left behind when the parent is killed."""

from __future__ import annotations

import re
import signal

import httpx
import psutil
from taskapi_helpers import sample

REPLICAS = re.compile(r"(\d+) replicas \(([^)]*)\) behind nginx on (http://\S+)")


def _topology(proc) -> tuple[list[str], str]:
    """The replicas' addresses and the balancer's URL, from the line ``serve`` prints."""
    for line in proc.stdout:
        found = REPLICAS.search(line)
        if found:
            return found[2].split(", "), found[3]
    raise AssertionError("loadgate serve printed no replicas line")


def test_two_replicas_serve_behind_nginx_and_their_metrics_add_up(serve, tmp_path):
    metrics_dir = tmp_path / "metrics"
    url, proc = serve("--replicas", "2", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    backends, balancer = _topology(proc)
    assert balancer == url and len(backends) == 2 and all(b.startswith("127.0.0.1:") for b in backends)
    assert httpx.get(f"{url}/health").headers["server"].startswith("nginx")  # the API sends none
    requests = 40
    with httpx.Client(base_url=url) as client:
        for _ in range(requests):
            assert client.get("/health").status_code == 200
    writers = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("histogram_*.db")}
    assert len(writers) == 2, f"requests were served by {len(writers)} replica(s)"
    # Any replica's /metrics (the balancer's too) counts every replica's requests.
    counts = [sample(httpx.get(f"http://{b}/metrics").text, "taskapi_http_request_duration_seconds_count",
                     route="/health", status="200") for b in backends]
    assert counts[0] == counts[1] >= requests


def test_a_killed_serve_takes_its_replicas_and_nginx_with_it(serve):
    _, proc = serve("--replicas", "2")
    _topology(proc)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert sum("target_app.server" in " ".join(c.cmdline()) for c in children) == 2
    assert any(c.name() == "nginx" for c in children)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    _, alive = psutil.wait_procs(children, timeout=20)
    assert alive == [], [c.cmdline() for c in alive]
