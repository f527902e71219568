"""100,000 concurrent users in one distributed swarm on this machine, against a zero-latency API.

    .venv/bin/python benchmarks/bench_swarm_100k.py                       # 100,000 users, 4 workers
    .venv/bin/python benchmarks/bench_swarm_100k.py --users 20000 --workers 2 --ramp 60 --hold 60

A real ``loadgate run --workers N`` (a master and N ``loadgate worker`` processes on 127.0.0.1,
the entry points the Kubernetes pods run) of the shipped ``TaskApiUser`` journeys, think time
``--think`` seconds on average (60 s: 100,000 users send ~1,700 requests/s), against nginx as a
zero-latency stand-in of the task API (``testsupport.servers.start_task_api_nginx``: fixed
answers per route, so users seed, sign in, list, open and change tasks). Printed:

- time from the start of measurement to 100,000 users;
- RSS per user across the workers (their resident memory at full load, less before any user, over
  the users), and the master's CPU (mean over the held window, of one core) and peak memory;
- worker-report size (encoded histograms) and merge time per report, from the master;
- generator-added latency p50 / p99: what the run measured against a server that answers in
  microseconds, and the run's own calibration floor;
- the run's validity verdict, with its reasons.
Targets: a valid run, <= 20 KB per user, master under half a core, generator-added p99 <= 10 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadgate import runformat as rf  # noqa: E402
from testsupport.servers import start_task_api_nginx  # noqa: E402


def sample(master: psutil.Process, rows: list, stop: threading.Event) -> None:
    """Every 2 s: (t, master CPU %, master RSS, [(worker pid, CPU %, RSS)])."""
    procs: dict[int, psutil.Process] = {}
    master.cpu_percent(None)
    while not stop.wait(2.0):
        try:
            for child in master.children():
                if child.pid not in procs:
                    procs[child.pid] = child
                    child.cpu_percent(None)
            workers = []
            for pid, p in list(procs.items()):
                try:
                    workers.append((pid, p.cpu_percent(None), p.memory_info().rss))
                except psutil.NoSuchProcess:
                    procs.pop(pid)
            rows.append((time.time(), master.cpu_percent(None), master.memory_info().rss, workers))
        except psutil.NoSuchProcess:
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", type=float, default=60.0, help="mean think time, s (uniform ±10%%)")
    parser.add_argument("--ramp", type=float, default=240.0, help="seconds to reach --users")
    parser.add_argument("--hold", type=float, default=120.0, help="seconds held at --users")
    args = parser.parse_args()

    nginx = start_task_api_nginx(accounts=50, workers=1)
    work = Path(tempfile.mkdtemp(prefix="loadgate-swarm-100k-"))
    try:
        scenario = work / "swarm-bench.yaml"
        scenario.write_text(yaml.safe_dump({
            "name": "swarm-bench", "target": nginx.url, "duration": args.ramp + args.hold, "model": "closed",
            "users": args.users, "think_time": {"min": 0.9 * args.think, "max": 1.1 * args.think},
            "shape": {"kind": "constant", "ramp_up": args.ramp},
            "seed": {"users": 50, "tasks_per_user": 0},
        }, sort_keys=False))
        env = {**os.environ, "LOADGATE_SEED_TOKEN": "stand-in"}
        t0 = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-m", "loadgate.cli", "run", str(scenario), "--workers", str(args.workers),
             "--out", str(work / "runs")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        rows: list = []
        stop = threading.Event()
        sampler = threading.Thread(target=sample, args=(psutil.Process(proc.pid), rows, stop), daemon=True)
        sampler.start()
        output = proc.stdout.read()
        proc.wait()
        stop.set()
        sampler.join()
        wall = time.time() - t0
    finally:
        nginx.stop()

    runs = [p for p in (work / "runs").iterdir() if p.is_dir() and not p.name.startswith(".")]
    if not runs:
        print(output[-3000:])
        raise SystemExit(f"no run directory; loadgate exited {proc.returncode}")
    run = rf.RunDir.open(runs[0])
    meta, summary = run.meta, run.summary()
    timeline = run.timeline()
    full = next((r.t for r in timeline if r.users >= args.users), None)
    reach = f"{full + rf.INTERVAL_S - meta.started_at:.0f} s (5 s intervals)" if full else "never reached"
    held = [r for r in rows if full is not None and r[0] >= full + 10 and r[0] <= (meta.ended_at or 0)]
    # workers set up and connected, no user spawned yet: the last sample before measurement began
    before = max((r for r in rows if r[3] and r[0] <= meta.started_at), key=lambda r: r[0], default=None)
    print(f"{args.users:,} users over {args.workers} workers, think {args.think:.0f} s mean, ramp "
          f"{args.ramp:.0f} s, hold {args.hold:.0f} s; nginx stand-in on 127.0.0.1; {wall:.0f} s wall")
    print(f"time to {args.users:,} users: {reach}; users max {summary.users_max:,}")
    if held and before:
        rss_before = sum(w[2] for w in before[3])
        rss_full = max(sum(w[2] for w in r[3]) for r in held)
        per_user = (rss_full - rss_before) / max(summary.users_max, 1) / 1024
        worker_cpu = [sum(w[1] for w in r[3]) for r in held]
        print(f"workers: RSS {rss_before / 2**20:,.0f} MB before users, {rss_full / 2**20:,.0f} MB at "
              f"full load: {per_user:.1f} KB per user (target <= 20); CPU "
              f"{sum(worker_cpu) / len(worker_cpu):.0f}% of a core in all (mean over the hold)")
        m_cpu = [r[1] for r in held]
        print(f"master: CPU {sum(m_cpu) / len(m_cpu):.0f}% of a core mean, {max(m_cpu):.0f}% max over the "
              f"hold (target < 50%); RSS max {max(r[2] for r in rows) / 2**20:,.0f} MB")
    else:
        print("workers / master: the hold at full users was not sampled (users never reached?)")
    reports = re.search(r"worker reports: .*", output)
    print(reports.group(0) if reports else "worker reports: (not printed)")
    t = summary.total
    print(f"requests: {t.count:,} ({t.rps:,.0f}/s over the run), failures {t.failures:,}")
    print(f"generator-added latency (nginx answers in µs): p50 {t.p50:.2f} ms, p99 {t.p99:.2f} ms "
          f"(target <= 10), max {t.max:,.0f} ms; pool wait p99 "
          f"{t.pool_wait.p99 if t.pool_wait else 0:.2f} ms")
    floors = ", ".join(f"{c.process} {c.when} p50 {c.p50_ms:.2f} / p99 {c.p99_ms:.2f} ms"
                       for c in meta.calibration)
    print(f"calibration floor: {floors or 'none'}")
    lag = summary.generator_loop_lag_p99_ms
    print(f"generator CPU max {summary.generator_cpu_max or 0:.0f}%, loop lag p99 {lag or 0:.1f} ms")
    print(f"validity: {'VALID' if summary.validity.valid else 'INVALID'}"
          + "".join(f"\n  - {r}" for r in summary.validity.reasons))
    print(f"run directory: {run.path}")


if __name__ == "__main__":
    main()
