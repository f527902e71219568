"""Every malformed input a reader meets, as one table: input → the one line it must give.

Each row writes one bad file (or passes one bad option) and runs the ``loadgate`` command that
reads it: the answer is exit 2 and one line on stderr naming the file or option and the field,
never a traceback, a hang or a silent acceptance. A new reader adds its rows here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from loadgate import runformat as rf
from testsupport.synthetic import write_samples_run

ROOT = Path(__file__).resolve().parents[2]


def loadgate(*args: str | Path) -> subprocess.CompletedProcess:
    # Bounded: a reader that hangs (seeding or spawning forever) fails its row instead of the suite.
    return subprocess.run([sys.executable, "-m", "loadgate.cli", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@dataclass
class Case:
    """``make(tmp)`` writes the bad input and returns the command's arguments."""

    make: Callable[[Path], list[str | Path]]
    expect: tuple[str, ...]


# ---- inputs ----------------------------------------------------------------------------------

def scenario(**fields) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        path = tmp / "bad.yaml"
        path.write_text(yaml.safe_dump({"name": "bad", "target": "http://127.0.0.1:9", "duration": "5s",
                                        "users": 2, **fields}))
        return ["run", path, "--out", tmp / "runs"]
    return make


def scenario_text(text: str) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        path = tmp / "bad.yaml"
        path.write_text(text)
        return ["run", path, "--out", tmp / "runs"]
    return make


def smoke_with(*args: str, out_file: bool = False) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        out = tmp / "runs"
        if out_file:
            out.write_text("a file, not a folder\n")
        return ["run", "smoke", "--target", "http://127.0.0.1:9", "--out", out, *args]
    return make


def a_run(tmp: Path, summary: bool = False) -> Path:
    run = write_samples_run(tmp, "r", {"GET /tasks": [1000] * 200})
    if summary:
        assert loadgate("report", run).returncode == 0
    return run


def meta_with(**fields) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        run = a_run(tmp)
        meta = json.loads((run / rf.META).read_text())
        meta.update({k: (v(meta) if callable(v) else v) for k, v in fields.items()})
        (run / rf.META).write_text(json.dumps(meta))
        return ["report", run]
    return make


def raw_log(data: bytes, command: str = "report") -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        run = a_run(tmp)
        (run / rf.RAW_LOG).write_bytes(data)
        return [command, run] if command != "compare" else [command, run, run]
    return make


def summary_with(text: Callable[[str], str]) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        run = a_run(tmp, summary=True)
        (run / rf.SUMMARY).write_text(text((run / rf.SUMMARY).read_text()))
        return ["gate", run, "--slo", slo_file(tmp, {"p95": 250})]
    return make


def logs_changed_after_summary(change: Callable[[Path], None]) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        run = a_run(tmp, summary=True)
        change(run / rf.RAW_LOG)
        return ["gate", run, "--slo", slo_file(tmp, {"p95": 250})]
    return make


def slo_file(tmp: Path, total: dict) -> Path:
    path = tmp / "slo.yaml"
    path.write_text(yaml.safe_dump({"endpoints": {"Total": total}}))
    return path


def slo(**total) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        return ["gate", a_run(tmp), "--slo", slo_file(tmp, total)]
    return make


def slo_text(text: str) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        path = tmp / "slo.yaml"
        path.write_text(text)
        return ["gate", a_run(tmp), "--slo", path]
    return make


def reader(*args: str, runs: int = 1) -> Callable[[Path], list[str | Path]]:
    def make(tmp: Path) -> list[str | Path]:
        run = a_run(tmp)
        return [args[0], *[run] * runs, *args[1:]]
    return make


DEEP = 20_000
FINITE = "a limit is a finite number"
BASE_TIME = b'#[Histogram log format version 1.3]\n#[BaseTime: abc1700000000.000 (seconds since epoch)]\n'

CASES: dict[str, Case] = {
    # scenario files
    "scenario nested 20,000 deep": Case(scenario_text("name: bad\nmix: " + "[" * DEEP + "]" * DEEP + "\n"),
                                        ("bad.yaml: nested too deeply",)),
    "scenario users 10^12": Case(scenario(users=10**12), ("bad.yaml: users: must be less than or equal",)),
    "scenario rate .inf": Case(scenario_text("name: bad\ntarget: http://127.0.0.1:9\nduration: 5s\n"
                                             "model: open\nusers: 2\nrate: .inf\n"), ("bad.yaml: rate:",)),
    "scenario seeds 10^12 tasks": Case(scenario(seed={"users": 1_000_000, "tasks_per_user": 10_000}),
                                       ("bad.yaml: seed.tasks_per_user:",)),
    "scenario think time .nan": Case(scenario_text("name: bad\ntarget: http://127.0.0.1:9\nduration: 5s\n"
                                                   "users: 2\nthink_time: {min: .nan, max: 1}\n"),
                                     ("bad.yaml: think_time.min:",)),
    # options of `loadgate run`
    "--users 10^12": Case(smoke_with("--users", str(10**12)), ("users: must be less than or equal",)),
    "--out names a file": Case(smoke_with(out_file=True), ("--out", "not a folder")),
    "--users 0 (a usage error)": Case(smoke_with("--users", "0"), ("loadgate run:", "--users")),
    "gate without its argument": Case(lambda tmp: ["gate"], ("loadgate gate:", "run_dir")),
    # run directory: hdr/raw.hlog
    "raw.hlog not UTF-8 (report)": Case(raw_log(b"#[Histogram log format version 1.3]\n\xff\xfe\n"),
                                        ("raw.hlog:2: not text",)),
    "raw.hlog not UTF-8 (compare)": Case(raw_log(b"\xff\xfe\n", "compare"), ("raw.hlog:1: not text",)),
    "raw.hlog not UTF-8 (capacity)": Case(raw_log(b"\xff\xfe\n", "capacity"), ("raw.hlog:1: not text",)),
    "raw.hlog BaseTime abc": Case(raw_log(BASE_TIME), ("raw.hlog:2: BaseTime: not a number",)),
    "raw.hlog BaseTime abc (capacity)": Case(raw_log(BASE_TIME, "capacity"), ("raw.hlog:2: BaseTime",)),
    "raw.hlog empty": Case(raw_log(b""), ("raw.hlog: empty",)),
    # run directory: meta.json
    "meta started_at 1e308": Case(meta_with(started_at=1e308), ("meta.json: started_at:",)),
    "meta interval_s 0": Case(meta_with(interval_s=0), ("meta.json: interval_s:",)),
    "meta ended_at before started_at": Case(meta_with(ended_at=lambda m: m["started_at"] - 60),
                                            ("meta.json:", "ended_at", "before started_at")),
    "meta nested 20,000 deep": Case(meta_with(scenario=json.loads("[" * 900 + "]" * 900)),
                                    ("meta.json:", "recursion limit")),
    # run directory: summary.json
    "summary with NaN": Case(summary_with(lambda s: s.replace('"duration_s": ', '"duration_s": NaN, "x": ')),
                             ("summary.json: duration_s:",)),
    "summary format_version 999": Case(
        summary_with(lambda s: re.sub(r'"format_version": \d+', '"format_version": 999', s)),
        ("summary.json: format_version 999 is not one this loadgate reads",)),
    "gate: raw.hlog gone since the summary": Case(logs_changed_after_summary(lambda p: p.unlink()),
                                                  ("summary.json: source_digest:", "hdr/raw.hlog missing")),
    "gate: raw.hlog garbage since the summary": Case(
        logs_changed_after_summary(lambda p: p.write_text("garbage\n")),
        ("summary.json: source_digest:", "the logs changed")),
    # SLO files
    "slo p95 .nan": Case(slo_text("endpoints:\n  Total:\n    p95: .nan\n"), ("slo.yaml", FINITE)),
    "slo p95 .inf": Case(slo_text("endpoints:\n  Total:\n    p95: .inf\n"), ("slo.yaml", FINITE)),
    "slo p95 '1e400'": Case(slo(p95="1e400"), ("slo.yaml", FINITE)),
    "slo p95 -5": Case(slo(p95=-5), ("slo.yaml", FINITE + ", not negative")),
    "slo rps -5": Case(slo(rps=-5), ("slo.yaml", FINITE + ", not negative")),
    "slo nested 20,000 deep": Case(slo_text("endpoints: " + "[" * DEEP + "]" * DEEP + "\n"),
                                   ("slo.yaml: nested too deeply",)),
    # options of the readers
    "capacity --p95-limit nan": Case(reader("capacity", "--p95-limit", "nan"), ("--p95-limit nan",)),
    "capacity --p95-limit -5": Case(reader("capacity", "--p95-limit", "-5"), ("--p95-limit -5",)),
    "compare --min-effect nan": Case(reader("compare", "--min-effect", "nan", runs=2), ("--min-effect",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_and_exit_2(tmp_path, name):
    case = CASES[name]
    proc = loadgate(*case.make(tmp_path))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    for fragment in case.expect:
        assert fragment in lines[0], lines[0]
