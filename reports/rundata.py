"""A run directory opened for analysis: each part is read once, when first asked for.

run = RunData.open("runs/20261128-130000-smoke")
run.summary.total.p95                 # summary.json, rebuilt from the logs if missing
4.127
run.timeline[["users", "rps"]].tail(1)
          users    rps
t
1055.0       10  312.4
run.slo_path()                         # the SLO the scenario named, resolved
PosixPath('scenarios/slo/smoke.yaml')
"""

from __future__ import annotations

import contextlib
from functools import cached_property
from pathlib import Path

import pandas as pd

from loadgate.runformat import SUMMARY, GeneratorSample, Meta, RunDir, Summary, SutSample, write_json_atomic
from reports.latency import LatencyLog
from reports.summary import build_summary


class RunData:
    """One run directory: ``meta``, ``summary``, latency logs, timeline, SUT and generator samples."""

    def __init__(self, run: RunDir):
        self.run = run

    @classmethod
    def open(cls, path: Path | str) -> RunData:
        """Open a run directory (checks it exists and has a known format version)."""
        return cls(RunDir.open(path))

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def meta(self) -> Meta:
        return self.run.meta

    @property
    def name(self) -> str:
        return self.meta.run_id

    @cached_property
    def raw(self) -> LatencyLog:
        """Interval histograms as measured."""
        return LatencyLog.load(self.run)

    @cached_property
    def corrected(self) -> LatencyLog | None:
        """Interval histograms corrected for coordinated omission (None if the run has none)."""
        return LatencyLog.load_corrected(self.run)

    @cached_property
    def summary(self) -> Summary:
        """``summary.json``; rebuilt from the logs (and saved) when the run has none yet.

        A corrupt ``summary.json`` is an input error, never silently replaced.
        """
        if (self.path / SUMMARY).exists():
            return self.run.summary()
        summary = build_summary(self.run, self.raw, self.corrected)
        with contextlib.suppress(OSError):  # a read-only archive: the summary is right, only not kept
            write_json_atomic(self.path / SUMMARY, summary)
        return summary

    @cached_property
    def sut(self) -> list[SutSample]:
        return self.run.sut()

    @cached_property
    def generator(self) -> list[GeneratorSample]:
        return self.run.generator()

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """Per interval (index ``t``): ``interval_s``, ``users``, ``requests``, ``failures``, ``rps``,
        ``failures_per_s`` and ``error_ratio`` (all endpoints together)."""
        rows = [
            {
                "t": r.t,
                "interval_s": r.interval_s,
                "users": r.users,
                "requests": sum(r.requests.values()),
                "failures": sum(r.failures.values()),
            }
            for r in self.run.timeline()
        ]
        frame = pd.DataFrame(rows, columns=["t", "interval_s", "users", "requests", "failures"])
        frame = (
            frame.groupby("t")
            .agg({"interval_s": "max", "users": "max", "requests": "sum", "failures": "sum"})
            .sort_index()
        )
        frame["rps"] = frame["requests"] / frame["interval_s"]
        frame["failures_per_s"] = frame["failures"] / frame["interval_s"]
        frame["error_ratio"] = (frame["failures"] / frame["requests"]).where(frame["requests"] > 0)
        return frame

    def slo_path(self) -> Path | None:
        """The SLO file ``meta.json`` names, resolved: as given (absolute or from the current
        directory), else beside the scenario file, else inside the run directory. None if none."""
        name = self.meta.slo_file
        if not name:
            return None
        given = Path(name)
        candidates = [given]
        if self.meta.scenario_file:
            candidates.append(Path(self.meta.scenario_file).parent / given)
        candidates.append(self.path / given.name)
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return given  # missing: load_slo names it in its error
