"""Generator overhead: loadgate's journey user with all recording on, against a bare Locust user.

    .venv/bin/python benchmarks/bench_generator.py            # ~2 min, 127.0.0.1 only
    .venv/bin/python benchmarks/bench_generator.py --seconds 10 --rounds 1

Both run as one Locust process each (same users, no think time, each process alone on the box)
against the same zero-latency nginx, in alternating rounds: throughput is then bounded by the
generator's own CPU, so the ratio of the two is what our journeys and recording cost.

- **bare**: a ``FastHttpUser`` with one task, ``GET /``, and Locust's own statistics only.
- **loadgate**: ``TaskApiUser`` journeys (mix, JSON bodies and answers, route-template names) on
  the shared connection pool, with everything ``loadgate run`` does in a local process: the
  request listener recording raw and corrected HdrHistograms, the collector draining them every
  second (and computing the live p95), the health monitor, and the SUT probe every 5 s.
- **recording**: the bare user's ``GET /`` as a loadgate user (shared pool) with all of that
  recording: what recording costs, apart from what the journeys' own work costs.

Each round warms up for 3 s (users spawned, connections open), then counts completed requests
over ``--seconds``, and the CPU time the process used meanwhile. Prints both throughputs and
their ratio (target >= 0.95), as requests per wall-clock second and per CPU-second of the
generator process: on a machine shared with other work the second varies much less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARMUP_S = 3.0


def child(variant: str, host: str, users: int, seconds: float) -> dict:
    """One measurement in this process (imports Locust: only ever in a child process)."""
    import gevent
    from locust import FastHttpUser, constant, task
    from locust.env import Environment

    from loadgate.runformat import interval_start
    from loadtests.generator import Generator
    from loadtests.journeys import LoadgateUser, TaskApiUser
    from loadtests.probe import Probe
    from loadtests.recorder import Collector
    from loadtests.scenario import validate_scenario

    class BareUser(FastHttpUser):
        wait_time = constant(0)

        @task
        def get(self) -> None:
            self.client.get("/")

    class GetUser(LoadgateUser):
        def act(self, action: str, intended: float | None) -> None:
            self.client.get("/")

    count = [0]
    greenlets = []
    if variant == "bare":
        env = Environment(user_classes=[BareUser], host=host)
    else:
        user_class = TaskApiUser if variant == "loadgate" else GetUser
        scenario = validate_scenario({"name": "bench", "target": host, "users": users, "duration": 3600,
                                      "think_time": {"min": 0, "max": 0}, "seed": {"users": 0},
                                      "connections": users}, "bench")
        env = Environment(user_classes=[user_class], host=host)
        generator = Generator(env, scenario, user_class, "local")
        collector, probe = Collector(), Probe(host)

        def tick() -> None:  # what Session._tick does every second
            while True:
                collector.absorb(generator.recorder.drain())
                recent = collector.recent(since=interval_start(time.time()) - 5)
                recent.get_value_at_percentile(95)
                collector.compact(time.time())
                gevent.sleep(1)

        def probe_loop() -> None:
            while True:
                probe.sample()
                gevent.sleep(5)

        greenlets = [gevent.spawn(tick), gevent.spawn(probe_loop),
                     gevent.spawn(generator.monitor.run, lambda row: None)]
    env.events.request.add_listener(lambda **_: count.__setitem__(0, count[0] + 1))
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(WARMUP_S)
    before, t0, cpu0 = count[0], time.perf_counter(), time.process_time()
    gevent.sleep(seconds)
    done, elapsed, cpu = count[0] - before, time.perf_counter() - t0, time.process_time() - cpu0
    runner.quit()
    gevent.killall(greenlets)
    return {"variant": variant, "requests": done, "rps": done / elapsed, "per_cpu_s": done / cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "HOST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.users, args.seconds)))
        return

    sys.path.insert(0, str(ROOT))
    from testsupport.servers import start_nginx

    nginx = start_nginx()
    variants = ("bare", "loadgate", "recording")
    results: dict[str, list[dict]] = {v: [] for v in variants}
    try:
        for round_no in range(args.rounds):
            for variant in variants if round_no % 2 == 0 else variants[::-1]:
                out = subprocess.run([sys.executable, __file__, "--child", variant, nginx.url, "--users",
                                      str(args.users), "--seconds", str(args.seconds)],
                                     capture_output=True, text=True, cwd=ROOT, check=True)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                results[variant].append(row)
                print(f"round {round_no + 1}: {variant:9s} {row['rps']:8,.0f} requests/s, "
                      f"{row['per_cpu_s']:8,.0f} per CPU-second", flush=True)
    finally:
        nginx.stop()
    print(f"\nmedians of {args.rounds} rounds, {args.users} users, one process each, nginx on 127.0.0.1:")
    for key, unit in (("rps", "requests/s"), ("per_cpu_s", "requests per CPU-second")):
        bare, ours, rec = (statistics.median(r[key] for r in results[v]) for v in variants)
        print(f"  {unit}: bare FastHttpUser {bare:,.0f}, loadgate journeys + recording {ours:,.0f} "
              f"(ratio {ours / bare:.3f}, target >= 0.95), recording alone {rec:,.0f} "
              f"(ratio {rec / bare:.3f})")


if __name__ == "__main__":
    main()
