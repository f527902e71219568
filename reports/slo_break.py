"""Where a run's p95 crosses its SLO limit, between measured plateaus: never extrapolated.

    p95_break(steps, limit_ms=250).text
    'p95 crosses 250 ms at about 1,150 users (interpolated between 1,000 at 180.2 ms and ...)'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loadgate.runformat.figures import format_ms
from reports.plateaus import Step


@dataclass
class SloBreak:
    """Where the p95 crosses its SLO limit, interpolated between measured plateaus."""

    limit_ms: float
    users: float | None
    below: Step | None
    above: Step | None
    text: str


def p95_break(steps: Sequence[Step], limit_ms: float) -> SloBreak:
    """The concurrency at which the plateaus' p95 crosses ``limit_ms``, linearly interpolated
    between the last plateau under it and the first over it; never extrapolated."""
    pts = sorted((s for s in steps if s.p95 is not None), key=lambda s: s.users)
    p95 = [float(s.p95 or 0.0) for s in pts]  # every point has one (filtered above)
    for i, s in enumerate(pts):
        if p95[i] > limit_ms:
            if i == 0:
                return SloBreak(
                    limit_ms,
                    None,
                    None,
                    s,
                    f"p95 {format_ms(s.p95)} ms is over the {limit_ms:g} ms limit already at the lowest "
                    f"measured concurrency ({s.users:,}): the break lies below it, unmeasured",
                )
            b = pts[i - 1]
            users = b.users + (limit_ms - p95[i - 1]) * (s.users - b.users) / (p95[i] - p95[i - 1])
            return SloBreak(
                limit_ms,
                users,
                b,
                s,
                f"p95 crosses {limit_ms:g} ms at about {users:,.0f} users (interpolated between "
                f"{b.users:,} at {format_ms(b.p95)} ms and {s.users:,} at {format_ms(s.p95)} ms)",
            )
    top = pts[-1] if pts else None
    text = (
        f"p95 stays under {limit_ms:g} ms up to the highest measured concurrency ({top.users:,}, "
        f"{format_ms(top.p95)} ms): where it breaks is not measured"
        if top
        else "no plateau has a p95"
    )
    return SloBreak(limit_ms, None, top, None, text)
