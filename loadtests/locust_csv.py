"""Locust's own CSVs in the run directory's ``locust/``, for people who know them."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import gevent
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter


class LocustCsv:
    """Locust's own CSVs in ``locust/`` under their usual names, written one last time at the end."""

    def __init__(self, env: Environment, folder: Path):
        self.folder = folder
        self.writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, str(folder / "_run"), full_history=True)
        self.greenlet = gevent.spawn(self.writer.stats_writer)

    def finish(self) -> None:
        self.greenlet.kill(block=True)
        self.writer.close_files()
        w = self.writer
        for name, write in (("stats.csv", w.requests_csv), ("failures.csv", w.failures_csv),
                            ("exceptions.csv", w.exceptions_csv)):
            with open(self.folder / name, "w", newline="") as f:
                write(csv.writer(f))
        os.replace(self.folder / "_run_stats_history.csv", self.folder / "stats_history.csv")
        for leftover in self.folder.glob("_run_*.csv"):
            leftover.unlink()
