"""Users per generator process: memory per user and the latency the generator itself adds.

    .venv/bin/python benchmarks/bench_users.py                 # 10,000 users, ~90 s, 127.0.0.1
    .venv/bin/python benchmarks/bench_users.py --users 2000 --seconds 20

One Locust process runs ``--users`` of loadgate's ``TaskApiUser`` journeys with realistic think
time (5-7 s, ~1 request per user every 6 s) on the shared connection pool, with all recording on,
against nginx answering every path at once (``loadgate.servers.start_nginx``). Reported:

- **RSS per user**: the process's resident memory after all users are spawned and running,
  minus before any was, over the number of users (targets <= 25 KB);
- **generator-added latency**: p50 / p99 / max of what our recorder measured over the steady
  window; nginx on 127.0.0.1 answers in microseconds, so this is the client's own overhead plus
  the event loop's delays (target p99 <= 10 ms);
- the process's CPU and loop lag over the same window, from loadgate's health monitor, and the
  garbage collections that paused it for 10 ms or more.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--spawn-rate", type=float, default=1_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="steady window measured")
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args()

    import gevent
    import psutil
    from locust.env import Environment

    from loadgate.runformat import merge
    from loadtests.generator import Generator
    from loadtests.journeys import TaskApiUser
    from loadtests.recorder import Collector
    from loadtests.scenario import validate_scenario
    from testsupport.servers import start_nginx

    nginx = start_nginx()
    try:
        scenario = validate_scenario({
            "name": "bench-users", "target": nginx.url, "users": args.users, "duration": 3600,
            "think_time": {"min": 5, "max": 7}, "seed": {"users": 0}, "connections": args.connections,
        }, "bench")
        env = Environment(user_classes=[TaskApiUser], host=nginx.url)
        generator = Generator(env, scenario, TaskApiUser, "bench")
        collector = Collector()
        health: list = []
        runner = env.create_local_runner()

        def drain() -> None:
            while True:
                collector.absorb(generator.recorder.drain())
                collector.compact(time.time())
                gevent.sleep(1)

        greenlets = [gevent.spawn(drain), gevent.spawn(generator.monitor.run, health.append)]
        proc = psutil.Process()
        pauses: list[tuple[float, int, float]] = []  # (when, generation, seconds)
        gc_start = [0.0]

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                gc_start[0] = time.perf_counter()
            else:
                pauses.append((time.time(), info["generation"], time.perf_counter() - gc_start[0]))

        gc.callbacks.append(on_gc)
        gevent.sleep(2)
        gc.collect()
        rss_before = proc.memory_info().rss

        t0 = time.monotonic()
        runner.start(args.users, spawn_rate=args.spawn_rate)
        while runner.user_count < args.users:
            gevent.sleep(0.5)
        spawned_s = time.monotonic() - t0
        gevent.sleep(8)  # every user has sent its first requests and is thinking
        gc.collect()
        rss_after = proc.memory_info().rss

        start = time.time()
        gevent.sleep(args.seconds)
        end = time.time()
        gevent.killall(greenlets)
        collector.absorb(generator.recorder.drain())
        runner.quit()
    finally:
        nginx.stop()

    # the intervals wholly inside the steady window
    steady = [iv for iv in collector.intervals() if iv.start >= start and iv.start + iv.length <= end]
    hist = merge(iv.histogram for iv in steady)
    window = [h for h in health if start <= h.t <= end]
    requests = hist.get_total_count()
    measured = len(steady and {iv.start for iv in steady}) * 5.0
    per_user_kb = (rss_after - rss_before) / args.users / 1024
    print(f"{args.users:,} users spawned in {spawned_s:.1f}s; {args.connections} shared connections; "
          f"think 5-7 s; nginx on 127.0.0.1")
    print(f"RSS: {rss_before / 2**20:.1f} MB before, {rss_after / 2**20:.1f} MB with the users: "
          f"{per_user_kb:.1f} KB per user (target <= 25)")
    print(f"steady window: {requests:,} requests in {measured:.0f}s = {requests / max(measured, 1):,.0f}/s "
          f"(expected ~{args.users / 6:,.0f}/s)")
    print(f"generator-added latency: p50 {hist.get_value_at_percentile(50) / 1000:.2f} ms, "
          f"p99 {hist.get_value_at_percentile(99) / 1000:.2f} ms (target <= 10), "
          f"max {hist.get_max_value() / 1000:.2f} ms")
    slow = [f"gen{g} {p * 1000:.0f} ms" for t, g, p in pauses if start <= t <= end and p >= 0.01]
    print(f"garbage collections over 10 ms in the window: {', '.join(slow) or 'none'}")
    if window:
        lags = sorted(h.loop_lag_ms for h in window)
        cpu = sum(h.cpu_percent for h in window) / len(window)
        print(f"process CPU {cpu:.0f}% of a core on average; loop lag p99 "
              f"{lags[min(len(lags) - 1, int(0.99 * len(lags)))]:.1f} ms over {len(window)} samples")


if __name__ == "__main__":
    main()
