"""Interval histograms of a run, held compactly and queried without ever averaging percentiles.

A run's ``hdr/raw.hlog`` holds one HdrHistogram per endpoint and 5 s interval. Decoded, each is a
23,552-bucket array (184 kB), so an hour of 20 endpoints would take 2.7 GB as ``HdrHistogram``
objects. Here the log is streamed once into a sparse matrix (one row per interval and endpoint, one
column per HDR bucket, only non-zero counts stored); merging any set of rows is a sparse sum, and
percentiles come from cumulative counts exactly as ``hdrh`` computes them.

For example::

    log = LatencyLog.load(RunDir.open("runs/20261128-130000-smoke"))
    log.histograms()["GET /tasks"].get_value_at_percentile(95)      # 4127 µs, merged by adding
    log.over_time()[["p50", "p95", "p99"]].head(2)                   # ms, per interval
               p50    p95    p99
    t
    1000.0   1.203  4.011  6.207
    1005.0   1.187  3.995  6.113

Two places use hdrh internals, because its public API is a Python loop per bucket: reading a
histogram's bucket counts (the ctypes array ``HdrHistogram.counts``: 0.01 ms for a histogram of
8,193 non-empty buckets, against 86 ms through ``get_recorded_iterator``) and building one from
counts (``counts`` plus ``set_internal_tacking_values``, as hdrh's own decoder does: 0.5 ms against
29 ms through ``record_value`` per bucket; a report builds two per endpoint). The bucket count
(``counts_len``) has no getter either. These are pinned to
the hdrhistogram versions they were tested with (``>=0.10,<0.11`` in pyproject.toml), and
``tests/reports/test_latency.py`` checks them against the public API, so an upgrade that changes
the internals fails there first.

Over 300 lines on purpose: the bucket table, the streaming reader and the queries are one sparse
layout, and keeping them together keeps the hdrh internals in one module.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hdrh.histogram import HdrHistogram

from loadgate.runformat import (
    CORRECTED_LOG,
    POOL_LOG,
    RAW_LOG,
    TOTAL,
    RunDir,
    RunFormatError,
    iter_hlog,
    new_histogram,
)

SUMMARY_PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
INT32_MAX = 2**31 - 1
"""Bucket counts of one interval are held as int32 (sums are taken in int64)."""


@cache
def _layout() -> tuple[int, np.ndarray]:
    """Bucket count of the run format's histograms, and each bucket's highest equivalent value (µs).

    hdrh reports a percentile as the highest value equivalent to the bucket it falls in; this
    table lets numpy do the same for thousands of histograms at once.
    """
    h = new_histogram()
    values = np.array(
        [h.get_highest_equivalent_value(h.get_value_from_index(i)) for i in range(h.counts_len)],
        dtype=np.int64,
    )
    return h.counts_len, values


@cache
def _midpoints() -> np.ndarray:
    """Each bucket's middle value (µs), the value hdrh's mean counts a bucket's samples at."""
    h = new_histogram()
    _, highest = _layout()
    lowest = np.array([h.get_value_from_index(i) for i in range(h.counts_len)], dtype=np.int64)
    return lowest + ((highest - lowest + 1) >> 1)


def summary_figures(
    hist: HdrHistogram, percentiles: Sequence[float]
) -> tuple[list[int], int, float] | None:
    """Values at ``percentiles`` (µs), max (µs) and mean (µs) of a run-format histogram, exactly as
    ``get_percentile_to_value_dict``, ``get_max_value`` and ``get_mean_value`` give them, without
    their per-bucket Python loops; None for a histogram of another layout.

    >>> h = new_histogram(); _ = [h.record_value(v) for v in (1000, 3000)]
    >>> summary_figures(h, [50])
    ([1000], 3001, 2000.5)
    """
    counts_len, _ = _layout()
    if hist.counts_len != counts_len or not hist.get_total_count():
        return None
    counts = counts_of(hist)
    values = [int(v) for v in values_at(counts, percentiles)[0]]
    nz = np.flatnonzero(counts)
    # Python ints for the weighted sum: exact, as hdrh's own, for any count.
    total = sum(int(c) * int(m) for c, m in zip(counts[nz], _midpoints()[nz], strict=True))
    return values, hist.get_max_value(), float(total) / hist.get_total_count()


def counts_of(hist: HdrHistogram) -> np.ndarray:
    """The bucket counts of a run-format histogram as an int64 numpy array (a copy).

    hdrh internals: its ctypes counts array (see the module docstring for why)."""
    return np.ctypeslib.as_array(hist.counts).astype(np.int64)


def to_histogram(counts: np.ndarray) -> HdrHistogram:
    """An ``HdrHistogram`` holding ``counts`` (dense bucket counts), as if decoded from a log.

    hdrh internals: fills its counts array and sets min / max / total the way its decoder does
    (see the module docstring for why not ``record_value``)."""
    hist = new_histogram()
    np.ctypeslib.as_array(hist.counts)[:] = counts
    nonzero = np.flatnonzero(counts)
    if nonzero.size:
        hist.set_internal_tacking_values(int(nonzero[0]), int(nonzero[-1]), int(counts.sum()))
    return hist


def values_at(counts: sp.csr_matrix | np.ndarray, percentiles: Sequence[float] | np.ndarray) -> np.ndarray:
    """Per row of ``counts``, the value (µs) at each percentile; NaN for empty rows.

    Exactly ``HdrHistogram.get_value_at_percentile`` (same target-count rounding, same
    highest-equivalent value), vectorised over rows:

    >>> h = new_histogram(); _ = [h.record_value(v) for v in (1000, 2000, 3000, 4000)]
    >>> values_at(counts_of(h), [50, 100])
    array([[2000., 4001.]])
    """
    _, highest = _layout()
    m = sp.csr_matrix(counts) if sp.issparse(counts) else sp.csr_matrix(np.atleast_2d(counts))
    m.sum_duplicates()
    m.sort_indices()
    cum = np.cumsum(m.data)
    before = np.concatenate([[0], cum])[m.indptr[:-1]]  # counts in all earlier rows
    totals = np.asarray(m.sum(axis=1)).ravel()
    out = np.full((m.shape[0], len(percentiles)), np.nan)
    live = totals > 0
    for j, q in enumerate(percentiles):
        q = min(float(q), 100.0)
        target = np.maximum((q * totals / 100 + 0.5).astype(np.int64), 1)
        pos = np.searchsorted(cum, before[live] + target[live], side="left")
        out[live, j] = highest[m.indices[pos]]
    return out


def max_of(counts: sp.csr_matrix) -> np.ndarray:
    """Per row, the highest equivalent value (µs) of the highest non-empty bucket; NaN if empty."""
    _, highest = _layout()
    m = counts.tocsr()
    m.sort_indices()
    out = np.full(m.shape[0], np.nan)
    live = np.diff(m.indptr) > 0
    out[live] = highest[m.indices[m.indptr[1:][live] - 1]]
    return out


@dataclass
class LatencyLog:
    """All interval histograms of one log: row ``i`` is endpoint ``names[endpoint[i]]`` over
    ``[start[i], start[i] + length[i])``; ``counts`` is rows × HDR buckets."""

    names: list[str]
    endpoint: np.ndarray
    start: np.ndarray
    length: np.ndarray
    counts: sp.csr_matrix

    @classmethod
    def load(cls, run: RunDir) -> LatencyLog:
        """The raw log of ``run``."""
        return cls.read(run.path / RAW_LOG)

    @classmethod
    def load_corrected(cls, run: RunDir) -> LatencyLog | None:
        """The coordinated-omission-corrected log of ``run`` (None if the run has none)."""
        path = run.path / CORRECTED_LOG
        return cls.read(path) if path.exists() else None

    @classmethod
    def pool_waits(cls, run: RunDir) -> LatencyLog | None:
        """The waits for a pooled connection, of the requests that waited (None: none did)."""
        path = run.path / POOL_LOG
        return cls.read(path) if path.exists() else None

    @classmethod
    def read(cls, path: Path) -> LatencyLog:
        """Stream a tagged interval log (``loadgate.runformat.write_hlog``) into a LatencyLog.

        The log is streamed by ``runformat.iter_hlog`` and each histogram is reduced
        to its non-zero buckets as soon as it is decoded, so memory follows the data, not the
        bucket layout. The non-zero buckets go straight into growing int32 buffers (``array``),
        which numpy then views without a copy: peak memory is about the final matrix.
        """
        counts_len, _ = _layout()
        names: dict[str, int] = {}
        endpoint: list[int] = []
        start: list[float] = []
        length: list[float] = []
        indices, data = array("i"), array("i")
        row_ends = [0]
        for iv in iter_hlog(path):
            hist = iv.histogram
            if hist.counts_len != counts_len:
                raise RunFormatError(
                    f"{path}:{iv.line}: histogram range/precision differs from the run format "
                    f"(1 µs..1 h, 3 digits)"
                )
            # Only the span between the lowest and highest non-empty bucket can hold counts.
            live = hist.get_total_count() > 0
            first = hist.get_counts_array_index(hist.get_min_value()) if live else 0
            last = hist.get_counts_array_index(hist.get_max_value()) + 1 if live else 0
            c = np.ctypeslib.as_array(hist.counts)[first:last]  # hdrh internals: see the module docstring
            nz = np.flatnonzero(c)
            values = c[nz]
            if values.size and values.max() > INT32_MAX:
                raise RunFormatError(f"{path}:{iv.line}: a bucket counts over 2**31 samples in one interval")
            indices.frombytes((nz + first).astype(np.int32).tobytes())
            data.frombytes(values.astype(np.int32).tobytes())
            row_ends.append(len(data))
            endpoint.append(names.setdefault(iv.endpoint, len(names)))
            start.append(iv.start)
            length.append(iv.length)
        counts = sp.csr_matrix(
            (
                np.frombuffer(data, dtype=np.int32),
                np.frombuffer(indices, dtype=np.int32),
                np.array(row_ends, dtype=np.int64),
            ),
            shape=(len(endpoint), counts_len),
        )
        return cls(list(names), np.array(endpoint, dtype=np.int32), np.array(start), np.array(length), counts)

    @property
    def endpoints(self) -> list[str]:
        """Endpoint names, sorted."""
        return sorted(self.names)

    def rows(self, endpoint: str | None = None) -> np.ndarray | None:
        """Row numbers of one endpoint; None (meaning all rows) for None or ``Total``."""
        if endpoint in (None, TOTAL):
            return None
        if endpoint not in self.names:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.endpoint == self.names.index(endpoint))

    def merged(self, rows: Iterable[int] | np.ndarray | None = None) -> np.ndarray:
        """Dense bucket counts of the given rows added together (all rows by default)."""
        if rows is None:
            return np.asarray(self.counts.sum(axis=0), dtype=np.int64).ravel()
        rows = np.asarray(rows, dtype=np.int64)
        weights = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.int64), (np.zeros(len(rows), dtype=np.int64), rows)),
            shape=(1, self.counts.shape[0]),
        )
        return (weights @ self.counts).toarray().ravel().astype(np.int64)

    @cached_property
    def _whole_run(self) -> dict[str, np.ndarray]:
        """Dense counts per endpoint and ``Total`` over the whole run, from one sparse product."""
        codes, merged = self.group(self.endpoint)
        dense = {self.names[c]: merged[i].toarray().ravel().astype(np.int64) for i, c in enumerate(codes)}
        dense[TOTAL] = sum(dense.values(), np.zeros(self.counts.shape[1], dtype=np.int64))
        return dense

    def whole_run(self, endpoint: str | None = None) -> np.ndarray:
        """Dense bucket counts of one endpoint (``Total`` or None: all) over the whole run."""
        empty = np.zeros(self.counts.shape[1], dtype=np.int64)
        return self._whole_run.get(TOTAL if endpoint is None else endpoint, empty)

    def histogram(self, endpoint: str | None = None) -> HdrHistogram:
        """One endpoint's histogram over the whole run (``Total`` or None: all endpoints)."""
        return to_histogram(self.whole_run(endpoint))

    def histograms(self) -> dict[str, HdrHistogram]:
        """Per endpoint over the whole run, plus ``Total``: the one per-endpoint merge of the analysis."""
        return {name: self.histogram(name) for name in [*self.endpoints, TOTAL]}

    def group(self, keys: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
        """Add rows that share a key: returns the sorted unique keys and one merged row per key."""
        rows = np.arange(self.counts.shape[0]) if rows is None else rows
        uniq, code = np.unique(keys, return_inverse=True)
        g = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.int64), (code, rows)), shape=(len(uniq), self.counts.shape[0])
        )
        return uniq, (g @ self.counts).tocsr()

    def over_time(
        self, endpoint: str | None = None, percentiles: Sequence[float] = (50, 95, 99)
    ) -> pd.DataFrame:
        """Per interval (index ``t``, epoch s): ``count``, ``p<q>`` and ``max`` in ms.

        Endpoints in the same interval are merged by adding their histograms first (never by
        averaging percentiles). Columns are named ``p50``, ``p95``, ``p99``, ``p99.9`` -> ``p999``.
        """
        rows = self.rows(endpoint)
        starts, merged = self.group(self.start if rows is None else self.start[rows], rows)
        frame = pd.DataFrame(
            values_at(merged, percentiles) / 1000.0,
            columns=[percentile_name(q) for q in percentiles],
            index=pd.Index(starts, name="t"),
        )
        frame.insert(0, "count", np.asarray(merged.sum(axis=1)).ravel())
        frame["max"] = max_of(merged) / 1000.0
        return frame

    def windows(
        self, endpoint: str | None, size: int, percentiles: Sequence[float] = (95, 99)
    ) -> pd.DataFrame:
        """Like :meth:`over_time`, over consecutive windows of ``size`` intervals (``t`` = window start)."""
        rows = self.rows(endpoint)
        times = self.start if rows is None else self.start[rows]
        if not len(times):
            return pd.DataFrame(columns=["count", *[percentile_name(q) for q in percentiles]])
        starts = np.unique(times)
        window_of = {t: starts[(i // size) * size] for i, t in enumerate(starts)}
        keys = np.array([window_of[t] for t in times])
        wstarts, merged = self.group(keys, rows)
        frame = pd.DataFrame(
            values_at(merged, percentiles) / 1000.0,
            columns=[percentile_name(q) for q in percentiles],
            index=pd.Index(wstarts, name="t"),
        )
        frame.insert(0, "count", np.asarray(merged.sum(axis=1)).ravel())
        return frame

    def spectrum(self, endpoint: str | None = None, nines: float = 4.0, points: int = 200) -> pd.Series:
        """Latency (ms) against percentile, from 0 up to ``nines`` nines (4: 99.99 %).

        The index is the percentile; points are evenly spaced in ``-log10(1 - q)``, the axis on
        which tails are read (90 % -> 1, 99 % -> 2, 99.9 % -> 3).
        """
        x = np.linspace(0, nines, points)
        qs = 100 * (1 - 10**-x)
        values = values_at(self.whole_run(endpoint), qs)[0] / 1000.0
        return pd.Series(values, index=pd.Index(qs, name="percentile"))


def percentile_name(q: float) -> str:
    """Column name for a percentile: 95 -> ``p95``, 99.9 -> ``p999``, 99.99 -> ``p9999``.

    >>> percentile_name(99.9)
    'p999'
    """
    text = f"{q:g}"
    return "p" + text.replace(".", "")
