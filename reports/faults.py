"""What each fault a run injected (``meta.json``'s ``faults``) cost: requests and failures while it lasted.

    [fault_line(c) for c in fault_costs(run)]
    # -> ['pause store at 8s for 5s: 212 of 731 requests failed (29.0%) in 5–15 s, the intervals it
    #      overlapped; SIGSTOP ferretdb-lite (pid 4242) for 5s, then SIGCONT']

A fault's window is from when it was applied to when its process was continued or restarted
(a kill: to the end of the run); its cost is counted over the timeline's intervals that overlap
that window, so it includes the recovery within those intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadgate.runformat import FaultRecord, RunDir


@dataclass
class FaultCost:
    """One fault, and the requests and failures of the intervals it overlapped."""

    fault: FaultRecord
    start_s: float | None
    """The first overlapped interval's start, in seconds since measurement began."""
    end_s: float | None
    requests: int = 0
    failures: int = 0


def fault_costs(run: RunDir) -> list[FaultCost]:
    """Per fault of the run, what the intervals it overlapped measured (empty for a run without)."""
    meta = run.meta
    if not meta.faults:
        return []
    timeline = run.timeline()
    run_end = meta.ended_at or meta.persisted_until or meta.started_at
    costs = []
    for fault in meta.faults:
        if fault.started_at is None:
            costs.append(FaultCost(fault, None, None))
            continue
        end = run_end if fault.action == "kill" else (fault.ended_at or run_end)
        rows = [r for r in timeline if r.t < end and r.t + r.interval_s > fault.started_at]
        costs.append(FaultCost(
            fault,
            # wall-clock intervals: the first may open before the measurement did
            max(0.0, min((r.t for r in rows), default=fault.started_at) - meta.started_at),
            max((r.t + r.interval_s for r in rows), default=end) - meta.started_at,
            sum(sum(r.requests.values()) for r in rows),
            sum(sum(r.failures.values()) for r in rows),
        ))
    return costs


def fault_line(cost: FaultCost) -> str:
    """One line: the fault, and what it cost (or why it was not applied)."""
    fault = cost.fault
    if fault.error:
        return f"{fault.label}: not applied ({fault.error})"
    if fault.started_at is None or cost.start_s is None or cost.end_s is None:
        return f"{fault.label}: not reached (the run ended first)"
    share = f" ({cost.failures / cost.requests:.1%})" if cost.requests else ""
    return (f"{fault.label}: {cost.failures:,} of {cost.requests:,} requests failed{share} in "
            f"{cost.start_s:.0f}–{cost.end_s:.0f} s, the intervals it overlapped; {fault.effect}")
