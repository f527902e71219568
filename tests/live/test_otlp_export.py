"""The live results as OpenTelemetry metrics: the SDK's in-memory reader, and the OTLP/HTTP exporter
posting to a receiver on 127.0.0.1 that parses the real protobuf request."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from loadtests.otlp_export import ENDPOINT_ENV, OtlpSink

RUN = (("commit", "abc123"), ("job", "loadgate"), ("run_id", "r1"), ("scenario", "smoke"))


def labels(name: str, **extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"__name__": name, **dict(RUN), **extra}.items()))


REQUESTS = labels("loadgate_requests_total", endpoint="GET /tasks")
P95 = labels("loadgate_interval_latency_seconds", endpoint="GET /tasks", quantile="0.95")


def points(reader: InMemoryMetricReader) -> dict[str, list]:
    data = reader.get_metrics_data()
    return {m.name: list(m.data.data_points) for rm in data.resource_metrics for sm in rm.scope_metrics
            for m in sm.metrics}


def test_counters_carry_the_cumulative_count_and_gauges_the_latest_interval():
    reader = InMemoryMetricReader()
    sink = OtlpSink(reader)
    sink.record({REQUESTS: [(5_000, 10.0)], P95: [(5_000, 0.012)]})
    sink.record({REQUESTS: [(10_000, 25.0)], P95: [(10_000, 0.020)]})
    got = points(reader)
    [requests] = got["loadgate.requests"]
    [p95] = got["loadgate.interval.latency"]
    assert (requests.value, p95.value) == (25, pytest.approx(0.020))
    assert dict(requests.attributes) == {"commit": "abc123", "run_id": "r1", "scenario": "smoke",
                                         "endpoint": "GET /tasks"}


def test_the_otlp_exporter_posts_a_request_a_collector_parses(monkeypatch):
    received: list[ExportMetricsServiceRequest] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(ExportMetricsServiceRequest.FromString(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv(ENDPOINT_ENV, f"http://127.0.0.1:{server.server_port}/v1/metrics")
        sink = OtlpSink.from_env()
        sink.record({REQUESTS: [(5_000, 42.0)]})
        sink.shutdown()
    finally:
        server.shutdown()
        server.server_close()
    metrics = {m.name: m for r in received for rm in r.resource_metrics for sm in rm.scope_metrics
               for m in sm.metrics}
    assert metrics["loadgate.requests"].sum.data_points[0].as_int == 42
    service = {a.key: a.value.string_value for a in received[0].resource_metrics[0].resource.attributes}
    assert service["service.name"] == "loadgate"


def test_the_otlp_export_is_off_without_the_setting(monkeypatch):
    monkeypatch.delenv(ENDPOINT_ENV, raising=False)
    assert OtlpSink.from_env() is None
