"""The system under test, as its own ``/metrics`` saw the run (``sut.jsonl``).

The samples are cumulative counters; figures over a span are increases between samples, and a
counter that went down (the API restarted) starts again from zero (``loadgate.runformat.counters``).

    samples = RunDir.open("runs/r1").sut()
    cache_ratios_by_cache(samples)["task"]      # (0.91, 18230): hit ratio, lookups
    store_latency_ms(samples)["find_one"]       # (0.84, 12011): mean ms, operations
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from loadgate.runformat import TOTAL, SutSample
from loadgate.runformat.counters import LOOKUP_RESULTS, combined, hit_ratio, increase, increases, step

BREAKER_STATES = {0: "closed", 1: "half-open", 2: "open"}


def _ok(samples: list[SutSample]) -> list[SutSample]:
    return sorted((s for s in samples if s.ok), key=lambda s: s.t)


def _series(samples: list[SutSample], get: Callable[[SutSample], float]) -> list[float]:
    return [get(s) for s in samples]


def cache_ratios_by_cache(samples: list[SutSample]) -> dict[str, tuple[float | None, int]]:
    """Per cache name (task, task_list, user, analytics) and ``Total``: hit ratio and lookups.

    Errors and bypasses are lookups that found nothing, so they count against the ratio.
    """
    ok = _ok(samples)
    names = sorted({name for s in ok for name in s.caches})
    per_cache = increases([s.caches for s in ok])
    out = {name: hit_ratio(per_cache.get(name, {})) for name in names}
    if names:
        out[TOTAL] = hit_ratio(combined(per_cache))
    return out


def cache_ratio_over_time(samples: list[SutSample], by: str = "caches") -> pd.DataFrame:
    """Hit ratio between consecutive samples (index ``t``: the later sample), per cache and ``Total``.

    ``by="cache"`` gives it per endpoint instead of per cache name.
    """
    ok = _ok(samples)
    rows = []
    for prev, cur in zip(ok, ok[1:], strict=False):
        row: dict[str, float] = {"t": cur.t}
        hits_all = lookups_all = 0.0
        for name, results in getattr(cur, by).items():
            before = getattr(prev, by).get(name, {})
            delta = {r: step(before.get(r, 0.0), results.get(r, 0.0)) for r in LOOKUP_RESULTS}
            ratio, _ = hit_ratio(delta)
            hits_all += delta["hit"]
            lookups_all += sum(delta.values())
            row[name] = np.nan if ratio is None else ratio
        row[TOTAL] = hits_all / lookups_all if lookups_all else np.nan
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=[TOTAL], index=pd.Index([], name="t"))
    return pd.DataFrame(rows).set_index("t").sort_index()


def rate_limited(samples: list[SutSample]) -> float:
    """Requests the API refused with 429 during the run."""
    return increase(_series(_ok(samples), lambda s: s.rate_limited))


def breaker_states(samples: list[SutSample]) -> dict[str, dict[str, Any]]:
    """Per circuit breaker: its last state and the share of samples in each state, e.g.
    ``{'last': 'closed', 'closed': 0.95, 'half-open': 0.0, 'open': 0.05}``."""
    ok = _ok(samples)
    names = sorted({name for s in ok for name in s.breakers})
    out: dict[str, dict[str, object]] = {}
    for name in names:
        seen = [int(s.breakers[name]) for s in ok if name in s.breakers]
        share = {label: seen.count(code) / len(seen) for code, label in BREAKER_STATES.items()}
        out[name] = {"last": BREAKER_STATES.get(seen[-1], str(seen[-1])), **share}
    return out


def store_latency_ms(samples: list[SutSample]) -> dict[str, tuple[float | None, int]]:
    """Per store operation: mean latency in ms over the run and the number of operations."""
    ok = _ok(samples)
    ops = sorted({op for s in ok for op in s.store_ops})
    out: dict[str, tuple[float | None, int]] = {}
    for op in ops:
        per_op = [s.store_ops.get(op, {}) for s in ok]
        count = increase([o.get("count", 0.0) for o in per_op])
        seconds = increase([o.get("sum_s", 0.0) for o in per_op])
        out[op] = (seconds / count * 1000.0 if count else None, int(count))
    return out


def scrape_failures(samples: list[SutSample]) -> tuple[int, int]:
    """How many scrapes of ``/metrics`` failed, out of how many."""
    return sum(1 for s in samples if not s.ok), len(samples)
