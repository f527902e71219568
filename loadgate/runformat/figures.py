"""How a run's figures are shown, defined once for the live status line, the CLI, reports and gates.

    >>> format_ms(0.9123), format_ms(12.41), format_ms(1204.4), format_ms(None)
    ('0.912', '12.4', '1,204', '–')
    >>> min_samples(99), min_samples(99.9), min_samples(None)
    (100, 1000, 1)
    >>> shown(Percentiles(count=50, p99=12.0), "p99") is None    # 50 samples cannot back a p99
    True
    >>> format_value(4.127, "ms"), format_value(0.0123, "ratio"), format_value(None, "rps")
    ('4.13 ms', '1.23%', 'n/a')
"""

from __future__ import annotations

import math

from loadgate.runformat.schema import Percentiles

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}
"""The percentiles a summary carries, by field name."""

NONE = "–"
SAMPLES_NOTE = f"{NONE}: too few samples for that percentile (p95 needs 20, p99 100, p99.9 1,000)."


def min_samples(percentile: float | None) -> int:
    """Samples needed before a percentile means anything: 1 / (1 - q); 1 for max, rates and ratios."""
    if percentile is None:
        return 1
    return math.ceil(round(1 / (1 - percentile / 100), 6))


def shown(figures: Percentiles, name: str) -> float | None:
    """The percentile ``name`` of ``figures``, or None when too few samples back it."""
    value = getattr(figures, name)
    if name in PERCENTILES and figures.count < min_samples(PERCENTILES[name]):
        return None
    return value


def format_ms(value: float | None) -> str:
    """Milliseconds with sensible precision: 3 decimals below 1, 2 below 10, 1 below 1,000, then none."""
    if value is None:
        return NONE
    if value < 10:
        return f"{value:.3f}" if value < 1 else f"{value:.2f}"
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def format_value(value: float | None, unit: str) -> str:
    """A figure with its unit, for gate rows: ms through :func:`format_ms`, ratios as percent with
    2 decimals, rates with 1; ``n/a`` when nothing was measured."""
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "rps":
        return f"{value:,.1f} rps"
    if unit == "ms":
        return f"{format_ms(value)} ms"
    return f"{value:,.2f} {unit}"
