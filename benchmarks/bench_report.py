"""Benchmark: the full report of a one-hour run with 20 endpoints at 5 s intervals.

    .venv/bin/python benchmarks/bench_report.py            # writes a synthetic run, then measures
    .venv/bin/python benchmarks/bench_report.py --keep DIR # keep the run directory in DIR

Each measurement runs in a fresh process, so its peak RSS is its own:

- ``imports``   : the interpreter with loadgate's reporting modules imported (the floor);
- ``reference`` : just read and merge the histograms, raw and corrected (decode every line and
                  add it into one histogram per endpoint, streaming: the least any report must do);
- ``report``    : ``loadgate report`` end to end (summary rebuilt, verdict, charts, HTML, Markdown).

Targets: the report under 10 s and 500 MB, and its report.html (interactive charts, the ECharts
script and the PNGs inlined) under 5 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# testsupport (the synthetic run writer) is test support, not installed: it lives in the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOUR_S = 3600
ENDPOINTS = 20
TARGET_S = 10.0
TARGET_MB = 500.0
TARGET_HTML_MB = 5.0

SLO = """
endpoints:
  Total: {p95: 250, p99: 600, p99.9: 1500, error_rate: 1%, rps: ">= 500"}
  "GET /tasks": {p95: 200, cache_hit_ratio: ">= 0.5"}
"""


def write_bench_run(root: Path) -> Path:
    """One hour, 20 endpoints (~100 requests/s each, log-normal latencies), raw and corrected."""
    from testsupport.synthetic import Endpoint, write_run

    routes = ["GET /tasks", "GET /tasks/{id}", "POST /tasks", "PATCH /tasks/{id}", "DELETE /tasks/{id}",
              "GET /users/me", "PATCH /users/me", "GET /analytics", "POST /auth/login"]
    routes += [f"GET /bench/{i}/{{id}}" for i in range(ENDPOINTS - len(routes))]
    endpoints = {
        name: Endpoint(rps=100, median_ms=5 + 3 * i, sigma=0.6, error_rate=0.001,
                       cache_hit_ratio=0.8 if name.startswith("GET") else None)
        for i, name in enumerate(routes)
    }
    return write_run(root, "bench-1h", endpoints, duration_s=HOUR_S, users=2000, seed=1, workers=4)


def _child(kind: str, run_dir: str, slo: str) -> None:
    """Run one measurement in this (fresh) process and print its time and peak RSS as JSON."""
    started = time.perf_counter()
    if kind == "imports":
        import reports.charts  # noqa: F401
        import reports.report  # noqa: F401
    elif kind == "reference":
        from hdrh.histogram import HdrHistogram

        from loadgate import runformat as rf

        for log in (rf.RAW_LOG, rf.CORRECTED_LOG):
            merged: dict[str, HdrHistogram] = {}
            with open(Path(run_dir) / log) as f:
                for line in f:
                    if line.startswith("Tag="):
                        tag, _start, _length, _max, payload = line[4:].split(",", 4)
                        merged.setdefault(tag, rf.new_histogram()).add(HdrHistogram.decode(payload))
    elif kind == "report":
        from reports.report import build_report

        build_report(run_dir, slo_file=slo)
    elif kind == "generate":
        write_bench_run(Path(run_dir))
    elapsed = time.perf_counter() - started
    print(json.dumps({"kind": kind, "seconds": elapsed, "peak_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM counts from the exec, where ru_maxrss would
    also remember the parent's size at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, run_dir: Path, slo: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(run_dir), str(slo)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the run directory here and keep it")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "RUN", "SLO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0

    root = args.keep or Path(tempfile.mkdtemp(prefix="loadgate-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        run_dir = root / "bench-1h"
        if not run_dir.exists():
            measure("generate", root, root)
        slo = root / "slo.yaml"
        slo.write_text(SLO)
        size_mb = sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file()) / 1e6
        print(f"run directory: {run_dir} ({size_mb:.0f} MB: {HOUR_S // 5} intervals x {ENDPOINTS} endpoints, "
              f"raw and corrected; ready in {time.perf_counter() - started:.1f} s)")
        (run_dir / "summary.json").unlink(missing_ok=True)  # the report rebuilds it
        results = {kind: measure(kind, run_dir, slo) for kind in ("imports", "reference", "report")}
        html_mb = (run_dir / "report.html").stat().st_size / 1e6
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    ref, rep = results["reference"], results["report"]
    print(f"{'':<11}{'time s':>9}{'peak MB':>10}{'time / ref':>12}{'MB / ref':>10}")
    for kind, r in results.items():
        print(f"{kind:<11}{r['seconds']:>9.2f}{r['peak_mb']:>10.0f}"
              f"{r['seconds'] / ref['seconds']:>12.2f}{r['peak_mb'] / ref['peak_mb']:>10.2f}")
    ok = rep["seconds"] < TARGET_S and rep["peak_mb"] < TARGET_MB and html_mb < TARGET_HTML_MB
    print(f"report: {rep['seconds']:.2f} s (target < {TARGET_S:.0f} s), {rep['peak_mb']:.0f} MB "
          f"(target < {TARGET_MB:.0f} MB), report.html {html_mb:.2f} MB (target < {TARGET_HTML_MB:.0f} MB): "
          f"{'within targets' if ok else 'OVER TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
