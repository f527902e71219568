"""Exact latency recording: per-endpoint HdrHistograms per 5 s interval, merged by adding.

Every load-generator process records each request into a :class:`Recorder`; it ships what it
recorded since the last shipment as a plain, msgpack-able payload (encoded histograms), and the
master's :class:`Collector` adds the payloads up. Adding histograms is exact, so the merged
percentiles equal those of one histogram of all the samples, however the users were spread.

    >>> rec = Recorder(expected_interval_us=6_000_000)
    >>> rec.record("GET /tasks", start=1000.2, latency_us=4127, failed=False)
    >>> collector = Collector()
    >>> collector.absorb(rec.drain())
    >>> [iv.histogram.get_total_count() for iv in collector.intervals()]
    [1]

Two histograms per endpoint and interval: ``raw`` (the time on the wire: what the client measured
from sending, less any wait for a pooled connection) and ``corrected`` for coordinated omission:
from the intended start (open model, pool wait included), else HdrHistogram's expected-interval
back-filling (closed model, the interval being the mean think time). A third, ``pool``, holds the
waits of the requests that had to wait for a connection (only those: the others waited 0).
Pure logic (hdrh only), no Locust.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hdrh.histogram import HdrHistogram

from loadgate.runformat import (
    HDR_HIGHEST_US,
    INTERVAL_S,
    IntervalHistogram,
    merge,
    new_histogram,
    write_hlog,
)

Key = tuple[float, str]
"""(interval start, endpoint)"""


def _clamp(us: float) -> int:
    return min(max(int(round(us)), 0), HDR_HIGHEST_US)


class Recorder:
    """One process's recorder; ``record`` is called from Locust's ``request`` event.

    ``open_model``: requests may carry an intended start, so each also goes into a corrected
    histogram of its own. Otherwise (closed model) the corrected histogram is the raw one plus
    the back-filled values, and only those extra values are recorded: a request shorter than
    the expected interval (almost all of them) costs one histogram update, not two.
    """

    def __init__(self, expected_interval_us: int = 0, open_model: bool = False):
        self.expected_interval_us = expected_interval_us
        self.open_model = open_model
        self._raw: dict[Key, HdrHistogram] = {}
        self._corrected: dict[Key, HdrHistogram] = {}
        self._failures: dict[Key, int] = defaultdict(int)
        self._pool: dict[Key, HdrHistogram] = {}

    def record(self, endpoint: str, start: float, latency_us: float, failed: bool,
               intended: float | None = None, wait_us: float = 0.0) -> None:
        """One request: ``start`` epoch seconds when sent, ``latency_us`` as measured.

        ``intended`` (epoch seconds) is when the request should have been sent (open model);
        the corrected latency then runs from there to the response. ``wait_us`` is the part of
        ``latency_us`` spent waiting for a pooled connection, inside the generator.
        """
        key = (start // INTERVAL_S * INTERVAL_S, endpoint)  # runformat.interval_start, inlined
        raw = self._raw.get(key)
        if raw is None:
            raw = self._raw[key] = new_histogram()
        if wait_us > 0:
            pool = self._pool.get(key) or self._pool.setdefault(key, new_histogram())
            pool.record_value(_clamp(wait_us))
            value = _clamp(latency_us - wait_us)
        else:
            value = _clamp(latency_us)
        raw.record_value(value)
        if self.open_model:
            corrected = self._corrected.get(key) or self._corrected.setdefault(key, new_histogram())
            late_us = 0.0 if intended is None else (start - intended) * 1e6
            corrected.record_value(_clamp(late_us + latency_us))
        elif 0 < self.expected_interval_us < value:
            # HdrHistogram's correction records value, value - i, value - 2i, ...; the first is
            # in ``raw`` already, the rest are what the stalled user would have sent meanwhile.
            extra = self._corrected.get(key) or self._corrected.setdefault(key, new_histogram())
            extra.record_corrected_value(value - self.expected_interval_us, self.expected_interval_us)
        if failed:
            self._failures[key] += 1

    def _corrected_blob(self, key: Key, raw: HdrHistogram, raw_blob: bytes) -> bytes:
        other = self._corrected.get(key)
        if self.open_model:
            return other.encode() if other is not None else raw_blob
        if other is None:
            return raw_blob
        return merge((raw, other)).encode()

    def drain(self) -> dict:
        """Everything recorded since the last drain, as a payload for ``Collector.absorb``."""
        raw, corrected = [], []
        for (t, ep), h in self._raw.items():
            blob = h.encode()
            raw.append([t, ep, blob])
            corrected.append([t, ep, self._corrected_blob((t, ep), h, blob)])
        payload = {
            "raw": raw,
            "corrected": corrected,
            "failures": [[t, ep, n] for (t, ep), n in self._failures.items()],
            "pool": [[t, ep, h.encode()] for (t, ep), h in self._pool.items()],
        }
        self._raw, self._corrected, self._failures, self._pool = {}, {}, defaultdict(int), {}
        return payload


@dataclass
class _Cell:
    """One (interval, endpoint): a live histogram, or its encoded form once the interval is old."""

    hist: HdrHistogram | None = None
    encoded: bytes | None = None
    max_value: int = 0

    def get(self) -> HdrHistogram:
        if self.hist is None:
            self.hist = HdrHistogram.decode(self.encoded) if self.encoded else new_histogram()
            self.encoded = None
        return self.hist

    def compact(self) -> None:
        if self.hist is not None:
            self.encoded, self.max_value, self.hist = self.hist.encode(), self.hist.get_max_value(), None

    def for_log(self) -> _Encoded:
        self.compact()
        return _Encoded(self.encoded or new_histogram().encode(), self.max_value)


@dataclass
class _Encoded:
    """What ``runformat.write_hlog`` needs of a histogram, without decoding it again."""

    blob: bytes
    max_value: int

    def encode(self) -> bytes:
        return self.blob

    def get_max_value(self) -> int:
        return self.max_value


@dataclass
class Collector:
    """The master's (or local process's) sum of every process's recordings.

    Histograms of intervals older than ``keep_live_s`` are kept encoded (a few hundred bytes
    instead of ~190 KB each), so hours-long runs fit in memory; a late payload is still added
    exactly (decoded, added, encoded again).
    """

    keep_live_s: float = 30.0
    raw: dict[Key, _Cell] = field(default_factory=dict)
    corrected: dict[Key, _Cell] = field(default_factory=dict)
    failures: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    pool: dict[Key, _Cell] = field(default_factory=dict)
    """Waits for a pooled connection, of the requests that waited."""

    persisted: set[Key] = field(default_factory=set)
    """Cells already appended to the run's logs as the run went (see ``take_closed``)."""

    def take_closed(self, before: float) -> tuple[list[IntervalHistogram], list[IntervalHistogram]]:
        """(raw, corrected) intervals that ended by ``before`` and were not taken yet, encoded.

        The run appends them to its logs as it goes, so a killed run keeps them; a payload that
        arrives later for a taken cell is still added here, and the final log is rewritten whole.
        """
        keys = sorted(k for k in self.raw if k not in self.persisted and k[0] + INTERVAL_S <= before)
        self.persisted.update(keys)

        def encoded(cells: dict[Key, _Cell]) -> list[IntervalHistogram]:
            return [IntervalHistogram(ep, t, INTERVAL_S, cells[(t, ep)].for_log())
                    for t, ep in keys if (t, ep) in cells]

        return encoded(self.raw), encoded(self.corrected)

    def absorb(self, payload: dict) -> None:
        """Add one process's drained payload."""
        decoded: dict[bytes, HdrHistogram] = {}
        for t, ep, blob in payload.get("raw", ()):
            other = decoded[blob] = HdrHistogram.decode(blob)
            self.raw.setdefault((t, ep), _Cell()).get().add(other)
            self.counts[(t, ep)] += other.get_total_count()
        for t, ep, blob in payload.get("corrected", ()):
            # Closed model, no request longer than the think time: the same bytes as the raw
            # histogram, so decode once (a master merges every worker's, every 3 s).
            other = decoded.get(blob) or HdrHistogram.decode(blob)
            self.corrected.setdefault((t, ep), _Cell()).get().add(other)
        for t, ep, n in payload.get("failures", ()):
            self.failures[(t, ep)] += n
        for t, ep, blob in payload.get("pool", ()):
            self.pool.setdefault((t, ep), _Cell()).get().add(HdrHistogram.decode(blob))

    def compact(self, now: float) -> None:
        """Encode the histograms of intervals that ended more than ``keep_live_s`` ago."""
        for cells in (self.raw, self.corrected, self.pool):
            for (t, _), cell in cells.items():
                if t + INTERVAL_S < now - self.keep_live_s:
                    cell.compact()

    def intervals(self, corrected: bool = False) -> list[IntervalHistogram]:
        """All interval histograms, decoded (tests and benchmarks; the run uses ``write_hlog``)."""
        cells = self.corrected if corrected else self.raw
        return [IntervalHistogram(ep, t, INTERVAL_S, cell.get()) for (t, ep), cell in sorted(cells.items())]

    def write_hlog(self, path: Path, base_time: float, corrected: bool = False, pool: bool = False) -> None:
        """The interval log, from the encoded histograms: hours of intervals are never all
        decoded at once (each would be ~190 KB of counts). ``pool``: the pool-wait log."""
        cells = self.pool if pool else self.corrected if corrected else self.raw
        write_hlog(path, (IntervalHistogram(ep, t, INTERVAL_S, cell.for_log())
                          for (t, ep), cell in cells.items()), base_time)

    def per_interval(self) -> dict[float, tuple[dict[str, int], dict[str, int]]]:
        """Per interval start: (requests per endpoint, failures included; failures per endpoint)."""
        out: dict[float, tuple[dict[str, int], dict[str, int]]] = {}
        for (t, ep), n in sorted(self.counts.items()):
            out.setdefault(t, ({}, {}))[0][ep] = n
        for (t, ep), n in sorted(self.failures.items()):
            out.setdefault(t, ({}, {}))[1][ep] = n
        return out

    def totals(self) -> tuple[int, int]:
        """(requests, failures) over the whole run so far."""
        return sum(self.counts.values()), sum(self.failures.values())

    def recent(self, since: float) -> HdrHistogram:
        """All endpoints merged over the intervals starting at or after ``since`` (live view)."""
        return merge(cell.get() for (t, _), cell in self.raw.items() if t >= since)

    def per_endpoint(self, corrected: bool = False) -> dict[str, HdrHistogram]:
        """One histogram per endpoint over the whole run (for the end-of-run table)."""
        groups: dict[str, list[HdrHistogram]] = defaultdict(list)
        for (_, ep), cell in (self.corrected if corrected else self.raw).items():
            groups[ep].append(cell.get())
        return {ep: merge(hists) for ep, hists in sorted(groups.items())}
