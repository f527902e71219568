"""Latency histograms: HdrHistograms in µs with 3 significant digits, stored as tagged interval logs
(the HdrHistogram log format, one ``Tag=<endpoint>`` line per endpoint and interval).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hdrh.histogram import HdrHistogram

from loadgate.runformat.io import RunFormatError
from loadgate.runformat.schema import EPOCH_MAX

HDR_LOWEST_US = 1
HDR_HIGHEST_US = 3_600_000_000
HDR_DIGITS = 3


def new_histogram() -> HdrHistogram:
    """An empty latency histogram in the run format's units (µs, 1 µs to 1 h, 3 digits)."""
    return HdrHistogram(HDR_LOWEST_US, HDR_HIGHEST_US, HDR_DIGITS)


@dataclass
class IntervalHistogram:
    """One interval of one endpoint: ``start`` and ``length`` in seconds, values in µs."""

    endpoint: str
    start: float
    length: float
    histogram: HdrHistogram
    line: int = 0
    """Line number in the log it was read from (0 when not read from a file)."""


HEADER = "#[Histogram log format version 1.3]\n"


def _header(base_time: float) -> str:
    return (HEADER + f"#[StartTime: {base_time:.3f} (seconds since epoch)]\n"
            f"#[BaseTime: {base_time:.3f} (seconds since epoch)]\n"
            '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n')


def _line(iv: IntervalHistogram, base_time: float) -> str:
    if "," in iv.endpoint or "\n" in iv.endpoint:
        raise ValueError(f"endpoint name {iv.endpoint!r} may not contain ',' or a newline")
    payload = iv.histogram.encode().decode("ascii")
    max_ms = iv.histogram.get_max_value() / 1000.0
    return f"Tag={iv.endpoint},{iv.start - base_time:.3f},{iv.length:.3f},{max_ms:.3f},{payload}\n"


def write_hlog(path: Path, intervals: Iterable[IntervalHistogram], base_time: float) -> None:
    """Write tagged interval histograms in the HdrHistogram log format (times relative to base).

    Atomically (a temporary file, fsync, rename): it replaces the log a run appended as it went.
    We write the lines ourselves: the ``hdrhistogram`` package's writer has no tag support and
    fails on its own start-time line.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        f.write(_header(base_time))
        for iv in sorted(intervals, key=lambda iv: (iv.start, iv.endpoint)):
            f.write(_line(iv, base_time))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class HlogAppender:
    """An interval log written as the run goes: each call appends closed intervals and fsyncs,
    so a writer killed mid-run leaves every interval it had closed.

        log = HlogAppender(Path("run/hdr/raw.hlog"), base_time)
        log.append([IntervalHistogram("GET /tasks", 1000.0, 5.0, hist)])
    """

    def __init__(self, path: Path, base_time: float):
        self.path, self.base_time = path, base_time
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as f:
            f.write(_header(base_time))
            f.flush()
            os.fsync(f.fileno())

    def append(self, intervals: Iterable[IntervalHistogram]) -> None:
        ordered = sorted(intervals, key=lambda iv: (iv.start, iv.endpoint))
        lines = [_line(iv, self.base_time) for iv in ordered]
        if not lines:
            return
        with open(self.path, "a") as f:
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())


def iter_hlog(path: Path) -> Iterator[IntervalHistogram]:
    """Stream a tagged interval log written by :func:`write_hlog` (absolute start times).

    One interval at a time, so a reader can reduce each histogram before the next is decoded.
    Anything that is not such a log (no header, bytes that are not text, a bad time) is a
    ``RunFormatError`` naming the file and line.
    """
    base = 0.0
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; the try covers only the open
    except FileNotFoundError:
        raise RunFormatError(f"{path}: missing") from None
    with f:
        lineno = 0
        for lineno, data in enumerate(f, 1):
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                why = f"not text ({exc.reason} at byte {exc.start})"
                raise RunFormatError(f"{path}:{lineno}: {why}") from None
            if lineno == 1 and not line.startswith("#[Histogram log format"):
                raise RunFormatError(f"{path}:1: not an HdrHistogram interval log (no format header)")
            if line.startswith("#[BaseTime:"):
                base = _base_time(path, lineno, line)
            elif line.startswith("Tag="):
                yield _interval(path, lineno, line, base)
        if lineno == 0:
            raise RunFormatError(f"{path}: empty (not an interval log: a run writes at least its header)")


def _base_time(path: Path, lineno: int, line: str) -> float:
    parts = line.split()
    try:
        base = float(parts[1])
    except (IndexError, ValueError):
        raise RunFormatError(f"{path}:{lineno}: BaseTime: not a number ({line.strip()[:80]!r})") from None
    if not 0 <= base <= EPOCH_MAX:
        raise RunFormatError(f"{path}:{lineno}: BaseTime: {parts[1]} is not an epoch time")
    return base


def _interval(path: Path, lineno: int, line: str, base: float) -> IntervalHistogram:
    try:
        tag, start, length, _max, payload = line[4:].rstrip("\n").split(",", 4)
        start_s, length_s = base + float(start), float(length)
        if not (math.isfinite(start_s) and math.isfinite(length_s) and length_s > 0):
            raise ValueError(f"start {start!r}, length {length!r}")
        hist = HdrHistogram.decode(payload)
    except Exception as exc:  # any decode failure is a corrupt file, whatever raised it
        raise RunFormatError(f"{path}:{lineno}: corrupt interval histogram ({exc})") from None
    return IntervalHistogram(tag, start_s, length_s, hist, lineno)


def read_hlog(path: Path) -> list[IntervalHistogram]:
    """All intervals of a tagged interval log, in file order."""
    return list(iter_hlog(path))


def merge(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    """Merge histograms exactly, by adding their counts (never by averaging percentiles)."""
    total = new_histogram()
    for h in histograms:
        total.add(h)
    return total
