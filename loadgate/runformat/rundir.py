"""A run directory as a whole: written under a temporary name and renamed when complete, so a folder
with the final name is always whole, and opened for reading with its format version checked.

    with RunWriter(Path("runs"), "20261128-130000-smoke") as run:
        run.append(TIMELINE, TimelineRow(t=0, interval_s=5, users=1))
        run.write_meta(meta)
    RunDir.open(Path("runs/20261128-130000-smoke")).meta.scenario_name
    'smoke'
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from loadgate.errors import InputError
from loadgate.runformat.hlog import IntervalHistogram, read_hlog
from loadgate.runformat.io import RunFormatError, read_json_model, read_jsonl, write_json_atomic
from loadgate.runformat.schema import (
    CORRECTED_LOG,
    GENERATOR,
    LOCUST_DIR,
    META,
    RAW_LOG,
    READABLE_VERSIONS,
    SUMMARY,
    SUT,
    TIMELINE,
    GeneratorSample,
    Meta,
    Summary,
    SutSample,
    TimelineRow,
)


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

    def append_many(self, name: str, rows: Sequence[BaseModel]) -> None:
        """Append JSON lines to ``name`` (``audit/local.jsonl``) in one write, its folder made if new."""
        if not rows:
            return
        path = self.path / name
        path.parent.mkdir(exist_ok=True)
        with open(path, "a") as f:
            f.write("".join(row.model_dump_json() + "\n" for row in rows))

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
        if not (path / META).exists():
            raise RunFormatError(f"{path / META}: missing: not a run directory")
        _check_version(path / META)
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
        """``summary.json``, checked: a version this loadgate reads, and built from the logs that are
        here now (its ``source_digest``), so a verdict never rests on logs that changed or went."""
        path = self.path / SUMMARY
        _check_version(path)
        summary = read_json_model(path, Summary)
        if summary.source_digest is not None and summary.source_digest != self.source_digest():
            missing = [name for name in (RAW_LOG, TIMELINE) if not (self.path / name).exists()]
            why = f"{', '.join(missing)} missing" if missing else "the logs changed since it was built"
            raise RunFormatError(f"{path}: source_digest: does not match this run directory ({why}); "
                                 f"delete summary.json to rebuild it from the logs")
        return summary

    def source_digest(self) -> str:
        """sha256 over the logs a summary is built from (absent files count as absent)."""
        digest = hashlib.sha256()
        for name in DIGESTED:
            digest.update(f"{name}\0".encode())
            try:
                with open(self.path / name, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
            except FileNotFoundError:
                digest.update(b"\0absent\0")
        return digest.hexdigest()

    @property
    def partial(self) -> bool:
        """A run whose writer was killed before it finished (a ``.<id>.partial`` folder)."""
        return not self.meta.complete


DIGESTED = (RAW_LOG, CORRECTED_LOG, TIMELINE)
"""The files ``summary.json`` is built from, and whose digest it carries."""


def _check_version(path: Path) -> None:
    """Refuse a JSON file of a format version this loadgate does not know (one line, exit 2)."""
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise RunFormatError(f"{path}: missing") from None
    except (ValueError, RecursionError) as exc:
        raise RunFormatError(f"{path}: corrupt JSON ({str(exc)[:120]})") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version not in READABLE_VERSIONS:
        known = ", ".join(map(str, READABLE_VERSIONS))
        raise RunFormatError(f"{path}: format_version {version!r} is not one this loadgate reads ({known})")


def iter_runs(root: Path) -> Iterator[Path]:
    """Finished run directories under ``root``, oldest first (partial ones are skipped)."""
    if root.is_dir():
        yield from sorted(p for p in root.iterdir() if p.is_dir() and (p / META).exists()
                          and not p.name.startswith("."))


def now() -> float:
    """Wall-clock epoch seconds (one place, so tests can see what the format uses)."""
    return time.time()
