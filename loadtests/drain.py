"""After the load stops: wait, bounded, for the API's work queues and outbox to empty.

    meta.drain = wait_for_drain(scenario.drain_timeout, probe, last_sample, stopped_at, writer,
                                console, interrupts)

The samples taken while waiting go to ``sut.jsonl``; the summary reads the drain time from them.
"""

from __future__ import annotations

import time

from rich.console import Console

from loadgate import runformat as rf
from loadtests.interrupts import Interrupts
from loadtests.probe import Probe
from loadtests.status import StatusLine

DRAIN_PROBE_EVERY_S = 1.0
"""While the run waits for the backlog to drain, it probes this often (the drain time's resolution,
beside the API's own ``QUEUE_STATS_SECONDS`` refresh)."""


def wait_for_drain(timeout: float, probe: Probe, last: rf.SutSample, stopped_at: float, writer: rf.RunWriter,
                   console: Console, interrupts: Interrupts) -> rf.Drain | None:
    """Keep probing until the backlog is empty or ``timeout`` seconds passed since ``stopped_at``.
    None when the scenario does not wait or the API publishes no events."""
    if timeout <= 0 or not probe.saw_queues:
        return None
    deadline = stopped_at + timeout
    sample = last
    with StatusLine(timeout, console) as status:
        while sample.backlog() != 0 and time.time() < deadline and not interrupts():
            waiting = "?" if sample.backlog() is None else f"{sample.backlog():,.0f}"
            status.show(f"{time.time() - stopped_at:5.0f}/{timeout:.0f}s  draining: {waiting} "
                        f"event(s) in the work queues and the outbox")
            interrupts.event.wait(timeout=min(DRAIN_PROBE_EVERY_S, max(0.0, deadline - time.time())))
            sample = probe.sample()
            writer.append(rf.SUT, sample)
    drained = sample.backlog() == 0
    took = time.time() - stopped_at
    console.print(f"backlog drained {took:.1f}s after the load stopped" if drained else
                  f"backlog not drained within {timeout:g}s of the load's stop "
                  f"({sample.backlog() if sample.backlog() is not None else '?'} left)",
                  highlight=False)
    return rf.Drain(timeout_s=timeout, ended_at=time.time(), drained=drained)
