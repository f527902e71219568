"""The same live results as OpenTelemetry metrics, exported over OTLP/HTTP by the OpenTelemetry SDK.

On when ``LOADGATE_OTLP_ENDPOINT`` names a collector's metrics endpoint
(``http://otel-collector:4318/v1/metrics``); ``loadtests.live_export`` hands each pushed batch here:

    LOADGATE_OTLP_ENDPOINT=http://127.0.0.1:4318/v1/metrics loadgate run smoke

Counters (``loadgate.requests``, ``loadgate.failures``) are cumulative sums per endpoint; the
interval quantiles, users, generator health and validity are gauges holding each batch's latest
value. OTel stamps points at collection, so a batch is collected and exported right away
(``force_flush``), in the calling greenlet: no exporter thread of its own under gevent.
"""

from __future__ import annotations

import math
import os

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

ENDPOINT_ENV = "LOADGATE_OTLP_ENDPOINT"

Labels = tuple[tuple[str, str], ...]

COUNTERS = {"loadgate_requests_total": ("loadgate.requests", "{request}"),
            "loadgate_failures_total": ("loadgate.failures", "{request}")}
GAUGES = {"loadgate_interval_latency_seconds": ("loadgate.interval.latency", "s"),
          "loadgate_users": ("loadgate.users", "{user}"),
          "loadgate_generator_cpu_percent": ("loadgate.generator.cpu", "%"),
          "loadgate_generator_loop_lag_seconds": ("loadgate.generator.loop_lag", "s"),
          "loadgate_run_valid": ("loadgate.run.valid", "1"),
          "loadgate_run_problems": ("loadgate.run.problems", "{problem}")}


class OtlpSink:
    """Records remote-write-shaped batches into OTel instruments and exports each batch.

        sink = OtlpSink(InMemoryMetricReader())      # tests; from_env() for the OTLP exporter
        sink.record({(("__name__", "loadgate_users"), ("run_id", "r1")): [(1_700_000_000_000, 20.0)]})
    """

    def __init__(self, reader: MetricReader):
        self.reader = reader
        self.provider = MeterProvider(metric_readers=[reader],
                                      resource=Resource.create({"service.name": "loadgate"}))
        meter = self.provider.get_meter("loadgate")
        self.counters = {k: meter.create_counter(n, unit=u) for k, (n, u) in COUNTERS.items()}
        self.gauges = {k: meter.create_gauge(n, unit=u) for k, (n, u) in GAUGES.items()}
        self.totals: dict[Labels, float] = {}

    @classmethod
    def from_env(cls) -> OtlpSink | None:
        endpoint = os.environ.get(ENDPOINT_ENV, "").strip()
        if not endpoint:
            return None
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return cls(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint),
                                                 export_interval_millis=math.inf))

    def record(self, series: dict[Labels, list[tuple[int, float]]]) -> None:
        """One batch: counters move by what they grew, gauges take their latest sample."""
        for labels, samples in series.items():
            attrs = {k: v for k, v in labels if k not in ("__name__", "job")}
            name = dict(labels)["__name__"]
            _, last = max(samples)
            if name in self.counters:
                grew = last - self.totals.get(labels, 0.0)
                if grew > 0:
                    self.counters[name].add(int(grew), attrs)  # counts: OTLP as_int
                    self.totals[labels] = last
            elif name in self.gauges:
                self.gauges[name].set(last, attrs)
        if isinstance(self.reader, PeriodicExportingMetricReader):
            self.provider.force_flush()

    def shutdown(self) -> None:
        self.provider.shutdown()
