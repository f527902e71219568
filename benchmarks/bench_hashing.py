"""Benchmark: the cost of one password hash and one verify, the API's argon2 parameters against
the old ones (pwdlib's ``recommended()``: argon2id m=64 MiB, t=3, p=4), in the same run.

    .venv/bin/python benchmarks/bench_hashing.py               # 15 rounds, the API's defaults
    .venv/bin/python benchmarks/bench_hashing.py --rounds 40   # steadier medians
    ARGON2_MEMORY_KIB=47104 ARGON2_TIME_COST=1 .venv/bin/python benchmarks/bench_hashing.py
    .venv/bin/python benchmarks/bench_hashing.py --burst 100   # also: 100 sign-ins at once

Old and new alternate within each round, so drift on a shared box hits both alike. Printed per
operation: median wall milliseconds and median CPU milliseconds (all threads of this process:
p=4 hashes on several threads, so CPU is what a busy server pays), the ratio new/old, and the
sign-ins per second one core can verify. The API's parameters come from its settings (the
environment), as ``loadgate serve`` would read them.

``--burst N`` then serves the API (one uvicorn worker, embedded store and cache, as
``loadgate serve`` would), seeds N accounts, sends N sign-ins at once while probing
``GET /health`` every 50 ms, twice: as before (the old parameters, hashed in the default
thread pool of ``asyncio.to_thread``, min(32, CPUs + 4) threads, unbounded queue) and as now
(the defaults: OWASP's parameters, a pool of one thread per CPU and a bounded queue). Printed:
sign-ins answered 200 / shed 503 / timed out (60 s), their latency, the burst's length and
``/health``'s latency meanwhile, as the client saw them (on a busy box that includes the
client's own wait for CPU), and the median bucket of the API's own latency histogram.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pwdlib import PasswordHash

from loadgate.paths import free_port
from target_app.security import password_hasher
from target_app.settings import Settings, usable_cpus

PASSWORD = "correct horse battery staple"
SEED_TOKEN = "bench-seed-token"
CLIENT_TIMEOUT_S = 60.0
BEFORE = {"ARGON2_MEMORY_KIB": "65536", "ARGON2_TIME_COST": "3", "ARGON2_PARALLELISM": "4",
          "HASH_POOL_SIZE": str(min(32, usable_cpus() + 4)), "HASH_QUEUE_DEPTH": "1000000"}
"""What the API did before: pwdlib's recommended() hashed through asyncio.to_thread."""


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
    parser.add_argument("--burst", type=int, default=0, metavar="N",
                        help="also send N sign-ins at once to the API, as before and as now")
    args = parser.parse_args()
    for flag, value, least in (("--rounds", args.rounds, 1), ("--burst", args.burst, 0)):
        if value < least:
            print(f"bench_hashing: {flag} {value}: must be at least {least}", file=sys.stderr)
            sys.exit(2)
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
    if args.burst:
        with tempfile.TemporaryDirectory(prefix="bench-hashing-") as tmp:
            burst("before (old parameters, asyncio.to_thread)", BEFORE, args.burst, Path(tmp))
            burst("now (OWASP parameters, bounded pool)", {}, args.burst, Path(tmp))


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def _burst(base: str, users: int) -> dict[str, object]:
    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10)
    async with httpx.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT_S, limits=limits) as client:
        seeded = await client.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN}, timeout=600,
                                   json={"users": users, "tasks_per_user": 0, "password": PASSWORD,
                                         "email_prefix": f"burst{time.time_ns()}-"})
        seeded.raise_for_status()
        outcomes: dict[str, list[float]] = {}
        health: list[float] = []
        stop = asyncio.Event()

        async def sign_in(email: str) -> None:
            started = time.perf_counter()
            try:
                response = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
                outcome = str(response.status_code)
            except httpx.HTTPError:
                outcome = "timeout"
            outcomes.setdefault(outcome, []).append(time.perf_counter() - started)

        async def probe() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                with contextlib.suppress(httpx.HTTPError):  # a timed-out probe counts at its full wait
                    await client.get("/health")
                health.append(time.perf_counter() - started)
                await asyncio.sleep(0.05)

        prober = asyncio.create_task(probe())
        started = time.perf_counter()
        await asyncio.gather(*(sign_in(u["email"]) for u in seeded.json()["users"]))
        length = time.perf_counter() - started
        stop.set()
        await prober
        exposition = (await client.get("/metrics")).text
    return {"outcomes": outcomes, "health": health, "length": length, "server": server_medians(exposition)}


def server_medians(exposition: str) -> dict[tuple[str, str], tuple[int, str]]:
    """Per (route, status) of the API's own latency histogram: count, and the bucket holding the median."""
    buckets: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "taskapi_http_request_duration_seconds_bucket":
                key = (f"{sample.labels['method']} {sample.labels['route']}", sample.labels["status"])
                buckets.setdefault(key, []).append((float(sample.labels["le"]), sample.value))
    medians = {}
    for key, cumulative in buckets.items():
        cumulative.sort()
        total = cumulative[-1][1]
        le = next(le for le, count in cumulative if count >= total / 2)
        medians[key] = (int(total), "> 10 s" if le == float("inf") else f"<= {le * 1000:g} ms")
    return medians


def burst(label: str, overrides: dict[str, str], users: int, workdir: Path) -> None:
    """Serve the API with ``overrides``, run one burst against it, print what the client saw."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
    env.update(overrides, SEED_TOKEN=SEED_TOKEN, RATE_LIMIT="0", LOG_LEVEL="ERROR",
               SQLITE_PATH=str(workdir / f"{port}.sqlite3"))
    log = workdir / f"{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "target_app.server", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"bench_hashing: the API did not start; see {log}")
                time.sleep(0.1)
        result = asyncio.run(_burst(base, users))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    outcomes, health = result["outcomes"], result["health"]
    print(f"{label}: {users} sign-ins at once took {result['length']:.1f} s")
    for outcome, times in sorted(outcomes.items()):
        print(f"  {outcome:>7}: {len(times):4d}   p50 {_pct(times, 0.5):8.0f} ms   "
              f"max {_pct(times, 1.0):8.0f} ms")
    print(f"  GET /health meanwhile: {len(health)} probes, p50 {_pct(health, 0.5):.1f} ms, "
          f"p95 {_pct(health, 0.95):.1f} ms, max {_pct(health, 1.0):.1f} ms")
    for (route, status), (count, median) in sorted(result["server"].items()):
        if route in ("POST /auth/login", "GET /health"):
            print(f"  the API's own view, {route} {status}: {count} requests, median {median}")


if __name__ == "__main__":
    main()
