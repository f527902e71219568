"""Live results out: the master's merged numbers, pushed to Prometheus through remote write as the run goes.

Off unless ``LOADGATE_REMOTE_WRITE_URL`` names a receiver (Prometheus started with
``--web.enable-remote-write-receiver``: ``http://prometheus:9090/api/v1/write``):

    LOADGATE_REMOTE_WRITE_URL=http://127.0.0.1:9090/api/v1/write loadgate run smoke

Each closed 5 s interval is pushed once it is complete (``session.PERSIST_LAG_S`` after it ends),
its samples stamped with the interval's end, so PromQL sees the interval they describe:

- ``loadgate_requests_total`` / ``loadgate_failures_total`` {endpoint}: counters, cumulative;
- ``loadgate_interval_latency_seconds`` {endpoint, quantile}: the interval's exact quantiles
  (0.5 0.9 0.95 0.99 0.999 and 1 = max) from the merged HdrHistogram, a gauge per interval;
- ``loadgate_users``; ``loadgate_generator_cpu_percent`` and ``loadgate_generator_loop_lag_seconds``
  {process}; ``loadgate_run_valid`` (1 while no problem is recorded) and ``loadgate_run_problems``.

Every series carries ``job="loadgate"``, ``run_id``, ``scenario`` and ``commit``. At the end the
counters get one last sample with the run's totals (late worker payloads included), which equal
``summary.json``'s counts.

Why remote write is written here rather than through OpenTelemetry's remote-write exporter: that
exporter stamps every sample with the export time and re-aggregates through the SDK, while these
samples are per closed interval, stamped with the interval they describe, and the quantiles are
already exact. The wire format is the protobuf ``WriteRequest`` (remote write 1.0), built with the
protobuf runtime from a descriptor declared below, and snappy-compressed with ``cramjam``.
Native histograms are not sent: Prometheus 2.42 stores those it receives through remote write only
behind ``--enable-feature=native-histograms`` (refused otherwise), and their finest schema (8:
buckets 2^(1/256) apart, 0.27 %) is coarser than HDR's 3 digits, so the exact quantiles are sent.
``LOADGATE_OTLP_ENDPOINT`` sends the same batches over OTLP (``loadtests.otlp_export``).

A receiver that is down or refuses a push costs the live view, never the run: the interval is
retried on the next tick and a warning is logged.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from hdrh.histogram import HdrHistogram

from loadgate import runformat as rf
from loadtests.otlp_export import ENDPOINT_ENV, OtlpSink

if TYPE_CHECKING:  # the session imports Locust; this module stays importable without it
    from loadtests.session import Session

logger = logging.getLogger("loadgate")

URL_ENV = "LOADGATE_REMOTE_WRITE_URL"
PUSH_EVERY_S = 2.0
QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.999, 1.0)
TIMEOUT_S = 5.0
COMPLETE_AFTER_S = 4.0
"""An interval is pushed this long after it ends (``session.PERSIST_LAG_S``: every worker has shipped it)."""


def _write_request_class():
    """``prometheus.WriteRequest`` of remote write 1.0 (prompb/remote.proto, types.proto)."""
    fdp = descriptor_pb2.FileDescriptorProto(name="loadgate/remote_write.proto", package="prometheus",
                                             syntax="proto3")
    f = descriptor_pb2.FieldDescriptorProto
    label = fdp.message_type.add(name="Label")
    label.field.add(name="name", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    label.field.add(name="value", number=2, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    sample = fdp.message_type.add(name="Sample")
    sample.field.add(name="value", number=1, type=f.TYPE_DOUBLE, label=f.LABEL_OPTIONAL)
    sample.field.add(name="timestamp", number=2, type=f.TYPE_INT64, label=f.LABEL_OPTIONAL)
    series = fdp.message_type.add(name="TimeSeries")
    series.field.add(name="labels", number=1, type=f.TYPE_MESSAGE, label=f.LABEL_REPEATED,
                     type_name=".prometheus.Label")
    series.field.add(name="samples", number=2, type=f.TYPE_MESSAGE, label=f.LABEL_REPEATED,
                     type_name=".prometheus.Sample")
    request = fdp.message_type.add(name="WriteRequest")
    request.field.add(name="timeseries", number=1, type=f.TYPE_MESSAGE, label=f.LABEL_REPEATED,
                      type_name=".prometheus.TimeSeries")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("prometheus.WriteRequest"))


WriteRequest = _write_request_class()

Labels = tuple[tuple[str, str], ...]


def encode(series: dict[Labels, list[tuple[int, float]]]) -> bytes:
    """A snappy-compressed ``WriteRequest``: per label set (``__name__`` included), (ms, value) samples.

        >>> body = encode({(("__name__", "up"),): [(1_700_000_000_000, 1.0)]})
        >>> WriteRequest.FromString(bytes(cramjam.snappy.decompress_raw(body))).timeseries[0].samples[0].value
        1.0
    """
    request = WriteRequest()
    for labels, samples in series.items():
        ts = request.timeseries.add()
        for name, text in sorted(labels):  # the receiver wants labels sorted by name
            ts.labels.add(name=name, value=text)
        for stamp, value in sorted(samples):
            ts.samples.add(value=value, timestamp=stamp)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def push(url: str, body: bytes) -> None:
    """POST one encoded ``WriteRequest`` (raises ``OSError`` when the receiver is down or refuses it)."""
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "loadgate"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - the user's receiver
        resp.read()


def _hist(cell) -> HdrHistogram:
    """The cell's histogram without un-compacting it in the collector (a copy when encoded)."""
    if cell.hist is not None:
        return cell.hist
    return HdrHistogram.decode(cell.encoded) if cell.encoded else rf.new_histogram()


@dataclass
class LiveExport:
    """Pushes a session's closed intervals to a remote-write receiver."""

    url: str | None
    """The remote-write receiver (None: OTLP only)."""
    session: Session
    base: dict[str, str]
    otlp: OtlpSink | None = None
    pushed: set[float] = field(default_factory=set)
    last: dict[Labels, int] = field(default_factory=dict)
    """Per series, the last pushed sample's stamp: a receiver refuses samples out of order."""
    generator_offset: int = 0
    failing_since: float | None = None
    _pending: set[float] = field(default_factory=set)
    """Interval starts in the batch being pushed (marked pushed once the receiver took it)."""

    def _labels(self, name: str, **extra: str) -> Labels:
        return tuple(sorted({"__name__": name, **self.base, **extra}.items()))

    def run(self) -> None:
        """The session's background loop."""
        while True:
            time.sleep(PUSH_EVERY_S)  # gevent-patched under Locust
            self.tick(time.time() - COMPLETE_AFTER_S)

    def tick(self, before: float, final: bool = False) -> None:
        """Push every interval ended by ``before`` and not pushed yet (all of them when ``final``)."""
        series = {labels: kept for labels, samples in self.intervals(before, final).items()
                  if (kept := [(ms, v) for ms, v in samples if ms > self.last.get(labels, -1)])}
        if not series:
            return
        if self.url:
            try:
                push(self.url, encode(series))
            except OSError as exc:  # URLError and HTTPError are OSErrors
                if self.failing_since is None:
                    self.failing_since = time.time()
                    logger.warning("live export to %s failed (%s): retrying each tick", self.url, exc)
                return
            self.failing_since = None
        self._commit(series)
        if self.otlp is not None:
            self.otlp.record(series)

    def _commit(self, series: dict[Labels, list[tuple[int, float]]]) -> None:
        for labels, samples in series.items():
            self.last[labels] = max(ms for ms, _ in samples)
        self.pushed |= self._pending

    def intervals(self, before: float, final: bool = False) -> dict[Labels, list[tuple[int, float]]]:
        """The samples of the intervals not pushed yet that ended by ``before``."""
        s, c = self.session, self.session.collector
        starts = sorted({t for t, _ in c.raw} - self.pushed)
        self._pending = {t for t in starts if final or t + rf.INTERVAL_S <= before}
        series: dict[Labels, list[tuple[int, float]]] = defaultdict(list)
        if self._pending:
            cum_req: dict[str, int] = defaultdict(int)
            cum_fail: dict[str, int] = defaultdict(int)
            by_interval = c.per_interval()
            for t in sorted(by_interval):
                requests, failures = by_interval[t]
                for ep, n in requests.items():
                    cum_req[ep] += n
                for ep, n in failures.items():
                    cum_fail[ep] += n
                if t not in self._pending:
                    continue
                stamp = int((t + rf.INTERVAL_S) * 1000)
                for ep in cum_req:
                    series[self._labels("loadgate_requests_total", endpoint=ep)].append((stamp, cum_req[ep]))
                    series[self._labels("loadgate_failures_total", endpoint=ep)].append(
                        (stamp, cum_fail.get(ep, 0)))
                for ep in requests:
                    h = _hist(c.raw[(t, ep)])
                    for q in QUANTILES:
                        series[self._labels("loadgate_interval_latency_seconds", endpoint=ep,
                                            quantile=repr(q))].append(
                            (stamp, h.get_value_at_percentile(q * 100) / 1e6))
                series[self._labels("loadgate_users")].append((stamp, s.users_by_interval.get(t, 0)))
        for row in self._generator_rows():
            stamp = int(row.t * 1000)
            series[self._labels("loadgate_generator_cpu_percent", process=row.process)].append(
                (stamp, row.cpu_percent))
            series[self._labels("loadgate_generator_loop_lag_seconds", process=row.process)].append(
                (stamp, row.loop_lag_ms / 1000))
        # Run-wide samples go after every interval's end, so the totals are each counter's last.
        now_ms = max([int(time.time() * 1000)] + [ms + 1 for v in series.values() for ms, _ in v]
                     + [ms + 1 for ms in self.last.values()])
        if series or final:
            valid = not s.watch.problems and (s.interrupts.reason is None)
            series[self._labels("loadgate_run_valid")].append((now_ms, 1.0 if valid else 0.0))
            series[self._labels("loadgate_run_problems")].append((now_ms, float(len(s.watch.problems))))
        if final:  # the totals, late payloads included: what summary.json counts
            fails = _per_endpoint(c.failures)
            for ep, n in _per_endpoint(c.counts).items():
                series[self._labels("loadgate_requests_total", endpoint=ep)].append((now_ms, n))
                failed = fails.get(ep, 0)
                series[self._labels("loadgate_failures_total", endpoint=ep)].append((now_ms, failed))
        return series

    def _generator_rows(self) -> list[rf.GeneratorSample]:
        """Rows appended to ``generator.jsonl`` since the last read (the run's own health log)."""
        path: Path = self.session.writer.file(rf.GENERATOR)
        if not path.exists():
            return []
        with path.open("rb") as fh:
            fh.seek(self.generator_offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # a line being written is read next time
        self.generator_offset += end
        lines = data[:end].splitlines()
        return [rf.GeneratorSample.model_validate(json.loads(line)) for line in lines if line]


def _per_endpoint(cells: dict[tuple[float, str], int]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for (_, ep), n in cells.items():
        out[ep] += n
    return out


def attach(session: Session, meta: rf.Meta) -> LiveExport | None:
    """Start pushing the session's live results when ``LOADGATE_REMOTE_WRITE_URL`` or
    ``LOADGATE_OTLP_ENDPOINT`` is set."""
    url = os.environ.get(URL_ENV, "").strip() or None
    otlp = OtlpSink.from_env()
    if url is None and otlp is None:
        return None
    export = LiveExport(url, session, {"job": "loadgate", "run_id": meta.run_id,
                                       "scenario": meta.scenario_name, "commit": meta.git_commit or ""},
                        otlp=otlp)
    session._loop("live export", export.run)
    where = [f"remote write to {url}"] if url else []
    where += [f"OTLP to {os.environ[ENDPOINT_ENV]}"] if otlp else []
    session.console.print(f"live results: {', '.join(where)}", highlight=False)
    return export


def finish(export: LiveExport | None) -> None:
    """After the users stopped and the last reports are in: push what is left, and the totals."""
    if export is not None:
        export.tick(float("inf"), final=True)
        if export.otlp is not None:
            export.otlp.shutdown()
