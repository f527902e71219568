"""One API process direct, against two behind nginx: the smoke mix's throughput, and the hop's cost.

    .venv/bin/python benchmarks/bench_replicas.py [--users 24] [--duration 20] [--light-users 4]

Starts Redis (testsupport.servers; every process caches in it, so 1 and 2 replicas cache alike),
then, on one SQLite file: one ``loadgate serve`` process, nginx in front of that same process
(``testsupport.servers.start_nginx_balancer``, the repo's template), and ``loadgate serve
--replicas 2``. Each is loaded with ``loadgate run`` (one generator process, the smoke scenario's
mix and seeding) from this machine:

- **throughput**: ``--users`` users with no think time, 1 replica direct, then 2 replicas behind
  nginx: both rates (summary.json ``Total.rps``) and their ratio;
- **the hop**: ``--light-users`` users thinking 50-100 ms (far from saturation, so queueing does
  not hide it), the one process direct and through nginx: Total p50 / p99 of each and the
  difference.

On 2 shared cores the API processes, nginx and the load generator compete for the same CPUs: the
ratio speaks of this box (a second replica mostly takes CPU from the first and the generator),
not of a second server. Each run's validity is printed beside it. A script, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testsupport import servers  # noqa: E402

SEED_TOKEN = "bench-replicas-seed-token"


def serve(port: int, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """``loadgate serve --port PORT ARGS``, once it answers ``/health``."""
    proc = subprocess.Popen([str(Path(sys.executable).with_name("loadgate")), "serve", "--port", str(port),
                             *args], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"loadgate serve {' '.join(args)} did not start; see {log}")


def run(name: str, url: str, users: int, think: tuple[float, float], duration: int,
        workdir: Path) -> dict:
    """``loadgate run`` of the smoke mix against ``url``; the Total figures of its summary."""
    smoke = yaml.safe_load((ROOT / "scenarios/smoke.yaml").read_text())
    scenario = {"name": name, "target": url, "duration": f"{duration}s", "users": users,
                "think_time": {"min": think[0], "max": think[1]},
                "shape": {"kind": "constant", "ramp_up": "2s"},
                "seed": {"users": users, "tasks_per_user": smoke["seed"]["tasks_per_user"]},
                "drain_timeout": 0}
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario))
    out = workdir / "runs" / name
    env = {**os.environ, "LOADGATE_SEED_TOKEN": SEED_TOKEN}
    done = subprocess.run([sys.executable, "-m", "loadgate.cli", "run", str(path), "--no-gate", "--out",
                           str(out)], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=duration + 300)
    if done.returncode != 0:
        raise SystemExit(f"{name}: loadgate run exited {done.returncode}:\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    [run_dir] = [p for p in out.iterdir() if p.is_dir()]
    summary = json.loads((run_dir / "summary.json").read_text())
    total = summary["total"]
    return {"rps": total["rps"], "p50": total["p50"], "p99": total["p99"], "count": total["count"],
            "errors": total["failures"], "valid": summary["validity"]["valid"],
            "why": "; ".join(summary["validity"]["reasons"])[:160]}


def line(label: str, r: dict) -> str:
    validity = "valid" if r["valid"] else f"INVALID ({r['why']})"
    return (f"{label:<34} {r['rps']:8.1f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  "
            f"{r['count']:,} requests, {r['errors']} failed  {validity}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=24, help="users with no think time (throughput)")
    parser.add_argument("--light-users", type=int, default=4, help="users thinking 50-100 ms (the hop)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="loadgate-bench-replicas-"))
    redis = servers.start_redis()
    env = {**os.environ, "REDIS_URL": redis.url, "SQLITE_PATH": str(workdir / "taskapi.sqlite3"),
           "RATE_LIMIT": "0", "SEED_TOKEN": SEED_TOKEN, "LOG_LEVEL": "WARNING"}
    env.pop("MONGODB_URL", None)
    procs: list[subprocess.Popen] = []
    balancer = None
    try:
        one_port, two_port = servers.free_port(), servers.free_port()
        procs.append(serve(one_port, env, workdir / "one.log"))
        balancer = servers.start_nginx_balancer([f"127.0.0.1:{one_port}"])
        procs.append(serve(two_port, env, workdir / "two.log", "--replicas", "2"))
        direct, two = f"http://127.0.0.1:{one_port}", f"http://127.0.0.1:{two_port}"
        print(f"smoke mix, one generator process, {args.duration}s per run, {os.cpu_count()} CPUs, "
              f"SQLite + Redis, 127.0.0.1", flush=True)
        light = (0.05, 0.1)
        hop_direct = run("hop-direct", direct, args.light_users, light, args.duration, workdir)
        print(line(f"1 process direct, {args.light_users} users", hop_direct), flush=True)
        hop_nginx = run("hop-nginx", balancer.url, args.light_users, light, args.duration, workdir)
        print(line(f"1 process via nginx, {args.light_users} users", hop_nginx), flush=True)
        one = run("one-direct", direct, args.users, (0.0, 0.0), args.duration, workdir)
        print(line(f"1 replica direct, {args.users} users", one), flush=True)
        both = run("two-nginx", two, args.users, (0.0, 0.0), args.duration, workdir)
        print(line(f"2 replicas via nginx, {args.users} users", both), flush=True)
    finally:
        if balancer is not None:
            balancer.stop()
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"throughput ratio, 2 replicas behind nginx / 1 direct: {both['rps'] / one['rps']:.2f} "
          f"(2 shared cores: this box, not a second server)")
    print(f"nginx hop, added latency at {args.light_users} users: "
          f"p50 {hop_nginx['p50'] - hop_direct['p50']:+.2f} ms, "
          f"p99 {hop_nginx['p99'] - hop_direct['p99']:+.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
