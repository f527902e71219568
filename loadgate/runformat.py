"""The run directory: the one contract between the swarm that writes it and the analysis that reads it.

Writer (``loadtests``) and reader (``reports``) both use these definitions; the layout is
documented in ``docs/run-format.md``. A run directory is written under a temporary name and
renamed when complete, so a folder with the final name is always whole:

    >>> with RunWriter(Path("runs"), "20261128-130000-smoke") as run:
    ...     run.append(TIMELINE, TimelineRow(t=0, interval_s=5, users=1))
    ...     run.write_meta(meta)
    >>> RunDir.open(Path("runs/20261128-130000-smoke")).meta.scenario_name
    'smoke'

Latencies are HdrHistograms in microseconds with 3 significant digits, stored as tagged interval
logs (the HdrHistogram log format, one ``Tag=<endpoint>`` line per endpoint and interval).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from hdrh.histogram import HdrHistogram
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loadgate.errors import InputError

FORMAT_VERSION = 1

META = "meta.json"
SUMMARY = "summary.json"
RAW_LOG = "hdr/raw.hlog"
CORRECTED_LOG = "hdr/corrected.hlog"
LOCUST_DIR = "locust"
SUT = "sut.jsonl"
GENERATOR = "generator.jsonl"
TIMELINE = "timeline.jsonl"

INTERVAL_S = 5.0
"""Length of one interval histogram, in seconds; intervals are aligned to multiples of it."""

HDR_LOWEST_US = 1
HDR_HIGHEST_US = 3_600_000_000
HDR_DIGITS = 3

TOTAL = "Total"
"""Name of the aggregate over all endpoints in summaries (never an endpoint name)."""


class RunFormatError(InputError):
    """A run directory that is missing a file, has a corrupt one, or an unknown format version."""


def new_histogram() -> HdrHistogram:
    """An empty latency histogram in the run format's units (µs, 1 µs to 1 h, 3 digits)."""
    return HdrHistogram(HDR_LOWEST_US, HDR_HIGHEST_US, HDR_DIGITS)


def interval_start(t: float) -> float:
    """The start of the interval that time ``t`` (epoch seconds) falls in.

    >>> interval_start(1000.0 * 5 + 3.2)
    5000.0
    """
    return (t // INTERVAL_S) * INTERVAL_S


class _Model(BaseModel):
    # Readers ignore fields they do not know, so a newer writer's additions do not break them.
    model_config = ConfigDict(extra="ignore")


class Meta(_Model):
    """``meta.json``: what was run, where, when, and whether it finished."""

    format_version: int = FORMAT_VERSION
    run_id: str
    scenario_name: str
    scenario: dict = Field(default_factory=dict, description="The scenario as resolved")
    scenario_file: str | None = None
    slo_file: str | None = None
    git_commit: str | None = None
    packages: dict[str, str] = Field(default_factory=dict)
    host: str = ""
    python: str = ""
    command: list[str] = Field(default_factory=list)
    target: str = ""
    target_kind: str = Field("", description="e.g. 'local (sqlite + memory)', 'url'")
    model: Literal["closed", "open"] = "closed"
    workers: int = 0
    created_at: float = Field(description="When the run began (epoch s), seeding included")
    started_at: float = Field(description="When measurement began (epoch s), after seeding")
    ended_at: float | None = None
    planned_duration_s: float = 0.0
    interrupted: bool = False
    interrupt_reason: str | None = None
    interval_s: float = INTERVAL_S

    @property
    def duration_s(self) -> float:
        """Measured seconds (0 while the run is still going)."""
        return max(0.0, (self.ended_at or self.started_at) - self.started_at)


class TimelineRow(_Model):
    """One line of ``timeline.jsonl``: per interval, users and per-endpoint request counts."""

    t: float = Field(description="Interval start, epoch seconds")
    interval_s: float = INTERVAL_S
    users: int = 0
    requests: dict[str, int] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict)


class SutSample(_Model):
    """One line of ``sut.jsonl``: cumulative counters scraped from the SUT's ``/metrics``.

    ``cache`` is keyed by endpoint (``GET /tasks/{id}``) then result (hit, miss, error, bypass);
    ``caches`` by cache name (task, task_list, user, analytics) then result.
    """

    t: float
    ok: bool = True
    error: str | None = None
    cache: dict[str, dict[str, float]] = Field(default_factory=dict)
    caches: dict[str, dict[str, float]] = Field(default_factory=dict)
    rate_limited: float = 0.0
    breakers: dict[str, float] = Field(default_factory=dict, description="0 closed, 1 half-open, 2 open")
    store_ops: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="operation -> {count, sum_s}"
    )


class GeneratorSample(_Model):
    """One line of ``generator.jsonl``: health of one load-generator process."""

    t: float
    process: str = Field(description="'master', 'local' or 'worker-<id>'")
    cpu_percent: float
    loop_lag_ms: float
    rss_bytes: int = 0
    users: int = 0


class Percentiles(_Model):
    """Latency figures in milliseconds from one (merged) HdrHistogram."""

    count: int = 0
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    p999: float | None = None
    max: float | None = None
    mean: float | None = None


class EndpointSummary(Percentiles):
    """Per endpoint (and ``Total``) in ``summary.json``."""

    failures: int = 0
    error_rate: float = 0.0
    rps: float = 0.0
    cache_hit_ratio: float | None = None
    cache_lookups: int = 0
    corrected: Percentiles | None = None


class Validity(_Model):
    """Whether the run measured the API and not the generator, and if not, why."""

    valid: bool = True
    reasons: list[str] = Field(default_factory=list)


class Summary(_Model):
    """``summary.json``: rebuilt from the logs by ``reports.summary``, never counted in the run."""

    format_version: int = FORMAT_VERSION
    run_id: str
    scenario_name: str
    duration_s: float
    users_max: int = 0
    endpoints: dict[str, EndpointSummary]
    total: EndpointSummary
    rate_limited: float = 0.0
    generator_cpu_max: float | None = None
    generator_loop_lag_p99_ms: float | None = None
    validity: Validity


M = TypeVar("M", bound=_Model)


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


def write_json_atomic(path: Path, data: dict | BaseModel) -> None:
    """Write JSON to ``path`` through a temporary file and a rename, so readers never see half."""
    text = data.model_dump_json(indent=2) if isinstance(data, BaseModel) else json.dumps(data, indent=2)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n")
    os.replace(tmp, path)


def read_json_model(path: Path, model: type[M]) -> M:
    """Load ``path`` as ``model``, turning any problem into one clear RunFormatError."""
    try:
        return model.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise RunFormatError(f"{path}: missing") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(document)"
        raise RunFormatError(f"{path}: {where}: {err['msg']}") from None


def read_jsonl(path: Path, model: type[M], required: bool = False) -> list[M]:
    """Load a JSON-lines file as a list of ``model``; a missing optional file is empty."""
    if not path.exists():
        if required:
            raise RunFormatError(f"{path}: missing")
        return []
    rows = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate_json(line))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(line)"
            raise RunFormatError(f"{path}:{lineno}: {where}: {err['msg']}") from None
    return rows


class RunWriter:
    """Builds a run directory under a temporary name; renames it into place on exit.

    On an exception (Ctrl-C included) the folder is still finished and renamed, with whatever
    was written so far; the caller marks it interrupted in ``meta.json``.
    """

    def __init__(self, out: Path, run_id: str):
        self.final = out / run_id
        if self.final.exists():
            raise InputError(f"{self.final}: already exists; choose another --out or run id")
        self.path = out / f".{run_id}.partial"
        shutil.rmtree(self.path, ignore_errors=True)
        (self.path / "hdr").mkdir(parents=True)
        (self.path / LOCUST_DIR).mkdir()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.finish()

    def file(self, name: str) -> Path:
        """Path of a file inside the run directory being written."""
        return self.path / name

    def append(self, name: str, row: BaseModel) -> None:
        """Append one JSON line to ``name`` (``sut.jsonl``, ``generator.jsonl``, ``timeline.jsonl``)."""
        with open(self.path / name, "a") as f:
            f.write(row.model_dump_json() + "\n")

    def write_meta(self, meta: Meta) -> None:
        write_json_atomic(self.path / META, meta)

    def finish(self) -> Path:
        """Rename the folder to its final name (once); returns the final path."""
        if self.path.exists():
            os.replace(self.path, self.final)
        return self.final


@dataclass
class RunDir:
    """A finished run directory, opened for reading. Files load on first use."""

    path: Path
    meta: Meta

    @classmethod
    def open(cls, path: Path | str) -> RunDir:
        """Open and check a run directory: it exists, has ``meta.json``, and a known version."""
        path = Path(path)
        if not path.is_dir():
            raise RunFormatError(f"{path}: not a run directory (no such folder)")
        try:
            raw = json.loads((path / META).read_bytes())
        except FileNotFoundError:
            raise RunFormatError(f"{path / META}: missing: not a run directory") from None
        except ValueError as exc:
            raise RunFormatError(f"{path / META}: corrupt JSON ({exc})") from None
        version = raw.get("format_version") if isinstance(raw, dict) else None
        if version != FORMAT_VERSION:
            raise RunFormatError(
                f"{path / META}: format_version {version!r} is not one this loadgate reads ({FORMAT_VERSION})"
            )
        return cls(path, read_json_model(path / META, Meta))

    def intervals(self, corrected: bool = False) -> list[IntervalHistogram]:
        """The interval histograms, raw or coordinated-omission-corrected."""
        path = self.path / (CORRECTED_LOG if corrected else RAW_LOG)
        if corrected and not path.exists():
            return []
        return read_hlog(path)

    def timeline(self) -> list[TimelineRow]:
        return read_jsonl(self.path / TIMELINE, TimelineRow)

    def sut(self) -> list[SutSample]:
        return read_jsonl(self.path / SUT, SutSample)

    def generator(self) -> list[GeneratorSample]:
        return read_jsonl(self.path / GENERATOR, GeneratorSample)

    def summary(self) -> Summary:
        return read_json_model(self.path / SUMMARY, Summary)


def iter_runs(root: Path) -> Iterator[Path]:
    """Finished run directories under ``root``, oldest first (partial ones are skipped)."""
    if root.is_dir():
        yield from sorted(p for p in root.iterdir() if p.is_dir() and (p / META).exists()
                          and not p.name.startswith("."))


def now() -> float:
    """Wall-clock epoch seconds (one place, so tests can see what the format uses)."""
    return time.time()
