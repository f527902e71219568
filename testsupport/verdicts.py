"""What a whole-stack test may accept as a run's verdict on a small shared machine.

A run through Docker or the cluster puts the API, its stores and the generator on the same two
cores. When the generator itself saturates, the run says so and its verdict is INVALID: that is
the harness being honest, not the stack failing. Such a test accepts the verdict it expects, or
INVALID for generator saturation alone, and nothing else (any other reason, a NO-GO where GO was
expected, a missing verdict all fail).
"""

from __future__ import annotations

GENERATOR_SATURATED = ("generator event-loop lag", "% CPU for ")
"""How reports.summary words the two generator-saturation reasons."""


def expected_or_saturated(verdict: dict, expected: str) -> bool:
    """True when ``verdict`` (verdict.json) is ``expected``, or INVALID only because the generator
    saturated (every reason one of GENERATOR_SATURATED)."""
    if verdict.get("verdict") == expected:
        return True
    reasons = verdict.get("reasons") or []
    return (verdict.get("verdict") == "INVALID" and bool(reasons)
            and all(any(mark in r for mark in GENERATOR_SATURATED) for r in reasons))
