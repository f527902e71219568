"""Synthetic run directories with known distributions, for tests, benchmarks and demos.

Latencies are log-normal per endpoint (a median and a spread), request counts follow the users
on the timeline, and the SUT and generator files hold plausible counters. Everything is drawn
from one seeded generator, so the same arguments give the same directory byte for byte.

    >>> path = write_run(Path("/tmp/runs"), "base", {"GET /tasks": Endpoint(rps=50, median_ms=20)},
    ...                  duration_s=120, seed=1)
    >>> RunDir.open(path).meta.scenario_name
    'synthetic'

Step runs (for capacity) follow the Universal Scalability Law: at ``N`` users, throughput is
``λN / (1 + α(N-1) + βN(N-1))`` and, by Little's law with no think time, latency is ``N / X``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loadgate import runformat as rf
from reports.latency import _layout, to_histogram
from reports.usl import usl

START = 1_700_000_000.0


@dataclass
class Endpoint:
    """One endpoint: requests per second, median latency (ms), log-normal spread, error rate."""

    rps: float
    median_ms: float
    sigma: float = 0.5
    error_rate: float = 0.0
    cache_hit_ratio: float | None = None


def histogram_of(values_us: np.ndarray) -> rf.HdrHistogram:
    """A run-format histogram of the given µs values (vectorised: bucket by bucket, not value by value)."""
    counts_len, highest = _layout()
    idx = np.searchsorted(highest, np.clip(values_us.astype(np.int64), 1, highest[-1]), side="left")
    return to_histogram(np.bincount(idx, minlength=counts_len).astype(np.int64))


class _Encoded:
    """A histogram reduced to what ``write_hlog`` asks of it (its encoding and its max), so a long
    synthetic run does not hold thousands of 184 kB count arrays until it is written."""

    def __init__(self, hist: rf.HdrHistogram):
        self._payload, self._max = hist.encode(), hist.get_max_value()

    def encode(self) -> bytes:
        return self._payload

    def get_max_value(self) -> int:
        return self._max


def _encoded(values_us: np.ndarray) -> _Encoded:
    return _Encoded(histogram_of(values_us))


def _lognormal(rng: np.random.Generator, median_ms: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(np.log(median_ms * 1000.0), sigma, size=n) if n else np.zeros(0)


def write_run(
    root: Path,
    run_id: str,
    endpoints: dict[str, Endpoint],
    *,
    duration_s: float = 60.0,
    users: int = 10,
    seed: int = 0,
    slowdown: float = 1.0,
    interval_s: float = rf.INTERVAL_S,
    workers: int = 1,
    interrupted: bool = False,
    slo_file: str | None = None,
    generator_cpu: float = 35.0,
    corrected: bool = True,
    summary: bool = False,
) -> Path:
    """A run at constant ``users``; each endpoint's latencies are multiplied by ``slowdown``."""
    rng = np.random.default_rng(seed)
    n_intervals = int(round(duration_s / interval_s))
    raw, co, timeline = [], [], []
    for i in range(n_intervals):
        t = START + i * interval_s
        requests, failures = {}, {}
        for name, ep in endpoints.items():
            n = int(rng.poisson(ep.rps * interval_s))
            values = _lognormal(rng, ep.median_ms * slowdown, ep.sigma, n)
            raw.append(rf.IntervalHistogram(name, t, interval_s, _encoded(values)))
            if corrected:
                # CO correction only ever adds samples, and adds them in the tail.
                extra = values[values > np.quantile(values, 0.99)] * 2 if n >= 100 else values[:0]
                co.append(
                    rf.IntervalHistogram(name, t, interval_s, _encoded(np.concatenate([values, extra])))
                )
            requests[name] = n
            failures[name] = int(rng.binomial(n, ep.error_rate)) if n else 0
        timeline.append(
            rf.TimelineRow(t=t, interval_s=interval_s, users=users, requests=requests, failures=failures)
        )
    return _write(
        root,
        run_id,
        raw,
        co,
        timeline,
        endpoints,
        rng,
        duration_s=n_intervals * interval_s,
        workers=workers,
        interrupted=interrupted,
        slo_file=slo_file,
        generator_cpu=generator_cpu,
        summary=summary,
    )


def write_samples_run(
    root: Path,
    run_id: str,
    samples_us: dict[str, Sequence[int]],
    *,
    intervals: int = 12,
    interval_s: float = rf.INTERVAL_S,
    users: int = 10,
    failures: dict[str, int] | None = None,
    sut: Sequence[rf.SutSample] = (),
    generator: Sequence[rf.GeneratorSample] = (),
    interrupted: bool = False,
    slo_file: str | None = None,
    scenario_file: str | None = None,
    workers: int = 0,
    drain: rf.Drain | None = None,
) -> Path:
    """A run holding exactly the given latencies (µs) per endpoint, spread in order over
    ``intervals`` intervals, for tests that check figures computed by hand. ``failures`` are
    counted in the first interval; ``sut`` and ``generator`` samples are written as given, and
    ``drain`` as ``meta.json`` has it."""
    failures = failures or {}
    raw, timeline = [], []
    chunks = {name: np.array_split(np.asarray(values, dtype=np.int64), intervals)
              for name, values in samples_us.items()}
    for i in range(intervals):
        t = START + i * interval_s
        for name in samples_us:
            raw.append(rf.IntervalHistogram(name, t, interval_s, _encoded(chunks[name][i])))
        timeline.append(rf.TimelineRow(
            t=t, interval_s=interval_s, users=users,
            requests={name: len(chunks[name][i]) for name in samples_us},
            failures=dict(failures) if i == 0 else {}))
    with rf.RunWriter(Path(root), run_id) as run:
        rf.write_hlog(run.file(rf.RAW_LOG), raw, base_time=START)
        for row in timeline:
            run.append(rf.TIMELINE, row)
        for s in sut:
            run.append(rf.SUT, s)
        for g in generator:
            run.append(rf.GENERATOR, g)
        duration = intervals * interval_s
        run.write_meta(rf.Meta(
            run_id=run_id, scenario_name="synthetic", slo_file=slo_file, scenario_file=scenario_file,
            workers=workers, created_at=START, started_at=START, ended_at=START + duration,
            planned_duration_s=duration * (2 if interrupted else 1), interrupted=interrupted,
            interrupt_reason="SIGINT" if interrupted else None, drain=drain))
    return Path(root) / run_id


def write_steps_run(
    root: Path,
    run_id: str,
    steps: Sequence[int],
    *,
    lam: float,
    alpha: float,
    beta: float,
    step_s: float = 60.0,
    noise: float = 0.02,
    sigma: float = 0.3,
    seed: int = 0,
    endpoint: str = "GET /tasks",
    interval_s: float = rf.INTERVAL_S,
    max_samples_per_interval: int = 4000,
) -> Path:
    """A capacity-steps run: ``steps`` user levels of ``step_s`` each, throughput on the USL curve
    (with multiplicative noise per interval), median latency ``N / X`` by Little's law.

    Histograms hold at most ``max_samples_per_interval`` samples (drawn from the same
    distribution) to keep the directory small; the timeline holds the true request counts.
    """
    rng = np.random.default_rng(seed)
    raw, timeline = [], []
    per_step = int(round(step_s / interval_s))
    for s, n_users in enumerate(steps):
        x = float(usl(n_users, lam, alpha, beta))
        for k in range(per_step):
            t = START + (s * per_step + k) * interval_s
            rate = x * float(rng.lognormal(0, noise)) if k else x * 0.6  # the first interval ramps
            count = int(round(rate * interval_s))
            values = _lognormal(rng, n_users / x * 1000.0, sigma, min(count, max_samples_per_interval))
            raw.append(rf.IntervalHistogram(endpoint, t, interval_s, _encoded(values)))
            timeline.append(
                rf.TimelineRow(
                    t=t,
                    interval_s=interval_s,
                    users=int(n_users),
                    requests={endpoint: count},
                    failures={endpoint: 0},
                )
            )
    eps = {endpoint: Endpoint(rps=0, median_ms=1)}
    return _write(
        root,
        run_id,
        raw,
        [],
        timeline,
        eps,
        rng,
        duration_s=len(timeline) * interval_s,
        workers=1,
        interrupted=False,
        slo_file=None,
        generator_cpu=35.0,
        summary=False,
        scenario_name="capacity-steps",
    )


def _write(
    root,
    run_id,
    raw,
    co,
    timeline,
    endpoints,
    rng,
    *,
    duration_s,
    workers,
    interrupted,
    slo_file,
    generator_cpu,
    summary,
    scenario_name="synthetic",
) -> Path:
    with rf.RunWriter(Path(root), run_id) as run:
        rf.write_hlog(run.file(rf.RAW_LOG), raw, base_time=START)
        if co:
            rf.write_hlog(run.file(rf.CORRECTED_LOG), co, base_time=START)
        for row in timeline:
            run.append(rf.TIMELINE, row)
        _sut(run, timeline, endpoints, rng)
        for row in timeline:
            for w in range(max(workers, 1)):
                process = f"worker-{w + 1}" if workers > 1 else "local"
                run.append(
                    rf.GENERATOR,
                    rf.GeneratorSample(
                        t=row.t,
                        process=process,
                        cpu_percent=float(generator_cpu + rng.normal(0, 2)),
                        loop_lag_ms=float(abs(rng.normal(2, 0.5))),
                        users=row.users,
                    ),
                )
        run.write_meta(
            rf.Meta(
                run_id=run_id,
                scenario_name=scenario_name,
                scenario={"name": scenario_name},
                slo_file=slo_file,
                git_commit="0" * 40,
                host="synthetic",
                target="http://127.0.0.1:8000",
                target_kind="synthetic",
                workers=workers,
                created_at=START - 5,
                started_at=START,
                ended_at=START + duration_s,
                planned_duration_s=duration_s if not interrupted else duration_s * 2,
                interrupted=interrupted,
                interrupt_reason="SIGINT" if interrupted else None,
            )
        )
    path = Path(root) / run_id
    if summary:
        from reports.summary import write_summary

        write_summary(path)
    return path


def _sut(
    run: rf.RunWriter,
    timeline: list[rf.TimelineRow],
    endpoints: dict[str, Endpoint],
    rng: np.random.Generator,
) -> None:
    """Cumulative /metrics counters, one sample per interval end."""
    cached = {name: ep for name, ep in endpoints.items() if ep.cache_hit_ratio is not None}
    cache: dict[str, dict[str, float]] = {name: {"hit": 0.0, "miss": 0.0} for name in cached}
    caches: dict[str, dict[str, float]] = {}
    store = {"find_one": {"count": 0.0, "sum_s": 0.0}, "insert_one": {"count": 0.0, "sum_s": 0.0}}
    limited = 0.0
    run.append(
        rf.SUT,
        rf.SutSample(
            t=timeline[0].t if timeline else START,
            cache=cache,
            caches=caches,
            store_ops=store,
            breakers={"redis": 0, "mongodb": 0},
        ),
    )
    for row in timeline:
        for name, ep in cached.items():
            n = row.requests.get(name, 0)
            hits = float(rng.binomial(n, ep.cache_hit_ratio)) if n else 0.0
            cache[name] = {"hit": cache[name]["hit"] + hits, "miss": cache[name]["miss"] + n - hits}
            cname = name.split()[-1].strip("/").split("/")[0] or "root"
            c = caches.setdefault(cname, {"hit": 0.0, "miss": 0.0})
            c["hit"] += hits
            c["miss"] += n - hits
        total = sum(row.requests.values())
        store["find_one"] = {
            "count": store["find_one"]["count"] + total,
            "sum_s": store["find_one"]["sum_s"] + total * 0.0008,
        }
        store["insert_one"] = {
            "count": store["insert_one"]["count"] + total // 10,
            "sum_s": store["insert_one"]["sum_s"] + (total // 10) * 0.002,
        }
        limited += float(rng.poisson(0.1))
        run.append(
            rf.SUT,
            rf.SutSample(
                t=row.t + row.interval_s,
                cache={k: dict(v) for k, v in cache.items()},
                caches={k: dict(v) for k, v in caches.items()},
                rate_limited=limited,
                breakers={"redis": 0, "mongodb": 0},
                store_ops={k: dict(v) for k, v in store.items()},
            ),
        )
