"""Run by test_watch.py in a subprocess (it imports Locust, which monkey-patches its process):
each case drives a RunWatch through a stand-in runner holding the workers' states as Locust's
master keeps them, and prints what the watch recorded, as JSON."""

from __future__ import annotations

import json
from types import SimpleNamespace

from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_STOPPED

from loadtests.scenario import validate_scenario
from loadtests.watch import RunWatch

SCENARIO = validate_scenario(
    {"name": "w", "target": "http://127.0.0.1:1", "users": 10, "duration": "60s"}, "w")


def _started(*workers: str) -> tuple[SimpleNamespace, RunWatch]:
    runner = SimpleNamespace(clients={w: SimpleNamespace(state=STATE_RUNNING) for w in workers})
    watch = RunWatch(SCENARIO, distributed=True)
    watch.start(1000.0)
    watch.workers(runner, 1000.0, {})
    return runner, watch


def silent_while_measuring(runner, watch):
    runner.clients["b"].state = STATE_MISSING
    watch.workers(runner, 1020.0, {})


def silent_while_stopping(runner, watch):
    # What 100,000 users did: each worker stopping 25,000 of them missed heartbeats 4-7 s after
    # the end, its final report already in.
    watch.workers(runner, 1060.0, {})
    watch.stop(1060.0)
    for node in runner.clients.values():
        node.state = STATE_MISSING
    watch.workers(runner, 1064.0, {"a": (1062.0, STATE_STOPPED), "b": (1063.0, STATE_STOPPED)})
    watch.no_final_report([])


def no_final_report(runner, watch):
    watch.stop(1060.0)
    watch.no_final_report(["b"])


def lost_then_no_final_report(runner, watch):
    runner.clients["b"].state = STATE_MISSING
    watch.workers(runner, 1030.0, {})
    watch.stop(1060.0)
    watch.no_final_report(["b"])


def main() -> None:
    out = {}
    for case in (silent_while_measuring, silent_while_stopping, no_final_report, lost_then_no_final_report):
        runner, watch = _started("a", "b")
        case(runner, watch)
        seen, problems = watch.records()
        lost = {r.worker: [r.lost_at, r.reason] for r in seen if r.lost_at is not None}
        out[case.__name__] = {"lost": lost, "problems": problems}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
