"""Per-replica and per-worker capacity: a 60 → 600-user staircase against one API process.

Starts Redis on 127.0.0.1, runs ``benchmarks/capacity_staircase.yaml`` (the API on its embedded
SQLite store with the Redis cache: FerretDB scans without indexes and would measure itself), then
prints ``loadgate capacity`` and ``loadgate plan --users 100000 --rpm 1000000 --from`` for the run.
The plan's figures are ratios against the scaling plan's estimate measured in the same output.
About 4 minutes; traffic to 127.0.0.1 only.

    .venv/bin/python benchmarks/bench_capacity.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from testsupport import servers

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="loadgate-capacity-")))
    args = parser.parse_args()
    redis = servers.start_redis()
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"} | {"REDIS_URL": redis.url}
    cli = [sys.executable, "-m", "loadgate.cli"]
    try:
        done = subprocess.run([*cli, "run", str(HERE / "capacity_staircase.yaml"), "--out", str(args.out)],
                              env=env)
    finally:
        redis.stop()
    runs = sorted(p for p in args.out.iterdir() if p.is_dir() and not p.name.startswith("."))
    if done.returncode != 0 or not runs:
        print(f"bench_capacity: the run failed (exit {done.returncode})", file=sys.stderr)
        return 1
    subprocess.run([*cli, "capacity", str(runs[-1])])
    subprocess.run([*cli, "plan", "--users", "100000", "--rpm", "1000000", "--from", str(runs[-1])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
