"""The system under test, as its own ``/metrics`` saw the run (``sut.jsonl``).

The samples are cumulative counters; figures over a span are increases between samples, and a
counter that went down (the API restarted) starts again from zero (``loadgate.runformat.counters``).

    samples = RunDir.open("runs/r1").sut()
    cache_ratios_by_cache(samples)["task"]      # (0.91, 18230): hit ratio, lookups
    store_latency_ms(samples)["find_one"]       # (0.84, 12011): mean ms, operations
    backlog_figures(samples, meta).figures      # {'queue_lag_max': 3.2, 'queue_depth_max': 41.0,
                                                #  'drain_seconds': 6.1}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from loadgate.runformat import TOTAL, Meta, QueueSummary, SutSample, is_dead_letter
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


@dataclass
class Backlog:
    """The async side over a run: run figures, per-queue figures, and why a drain time is null."""

    figures: dict[str, float | None]
    queues: dict[str, QueueSummary] = field(default_factory=dict)
    drain_note: str | None = None
    drain_exceeded_s: float | None = None
    """When the run stopped waiting with a backlog left: the drain took longer than this."""


def backlog_figures(samples: list[SutSample], meta: Meta) -> Backlog:
    """Queue lag and depth over the measured run and its drain, and the drain time.

    - ``queue_lag_max``: the oldest ready message's greatest age in any work queue (not ``.dead``:
      dead letters wait for a person, not a worker), seconds;
    - ``queue_depth_max``: most messages waiting at once, work queues and the outbox together;
    - ``drain_seconds``: from the load's stop (``meta.ended_at``) to the first sample that saw
      every work queue and the outbox empty; None when no sample did (the run stopped waiting
      after ``meta.drain.timeout_s``, or did not wait).

    Every figure is None when the API reported no queues (it publishes no events).
    """
    seen = [s for s in _ok(samples) if s.queues and s.t >= meta.started_at]
    if not seen:
        return Backlog({"queue_lag_max": None, "queue_depth_max": None, "drain_seconds": None})
    queues: dict[str, QueueSummary] = {}
    for name in sorted({q for s in seen for q in s.queues}):
        rows = [s.queues[name] for s in seen if name in s.queues]
        queues[name] = QueueSummary(depth_max=max(r.get("depth", 0.0) for r in rows),
                                    age_max_s=max(r.get("age_s", 0.0) for r in rows),
                                    depth_last=rows[-1].get("depth", 0.0))
    lag = max((q.age_max_s for name, q in queues.items() if not is_dead_letter(name)), default=0.0)
    depth = max(s.backlog() or 0.0 for s in seen)
    end = meta.ended_at if meta.ended_at is not None else meta.persisted_until
    drained = next((s.t for s in seen if end is not None and s.t >= end and s.backlog() == 0), None)
    note, exceeded = None, None
    if drained is None:
        if meta.drain is not None:
            note = f"the backlog did not drain within {meta.drain.timeout_s:g} s of the load's stop"
            exceeded = meta.drain.timeout_s
        else:
            note = "the run did not wait for the backlog to drain (drain_timeout 0, or an older run)"
    seconds = None if drained is None or end is None else round(drained - end, 3)
    return Backlog({"queue_lag_max": lag, "queue_depth_max": depth, "drain_seconds": seconds}, queues, note,
                   exceeded)


def backlog_over_time(samples: list[SutSample]) -> pd.DataFrame:
    """Per sample (index ``t``): each queue's depth (``<queue> depth``) and oldest age
    (``<queue> age``), and the outbox's depth; empty when the API reported no queues."""
    rows = []
    for s in _ok(samples):
        if not s.queues:
            continue
        row: dict[str, float] = {"t": s.t, "outbox depth": s.events.get("outbox_depth", 0.0)}
        for name, q in s.queues.items():
            row[f"{name} depth"] = q.get("depth", 0.0)
            row[f"{name} age"] = q.get("age_s", 0.0)
        rows.append(row)
    if not rows:
        return pd.DataFrame(index=pd.Index([], name="t"))
    return pd.DataFrame(rows).set_index("t").sort_index().fillna(0.0)


def event_counts(samples: list[SutSample]) -> dict[str, float]:
    """Events published, confirmed, outboxed and lost during the run (counter increases)."""
    ok = [s for s in _ok(samples) if s.events]
    names = ("published", "confirmed", "outboxed", "lost")
    return {n: increase([s.events.get(n, 0.0) for s in ok]) for n in names} if ok else {}
