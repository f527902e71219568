"""What a fault cost, counted over the timeline intervals it overlapped (reports.faults)."""

from __future__ import annotations

import json

from loadgate import runformat as rf
from reports.faults import fault_costs, fault_line
from testsupport.synthetic import START, Endpoint, write_run


def _run_with_fault(tmp_path, started_offset: float, fault: rf.FaultRecord):
    run = write_run(tmp_path, "faulted", {"GET /tasks": Endpoint(rps=20, median_ms=5, error_rate=0.0)},
                    duration_s=30)
    meta = json.loads((run / rf.META).read_text())
    meta["started_at"] = START + started_offset  # measurement began inside the first interval
    meta["faults"] = [fault.model_dump(mode="json")]
    (run / rf.META).write_text(json.dumps(meta))
    return rf.RunDir.open(run)


def test_a_fault_counts_the_intervals_it_overlapped_from_the_measurements_start(tmp_path):
    fault = rf.FaultRecord(label="pause api at 1s for 7s", action="pause", target="api", at_s=1, for_s=7,
                           started_at=START + 3, ended_at=START + 10,
                           effect="SIGSTOP the API for 7s, then SIGCONT")
    opened = _run_with_fault(tmp_path, 2.0, fault)
    (cost,) = fault_costs(opened)
    rows = [r for r in opened.timeline() if r.t < START + 10 and r.t + r.interval_s > START + 3]
    assert len(rows) == 2 and cost.requests == sum(sum(r.requests.values()) for r in rows) > 0
    # The first interval opened before the measurement did: its part before the start is not "-2 s".
    assert cost.start_s == 0 and cost.end_s == 8
    assert fault_line(cost).startswith(f"pause api at 1s for 7s: 0 of {cost.requests:,} requests failed "
                                       f"(0.0%) in 0–8 s, the intervals it overlapped; SIGSTOP")


def test_a_kill_counts_to_the_end_of_the_run_and_a_fault_not_reached_says_so(tmp_path):
    kill = rf.FaultRecord(label="kill api at 20s", action="kill", target="api", at_s=20,
                          started_at=START + 21, ended_at=START + 21, effect="SIGKILL the API")
    (cost,) = fault_costs(_run_with_fault(tmp_path / "a", 0.0, kill))
    assert (cost.start_s, cost.end_s) == (20, 30)
    late = rf.FaultRecord(label="kill api at 90s", action="kill", target="api", at_s=90)
    (cost,) = fault_costs(_run_with_fault(tmp_path / "b", 0.0, late))
    assert fault_line(cost) == "kill api at 90s: not reached (the run ended first)"
