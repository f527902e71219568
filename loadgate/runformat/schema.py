"""The run directory's files and records: names, format version, and the models of each JSON file.

Readers ignore fields they do not know, so a newer writer's additions do not break them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FORMAT_VERSION = 3
"""2: ``hdr/raw.hlog`` is the time on the wire (pool wait apart, in ``hdr/pool_wait.hlog``),
``meta.json`` carries the client's calibration, the workers seen and the run's own problems, and
the logs grow as the run goes. 3: ``sut.jsonl`` carries the async backlog (queues, events), the
run may probe on after the load stops until the backlog drains (``meta.json`` ``drain``), an
auditing run keeps its ledger and store reads (``audit/``) and ``audit.json``, injected faults are
in ``meta.json`` ``faults``, and ``summary.json`` has ``run_figures``. Versions 1 and 2 are still read."""
READABLE_VERSIONS = (1, 2, 3)

META = "meta.json"
SUMMARY = "summary.json"
RAW_LOG = "hdr/raw.hlog"
CORRECTED_LOG = "hdr/corrected.hlog"
POOL_LOG = "hdr/pool_wait.hlog"
LOCUST_DIR = "locust"
SUT = "sut.jsonl"
GENERATOR = "generator.jsonl"
TIMELINE = "timeline.jsonl"
AUDIT_DIR = "audit"
"""(v3) An auditing run's ledger, one ``<process>.jsonl`` per generator process, and its store reads."""
STORE_BEFORE = "audit/store-before.jsonl"
STORE_AFTER = "audit/store-after.jsonl"
AUDIT = "audit.json"

INTERVAL_S = 5.0
"""Length of one interval histogram, in seconds; intervals are aligned to multiples of it."""

TOTAL = "Total"
"""Name of the aggregate over all endpoints in summaries (never an endpoint name)."""


def interval_start(t: float) -> float:
    """The start of the interval that time ``t`` (epoch seconds) falls in.

    >>> interval_start(1000.0 * 5 + 3.2)
    5000.0
    """
    return (t // INTERVAL_S) * INTERVAL_S


class _Model(BaseModel):
    # Readers ignore fields they do not know, so a newer writer's additions do not break them;
    # NaN and infinities are refused (no figure of a run is either, and they poison comparisons).
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


EPOCH_MAX = 253_402_300_799.0
"""9999-12-31T23:59:59Z: the last instant a date can show; later epoch times are corrupt files."""
Epoch = Annotated[float, Field(ge=0, le=EPOCH_MAX)]
"""Epoch seconds, within what a date can show."""


class WorkerRecord(_Model):
    """One worker of a distributed run: when it joined and, if it left before the end, when."""

    worker: str = Field(description="Locust's client id of the worker")
    joined_at: Epoch
    lost_at: Epoch | None = Field(None, description="When the master last heard of it, if it was lost")
    reason: str | None = None


class Calibration(_Model):
    """The client stack's own latency against a zero-latency server, in one process, at one moment.

    What every measured latency contains beside the API's own time: no run can resolve
    differences below it.
    """

    process: str = Field(description="'local' or 'worker-<n>'")
    when: Literal["start", "end"]
    t: float
    count: int = 0
    p50_ms: float
    p99_ms: float
    max_ms: float = 0.0


class Drain(_Model):
    """After the load stopped: how long the run waited for the API's backlog to empty (v3).

    The SUT samples of the wait are in ``sut.jsonl`` (``t`` after ``meta.ended_at``); the summary
    reads the drain time from them.
    """

    timeout_s: float = Field(ge=0, description="the bound the run waited at most (scenario drain_timeout)")
    ended_at: Epoch = Field(description="when the run stopped waiting: drained, or out of time")
    drained: bool = Field(description="every work queue and the outbox seen empty before the bound")


class Topology(_Model):
    """What the run measured when it started the API itself: how many processes, behind what (v3)."""

    replicas: int = Field(1, ge=1, description="API processes (loadgate serve --replicas)")
    workers_per_replica: int = Field(1, ge=1, description="uvicorn workers in each")
    balancer: str | None = Field(None, description="'nginx/1.22.1' in front of the replicas; None: direct")
class FaultRecord(_Model):
    """(v3) One fault the run injected (``faults:`` in its scenario): when, into what, with what effect."""

    label: str = Field(description="as planned: 'pause store at 20s for 5s'")
    action: str
    target: str
    at_s: float = Field(description="planned offset from the start of measurement")
    for_s: float | None = None
    started_at: Epoch | None = Field(None, description="when it was applied")
    ended_at: Epoch | None = Field(None, description="when it was continued or restarted (kill: = start)")
    pid: int | None = None
    process: str = Field("", description="the process's name, e.g. 'redis-server'")
    effect: str = ""
    error: str | None = Field(None, description="why it could not be applied (the run goes on)")


class Meta(_Model):
    """``meta.json``: what was run, where, when, and whether it finished."""

    format_version: int = FORMAT_VERSION
    run_id: str
    scenario_name: str
    scenario: dict = Field(default_factory=dict, description="The scenario as resolved")
    scenario_file: str | None = None
    slo_file: str | None = None
    git_commit: str | None = None
    packages: dict[str, str] = Field(default_factory=dict)
    host: str = ""
    python: str = ""
    command: list[str] = Field(default_factory=list)
    target: str = ""
    target_kind: str = Field("", description="e.g. 'local (sqlite + memory)', 'url'")
    model: Literal["closed", "open"] = "closed"
    workers: int = 0
    created_at: Epoch = Field(description="When the run began (epoch s), seeding included")
    started_at: Epoch = Field(description="When measurement began (epoch s), after seeding")
    ended_at: Epoch | None = None
    planned_duration_s: float = Field(0.0, ge=0)
    interrupted: bool = False
    interrupt_reason: str | None = None
    interval_s: float = Field(INTERVAL_S, gt=0)
    workers_seen: list[WorkerRecord] = Field(
        default_factory=list, description="Each worker's join and, if lost during the run, its loss"
    )
    problems: list[str] = Field(
        default_factory=list,
        description="What the run itself saw go wrong (a worker lost, users below the shape), with times",
    )
    persisted_until: Epoch | None = Field(
        None, description="End of the last interval already in hdr/ (updated as the run goes)"
    )
    calibration: list[Calibration] = Field(
        default_factory=list, description="the client's floor, per process, at start and end (v2)"
    )
    connections: int | None = Field(None, description="pooled connections per generator process (v2)")
    topology: Topology | None = Field(
        None, description="the local API's processes and balancer; None: a URL target, or an older run (v3)"
    )
    drain: Drain | None = Field(
        None, description="the wait for the async backlog after the load stopped; None: no wait (v3)"
    )
    faults: list[FaultRecord] = Field(default_factory=list, description="faults injected, as they went (v3)")

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Meta:
        if self.started_at < self.created_at:
            raise ValueError(f"started_at {self.started_at} is before created_at {self.created_at}")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError(f"ended_at {self.ended_at} is before started_at {self.started_at}")
        return self

    @property
    def complete(self) -> bool:
        """False when the writer never finished the run (it was killed: no ``ended_at``)."""
        return self.ended_at is not None

    @property
    def duration_s(self) -> float:
        """Measured seconds; for a run whose writer was killed, up to the last persisted interval."""
        end = self.ended_at if self.ended_at is not None else self.persisted_until
        return max(0.0, (end or self.started_at) - self.started_at)

    def invalid_reasons(self) -> list[str]:
        """Why the run, as recorded here, cannot be trusted (beyond what its logs show)."""
        reasons = list(self.problems)
        if not self.complete:
            reasons.append(
                f"incomplete: the run's writer stopped without finishing it; "
                f"{self.duration_s:.0f}s of {self.planned_duration_s:.0f}s were persisted"
            )
        return reasons


class TimelineRow(_Model):
    """One line of ``timeline.jsonl``: per interval, users and per-endpoint request counts."""

    t: Epoch = Field(description="Interval start, epoch seconds")
    interval_s: float = Field(INTERVAL_S, gt=0)
    users: int = 0
    requests: dict[str, int] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict)


class SutSample(_Model):
    """One line of ``sut.jsonl``: cumulative counters scraped from the SUT's ``/metrics``.

    ``cache`` is keyed by endpoint (``GET /tasks/{id}``) then result (hit, miss, error, bypass);
    ``caches`` by cache name (task, task_list, user, analytics) then result.
    """

    t: Epoch
    ok: bool = True
    error: str | None = None
    cache: dict[str, dict[str, float]] = Field(default_factory=dict)
    caches: dict[str, dict[str, float]] = Field(default_factory=dict)
    rate_limited: float = 0.0
    breakers: dict[str, float] = Field(default_factory=dict, description="0 closed, 1 half-open, 2 open")
    store_ops: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="operation -> {count, sum_s}"
    )
    queues: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="queue (dead-letter ones included) -> {depth: messages ready, age_s: the oldest's "
                    "age} (v3)",
    )
    events: dict[str, float] = Field(
        default_factory=dict,
        description="cumulative published, confirmed, outboxed, lost; and outbox_depth, a gauge (v3)",
    )

    def backlog(self) -> float | None:
        """Messages still to be worked: ready in the work queues (not ``.dead``) plus the outbox;
        None when the API reports no queues (it publishes no events)."""
        if not self.queues:
            return None
        work = sum(q.get("depth", 0.0) for name, q in self.queues.items() if not is_dead_letter(name))
        return work + self.events.get("outbox_depth", 0.0)


DEAD_SUFFIX = ".dead"


def is_dead_letter(queue: str) -> bool:
    """Dead-letter queues keep messages for inspection: they never drain, and lag there is no lag.

    >>> is_dead_letter("taskapi.email.dead"), is_dead_letter("taskapi.email")
    (True, False)
    """
    return queue.endswith(DEAD_SUFFIX)


class GeneratorSample(_Model):
    """One line of ``generator.jsonl``: health of one load-generator process."""

    t: Epoch
    process: str = Field(description="'master', 'local' or 'worker-<id>'")
    cpu_percent: float
    loop_lag_ms: float
    rss_bytes: int = 0
    users: int = 0


class Percentiles(_Model):
    """Latency figures in milliseconds from one (merged) HdrHistogram."""

    count: int = 0
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    p999: float | None = None
    max: float | None = None
    mean: float | None = None


class EndpointSummary(Percentiles):
    """Per endpoint (and ``Total``) in ``summary.json``."""

    failures: int = 0
    error_rate: float = 0.0
    rps: float = 0.0
    cache_hit_ratio: float | None = None
    cache_lookups: int = 0
    corrected: Percentiles | None = None
    pool_wait: Percentiles | None = Field(
        None, description="wait for a pooled connection, every request (0 for most); v2 runs only"
    )
    pool_wait_share: float | None = Field(
        None, description="pool wait over pool wait plus time on the wire, summed over requests"
    )


class Validity(_Model):
    """Whether the run measured the API and not the generator, and if not, why."""

    valid: bool = True
    reasons: list[str] = Field(default_factory=list)


class QueueSummary(_Model):
    """One queue over the run (drain included), from ``sut.jsonl``."""

    depth_max: float = Field(0.0, description="most messages ready at once")
    age_max_s: float = Field(0.0, description="oldest message's greatest age, seconds")
    depth_last: float = Field(0.0, description="messages ready at the last sample")


class Summary(_Model):
    """``summary.json``: rebuilt from the logs by ``reports.summary``, never counted in the run."""

    format_version: int = FORMAT_VERSION
    run_id: str
    scenario_name: str
    duration_s: float
    users_max: int = 0
    endpoints: dict[str, EndpointSummary]
    total: EndpointSummary
    rate_limited: float = 0.0
    generator_cpu_max: float | None = None
    generator_loop_lag_p99_ms: float | None = None
    floor_p50_ms: float | None = Field(None, description="client-added p50 at zero latency (worst process)")
    floor_p99_ms: float | None = Field(None, description="client-added p99 at zero latency (worst process)")
    validity: Validity
    source_digest: str | None = Field(
        None, description="sha256 of the logs it was built from (hdr/*.hlog, timeline.jsonl)"
    )
    run_figures: dict[str, float | None] = Field(
        default_factory=dict,
        description="figures of the whole run by name (reports.metrics.RUN_METRICS); None: not measured (v3)",
    )
    queues: dict[str, QueueSummary] = Field(
        default_factory=dict, description="per queue the API reported, dead-letter ones included (v3)"
    )
    drain_note: str | None = Field(None, description="why drain_seconds is null, when it is")
    drain_exceeded_s: float | None = Field(
        None, description="the backlog was still there this long after the load's stop, when the run's "
                          "wait ran out: the drain took longer than this (v3)")
