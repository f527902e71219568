"""How fast are cached task-list reads, next to a FastAPI hello world served the same way?

    .venv/bin/python benchmarks/bench_api.py [--workers 1] [--duration 10] [--connections 50]

Starts Redis and FerretDB (loadgate.servers), serves the task API and, beside it, a FastAPI
hello-world endpoint through the same ``target_app.server.run`` (same uvicorn, worker count and
options), seeds one user with tasks, then loads each with ``wrk`` on 127.0.0.1 for a bounded time:
``GET /tasks`` (authenticated, answered from Redis) and ``GET /hello``. Prints both rates and
their ratio (target >= 0.5). Rate limiting is off for the run. A script, not a timed test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testsupport import servers  # noqa: E402

TARGET_RATIO = 0.5
SEED_TOKEN = "bench-seed-token"
PASSWORD = "bench-password-1"


def hello_app():
    """The baseline: the smallest useful FastAPI app (uvicorn factory ``bench_api:hello_app``)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "hello"}

    return app


def serve(factory: str, port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Run ``factory`` with target_app.server (the options ``loadgate serve`` uses)."""
    command = [sys.executable, "-m", "target_app.server", "--app", factory, "--port", str(port),
               "--workers", str(workers)]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    raise SystemExit(f"{factory} did not start; see {log}:\n{log.read_text()[-2000:]}")


def wrk(url: str, token: str, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    """Load ``url`` with wrk (the bearer token sent by a Lua script); requests/s and errors."""
    script = workdir / "auth.lua"
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
               "--latency", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99_ms = float(p99.group(1)) * unit[p99.group(2)] if p99 else float("nan")
    return {"rate": rate, "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(0) if errors else "", "p99": p99_ms}


def summarise(runs: list[dict]) -> dict:
    """The mean rate over rounds, the worst p99, and all non-2xx answers."""
    return {"rate": sum(r["rate"] for r in runs) / len(runs), "p99": max(r["p99"] for r in runs),
            "non_2xx": sum(r["non_2xx"] for r in runs),
            "rounds": ", ".join(f"{r['rate']:.0f}" for r in runs)}


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for both servers")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per endpoint and round")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternate the endpoints this many times (evens out a noisy machine)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--tasks", type=int, default=20,
                        help="tasks of the user (20: one full page at the default limit)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: run scripts/setup.sh")

    workdir = Path(tempfile.mkdtemp(prefix="loadgate-bench-"))
    redis, ferretdb = servers.start_redis(), servers.start_ferretdb()
    api_port, hello_port = servers.free_port(), servers.free_port()
    env = {**os.environ, "MONGODB_URL": ferretdb.url, "REDIS_URL": redis.url, "RATE_LIMIT": "0",
           "SEED_TOKEN": SEED_TOKEN, "LOG_LEVEL": "WARN", "ENVIRONMENT": "development",
           "PYTHONPATH": f"{ROOT / 'benchmarks'}{os.pathsep}{ROOT}"}
    if args.workers > 1:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "metrics")
        (workdir / "metrics").mkdir()
    procs = []
    try:
        procs.append(serve("target_app.main:create_app", api_port, args.workers, env, workdir / "api.log"))
        procs.append(serve("bench_api:hello_app", hello_port, args.workers, env, workdir / "hello.log"))
        api = f"http://127.0.0.1:{api_port}"
        seeded = httpx.post(f"{api}/admin/seed", headers={"X-Seed-Token": SEED_TOKEN}, timeout=60,
                            json={"users": 1, "tasks_per_user": args.tasks, "password": PASSWORD,
                                  "email_prefix": f"bench{int(time.time())}-"}).json()
        email = seeded["users"][0]["email"]
        login = httpx.post(f"{api}/auth/login", json={"email": email, "password": PASSWORD})
        token = login.json()["access_token"]
        page = httpx.get(f"{api}/tasks", headers={"Authorization": f"Bearer {token}"})  # fills the cache
        assert page.status_code == 200 and len(page.json()["items"]) == min(args.tasks, 20), page.text

        print(f"wrk -t{args.threads} -c{args.connections}, {args.rounds} x {args.duration}s per endpoint, "
              f"uvicorn workers={args.workers}, {os.cpu_count()} CPUs, 127.0.0.1, "
              f"page of {len(page.json()['items'])} tasks ({len(page.content)} bytes)", flush=True)
        hello_runs, tasks_runs = [], []
        for _ in range(args.rounds):
            hello_runs.append(wrk(f"http://127.0.0.1:{hello_port}/hello", token, args, workdir))
            tasks_runs.append(wrk(f"{api}/tasks", token, args, workdir))
        hits = sample(httpx.get(f"{api}/metrics").text, "taskapi_cache_requests_total",
                      cache="task_list", result="hit")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)
        redis.stop()
        ferretdb.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    hello, tasks = summarise(hello_runs), summarise(tasks_runs)
    ratio = tasks["rate"] / hello["rate"]
    print(f"hello world   GET /hello : {hello['rate']:8.0f} req/s  (rounds: {hello['rounds']})  "
          f"p99 {hello['p99']:.1f} ms  non-2xx {hello['non_2xx']}")
    print(f"cached list   GET /tasks : {tasks['rate']:8.0f} req/s  (rounds: {tasks['rounds']})  "
          f"p99 {tasks['p99']:.1f} ms  non-2xx {tasks['non_2xx']}  (task_list cache hits: {hits:.0f})")
    print(f"ratio /tasks : /hello    : {ratio:8.2f}        (target >= {TARGET_RATIO}: "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
