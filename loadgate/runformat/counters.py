"""Cumulative counters of the API's ``/metrics`` (``sut.jsonl``), read as increases.

A Prometheus counter only grows, until the process that holds it restarts and it starts again
from zero. The increase over consecutive samples therefore adds each step's growth, and a step
down counts the value after the restart as growth from zero (as PromQL's ``increase`` does).
Used by the live probe (``loadtests.probe``) and the analysis (``reports.summary``, ``reports.sut``),
so the live cache-hit ratio and the report's are the same figure.

    >>> increase([10, 15, 3, 8])                # restarted after 15: 5 + 3 + 5
    13.0
    >>> hit_ratio({"hit": 90.0, "miss": 5.0, "bypass": 5.0})
    (0.9, 100)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

LOOKUP_RESULTS = ("hit", "miss", "error", "bypass")
"""Results of a cache lookup; errors and bypasses found nothing either, so they count as misses."""

Counters = Mapping[str, Mapping[str, float]]
"""Cumulative counters by key (an endpoint or a cache name) and result: ``{"GET /tasks": {"hit": 12.0}}``."""


def step(before: float, now: float) -> float:
    """Growth of a counter from one sample to the next; after a reset, the new value itself.

    >>> step(10, 15), step(15, 3)
    (5.0, 3.0)
    """
    return float(now - before if now >= before else now)


def increase(values: Sequence[float]) -> float:
    """How much a cumulative counter grew over consecutive samples, across resets."""
    return sum((step(b, n) for b, n in zip(values, values[1:], strict=False)), 0.0)


def add_steps(totals: dict[str, dict[str, float]], before: Counters, now: Counters) -> None:
    """Add the growth from ``before`` to ``now`` of every key and result into ``totals``."""
    for key, results in now.items():
        prev = before.get(key, {})
        row = totals.setdefault(key, defaultdict(float))
        for result, value in results.items():
            row[result] += step(prev.get(result, 0.0), value)


def increases(samples: Sequence[Counters]) -> dict[str, dict[str, float]]:
    """Per key and result, the increase over consecutive samples (ordered by time), across resets.

    >>> increases([{"c": {"hit": 10}}, {"c": {"hit": 15}}, {"c": {"hit": 3}}])["c"]["hit"]
    8.0
    """
    totals: dict[str, dict[str, float]] = {}
    for before, now in zip(samples, samples[1:], strict=False):
        add_steps(totals, before, now)
    return totals


def hit_ratio(results: Mapping[str, float]) -> tuple[float | None, int]:
    """Hits over all lookups, and the lookups; None when there were none."""
    lookups = sum(results.get(r, 0.0) for r in LOOKUP_RESULTS)
    return (results.get("hit", 0.0) / lookups if lookups else None), int(lookups)


def combined(per_key: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """All keys' results added together (the ``Total`` of a ratio)."""
    out: dict[str, float] = defaultdict(float)
    for results in per_key.values():
        for result, value in results.items():
            out[result] += value
    return dict(out)
