"""``loadgate serve``: the API as a real server process, with one or several workers."""

from __future__ import annotations

import os
import subprocess

import httpx
from taskapi_helpers import LOADGATE, sample

from testsupport.servers import free_port


def test_serve_runs_on_embedded_defaults_and_says_so(serve):
    url, proc = serve()
    assert httpx.get(f"{url}/health").json() == {"status": "ok", "store": "sqlite", "cache": "memory",
                                                "queue": "memory"}
    proc.terminate()
    output = proc.communicate(timeout=15)[0]
    assert "embedded defaults" in output


def test_serve_with_two_workers_serves_and_adds_metrics_up_across_them(serve, tmp_path):
    metrics_dir = tmp_path / "metrics"
    url, _ = serve("--workers", "2", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    requests = 60
    for _ in range(requests):  # a new connection each: the kernel spreads them over the workers
        assert httpx.get(f"{url}/health", headers={"Connection": "close"}).status_code == 200
    text = httpx.get(f"{url}/metrics").text
    count = sample(text, "taskapi_http_request_duration_seconds_count", route="/health", status="200")
    writers = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("histogram_*.db")}
    assert count == requests
    assert len(writers) == 2, f"requests were served by {len(writers)} worker(s)"


def test_serve_refuses_production_with_the_default_secret(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"} | {"ENVIRONMENT": "production"}
    result = subprocess.run([LOADGATE, "serve", "--port", str(free_port())], env=environ,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "JWT_SECRET" in result.stderr
