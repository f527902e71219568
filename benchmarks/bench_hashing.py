"""Benchmark: the cost of one password hash and one verify, the API's argon2 parameters against
the old ones (pwdlib's ``recommended()``: argon2id m=64 MiB, t=3, p=4), in the same run.

    .venv/bin/python benchmarks/bench_hashing.py               # 15 rounds, the API's defaults
    .venv/bin/python benchmarks/bench_hashing.py --rounds 40   # steadier medians
    ARGON2_MEMORY_KIB=47104 ARGON2_TIME_COST=1 .venv/bin/python benchmarks/bench_hashing.py

Old and new alternate within each round, so drift on a shared box hits both alike. Printed per
operation: median wall milliseconds and median CPU milliseconds (all threads of this process:
p=4 hashes on several threads, so CPU is what a busy server pays), the ratio new/old, and the
sign-ins per second one core can verify. The API's parameters come from its settings (the
environment), as ``loadgate serve`` would read them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from pwdlib import PasswordHash

from target_app.security import password_hasher
from target_app.settings import Settings

PASSWORD = "correct horse battery staple"


def _time(fn) -> tuple[float, float]:
    """(wall ms, CPU ms of the whole process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure(hashers: dict[str, PasswordHash], rounds: int) -> dict[tuple[str, str], tuple[float, float]]:
    """Median (wall ms, CPU ms) per (hasher, operation), old and new interleaved per round."""
    stored = {name: h.hash(PASSWORD) for name, h in hashers.items()}  # also warms each one up
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for name, h in hashers.items():
            samples.setdefault((name, "hash"), []).append(_time(lambda h=h: h.hash(PASSWORD)))
            samples.setdefault((name, "verify"), []).append(
                _time(lambda h=h, s=stored[name]: h.verify(PASSWORD, s)))
    return {key: (statistics.median(w for w, _ in vals), statistics.median(c for _, c in vals))
            for key, vals in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="measurements per hasher and operation")
    args = parser.parse_args()
    if args.rounds < 1:
        sys.exit("bench_hashing: --rounds must be at least 1")
    settings = Settings()
    new_label = (f"new  argon2id m={settings.ARGON2_MEMORY_KIB // 1024} MiB, t={settings.ARGON2_TIME_COST},"
                 f" p={settings.ARGON2_PARALLELISM}")
    hashers = {"old  argon2id m=64 MiB, t=3, p=4 (pwdlib recommended)": PasswordHash.recommended(),
               new_label: password_hasher(settings)}
    results = measure(hashers, args.rounds)
    old_label = next(iter(hashers))
    print(f"median of {args.rounds} rounds, old and new interleaved")
    print(f"{'parameters':<56} {'op':<7} {'wall ms':>8} {'CPU ms':>8} {'CPU new/old':>12} {'per core/s':>11}")
    for name in hashers:
        for op in ("hash", "verify"):
            wall, cpu = results[(name, op)]
            ratio = cpu / results[(old_label, op)][1]
            print(f"{name:<56} {op:<7} {wall:8.1f} {cpu:8.1f} {ratio:12.3f} {1000 / cpu:11.1f}")


if __name__ == "__main__":
    main()
