"""Live results into a real Prometheus: a smoke run pushes through remote write, PromQL reads it back.

Prometheus is Debian's 2.42 with ``--web.enable-remote-write-receiver`` (the ``prometheus_url``
fixture); the run is ``loadgate run smoke`` as a subprocess with ``LOADGATE_REMOTE_WRITE_URL`` set.
"""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from loadgate.paths import ROOT, free_port
from loadgate.runformat import RunDir
from loadtests import live_export

RUN_TIMEOUT_S = 300
HDR_RELATIVE = 1e-3  # 3 significant digits


def run_smoke(out: Path, remote_write_url: str, *extra: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
    env["LOADGATE_REMOTE_WRITE_URL"] = remote_write_url
    env.update(env_extra)
    args = ["run", "smoke", "--no-gate", "--duration", "12s", "--out", str(out), *extra]
    return subprocess.run([sys.executable, "-m", "loadgate.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def promql(base: str, query: str, at: float) -> list[dict]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"})
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return body["data"]["result"]


class OtlpReceiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP metrics endpoint keeping each parsed request (the run's OTLP side)."""

    received: list[ExportMetricsServiceRequest] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(ExportMetricsServiceRequest.FromString(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def otlp_received():
    server = ThreadingHTTPServer(("127.0.0.1", 0), OtlpReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1/metrics", OtlpReceiver.received
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def pushed(prometheus_url, otlp_received, tmp_path_factory):
    """(run directory, its meta, the Prometheus URL, a query time after the run) of one smoke run,
    exporting over remote write and OTLP at once."""
    out = tmp_path_factory.mktemp("live-runs")
    proc = run_smoke(out, f"{prometheus_url}/api/v1/write", LOADGATE_OTLP_ENDPOINT=otlp_received[0])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "live export" not in proc.stderr, proc.stderr[-2000:]  # no failed push
    run_dir = next(p for p in out.iterdir() if p.is_dir())
    meta = json.loads((run_dir / "meta.json").read_text())
    return run_dir, meta, prometheus_url, meta["ended_at"] + 60


def test_request_and_failure_counters_equal_summary_json(pushed):
    run_dir, meta, prom, at = pushed
    summary = RunDir.open(run_dir).summary()
    sel = f'{{run_id="{meta["run_id"]}"}}'
    requests = {r["metric"]["endpoint"]: int(float(r["value"][1]))
                for r in promql(prom, f"loadgate_requests_total{sel}", at)}
    failures = {r["metric"]["endpoint"]: int(float(r["value"][1]))
                for r in promql(prom, f"loadgate_failures_total{sel}", at)}
    assert requests == {ep: s.count for ep, s in summary.endpoints.items()}
    assert failures == {ep: s.failures for ep, s in summary.endpoints.items()}
    assert sum(requests.values()) == summary.total.count > 0


def test_the_otlp_side_of_the_same_run_ends_with_the_same_counts(pushed, otlp_received):
    run_dir, meta, _, _ = pushed
    last: dict[str, int] = {}
    for request in otlp_received[1]:
        for rm in request.resource_metrics:
            for metric in (m for sm in rm.scope_metrics for m in sm.metrics if m.name == "loadgate.requests"):
                for point in metric.sum.data_points:
                    attrs = {a.key: a.value.string_value for a in point.attributes}
                    if attrs["run_id"] == meta["run_id"]:
                        last[attrs["endpoint"]] = point.as_int
    assert last == {ep: s.count for ep, s in RunDir.open(run_dir).summary().endpoints.items()}


def test_p95_per_interval_matches_the_interval_histograms(pushed):
    run_dir, meta, prom, at = pushed
    expected = {(iv.endpoint, int((iv.start + iv.length) * 1000)):
                iv.histogram.get_value_at_percentile(95) / 1e6 for iv in RunDir.open(run_dir).intervals()
                if iv.histogram.get_total_count()}
    got = {}
    query = f'loadgate_interval_latency_seconds{{run_id="{meta["run_id"]}",quantile="0.95"}}[1h]'
    for series in promql(prom, query, at):
        for stamp, value in series["values"]:
            got[(series["metric"]["endpoint"], round(float(stamp) * 1000))] = float(value)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=HDR_RELATIVE), key


def test_every_series_carries_the_run_id_scenario_and_commit(pushed):
    _, meta, prom, at = pushed
    series = promql(prom, f'{{job="loadgate",run_id="{meta["run_id"]}"}}', at)
    names = {s["metric"]["__name__"] for s in series}
    assert {"loadgate_requests_total", "loadgate_failures_total", "loadgate_interval_latency_seconds",
            "loadgate_users", "loadgate_generator_cpu_percent", "loadgate_generator_loop_lag_seconds",
            "loadgate_run_valid", "loadgate_run_problems"} <= names
    assert {(s["metric"]["scenario"], s["metric"]["commit"]) for s in series} == {
        ("smoke", meta["git_commit"] or "")}


def test_users_reach_the_scenarios_users(pushed):
    _, meta, prom, at = pushed
    [users] = promql(prom, f'max_over_time(loadgate_users{{run_id="{meta["run_id"]}"}}[1h])', at)
    assert float(users["value"][1]) == meta["scenario"]["users"]


def test_a_complete_run_is_pushed_as_valid(pushed):
    _, meta, prom, at = pushed
    [valid] = promql(prom, f'loadgate_run_valid{{run_id="{meta["run_id"]}"}}', at)
    assert float(valid["value"][1]) == 1.0


def test_a_receiver_that_is_down_costs_the_live_view_not_the_run(tmp_path):
    proc = run_smoke(tmp_path, f"http://127.0.0.1:{free_port()}/api/v1/write")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "live export to" in proc.stderr
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert json.loads((run_dir / "meta.json").read_text())["interrupted"] is False


def test_the_export_is_off_without_the_setting(monkeypatch):
    monkeypatch.delenv(live_export.URL_ENV, raising=False)
    assert live_export.attach(session=None, meta=None) is None  # type: ignore[arg-type]


def test_the_encoding_example_runs():
    result = doctest.testmod(live_export)
    assert result.attempted > 0 and result.failed == 0, result
