"""Latency histograms: HdrHistograms in µs with 3 significant digits, stored as tagged interval logs
(the HdrHistogram log format, one ``Tag=<endpoint>`` line per endpoint and interval).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hdrh.histogram import HdrHistogram

from loadgate.runformat.io import RunFormatError

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


def write_hlog(path: Path, intervals: Iterable[IntervalHistogram], base_time: float) -> None:
    """Write tagged interval histograms in the HdrHistogram log format (times relative to base).

    We write the lines ourselves: the ``hdrhistogram`` package's writer has no tag support and
    fails on its own start-time line.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write("#[Histogram log format version 1.3]\n")
        f.write(f"#[StartTime: {base_time:.3f} (seconds since epoch)]\n")
        f.write(f"#[BaseTime: {base_time:.3f} (seconds since epoch)]\n")
        f.write('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n')
        for iv in sorted(intervals, key=lambda iv: (iv.start, iv.endpoint)):
            if "," in iv.endpoint or "\n" in iv.endpoint:
                raise ValueError(f"endpoint name {iv.endpoint!r} may not contain ',' or a newline")
            payload = iv.histogram.encode().decode("ascii")
            max_ms = iv.histogram.get_max_value() / 1000.0
            f.write(f"Tag={iv.endpoint},{iv.start - base_time:.3f},{iv.length:.3f},{max_ms:.3f},{payload}\n")


def iter_hlog(path: Path) -> Iterator[IntervalHistogram]:
    """Stream a tagged interval log written by :func:`write_hlog` (absolute start times).

    One interval at a time, so a reader can reduce each histogram before the next is decoded.
    """
    base = 0.0
    try:
        f = open(path)  # noqa: SIM115 - closed below; the try covers only the open
    except FileNotFoundError:
        raise RunFormatError(f"{path}: missing") from None
    with f:
        for lineno, line in enumerate(f, 1):
            if line.startswith("#[BaseTime:"):
                base = float(line.split()[1])
                continue
            if not line.startswith("Tag="):
                continue
            try:
                tag, start, length, _max, payload = line[4:].rstrip("\n").split(",", 4)
                hist = HdrHistogram.decode(payload)
                start_s, length_s = base + float(start), float(length)
            except Exception as exc:  # any decode failure is a corrupt file, whatever raised it
                raise RunFormatError(f"{path}:{lineno}: corrupt interval histogram ({exc})") from None
            yield IntervalHistogram(tag, start_s, length_s, hist, lineno)


def read_hlog(path: Path) -> list[IntervalHistogram]:
    """All intervals of a tagged interval log, in file order."""
    return list(iter_hlog(path))


def merge(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    """Merge histograms exactly, by adding their counts (never by averaging percentiles)."""
    total = new_histogram()
    for h in histograms:
        total.add(h)
    return total
