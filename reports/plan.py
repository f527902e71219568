"""How many Locust workers and API replicas a target load needs, from measured per-unit figures.

    >>> p = make_plan(users=100_000, rpm=1_000_000)
    >>> p.locust_workers, p.api_replicas
    (15, 38)
    >>> print(kustomize_patch(p))             # replicas for the Kubernetes overlays
    # loadgate plan --users 100000 --rpm 1e+06: 15 Locust workers, 38 API replicas
    # (worker_users 10000, worker_rps 1500, replica_rps 580, headroom 1.3)
    apiVersion: apps/v1
    kind: Deployment
    ...

The formula (``docs/capacity.md``), with ``rps = rpm / 60``:

    locust_workers = ceil(max(users / worker_users, rps / worker_rps) × headroom)
    api_replicas   = ceil(rps / replica_rps × headroom)

The per-unit figures come, in order of precedence, from the command line, from measured runs
(``--from``), or from the defaults below. Over 300 lines on purpose: each default sits beside the
measurement it came from, and the formula beside the Kubernetes patch that applies it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import yaml

from loadgate.errors import InputError
from reports.rundata import RunData
from reports.summary import CPU_SATURATED_PERCENT

# Defaults: measured figures, per unit of the Kubernetes overlays (one Locust worker process on
# 1 CPU; one API pod of 1 CPU running one uvicorn worker), from runs on a 2-core VM (2026-11-28;
# docs/capacity.md, "Where the defaults come from"). The k8s overlays' plan.yaml files state the
# same inputs explicitly, so changing a default here does not resize an overlay silently.
WORKER_USERS = 10_000
"""Simulated users one Locust worker carries: benchmarks/bench_users.py, 10,000 users (5-7 s think
time) in one process at 35 % CPU, 14.8 KB RSS per user, generator-added p99 1.2-10 ms."""
WORKER_RPS = 1_500
"""Requests per second one Locust worker sends at the 90 % CPU bound: a capacity staircase (one
process, 60 -> 600 users) sent 281 rps at 17 % mean CPU, which ``--from`` scales to 1,501 rps."""
REPLICA_RPS = 580
"""Requests per second one API replica serves with p95 within the SLO: a LOWER bound, the same
staircase's highest plateau (580.6 rps at 600 users, p95 10.1 ms, the SLO not yet broken), with
the API on the embedded SQLite store, not MongoDB."""
DEFAULT_SOURCES = {
    "worker_users": "default: benchmarks/bench_users.py, users per worker core with generator-added "
                    "p99 <= 10 ms (docs/capacity.md)",
    "worker_rps": "default: capacity staircase, requests/s per worker core scaled to the 90% CPU bound "
                  "(docs/capacity.md)",
    "replica_rps": "default: capacity staircase, highest plateau per API replica, a lower bound "
                   "(docs/capacity.md)",
}
"""Which measurement each default comes from: ``loadgate plan`` prints it beside the figure."""
HEADROOM = 1.3
"""Multiplier on the load: 1.3 sizes for 30 % more than asked, for spikes and failover."""
NODES = 3
"""Nodes of the scaling plan."""

# The scaling plan's own rule of thumb, shown beside the measured plan.
PLAN_USERS_PER_SERVER = 1000
PLAN_RPM_PER_SERVER = 10_000

CPU_BOUND_PERCENT = CPU_SATURATED_PERCENT
"""A generator above this CPU share measures itself: the run-validity bound of ``reports.summary``."""

WORKER_DEPLOYMENT = "locust-worker"
API_DEPLOYMENT = "api"
API_HPA = "api"
RUN_CONFIGMAP = "loadgate-run"


def ceil_count(x: float) -> int:
    """Round a count up, ignoring float dust: 100000 / 1000 × 1.3 is 130, not 131.

    >>> ceil_count(130.00000000000003), ceil_count(144.4)
    (130, 145)
    """
    return max(1, math.ceil(round(x, 6)))


@dataclass
class Plan:
    """Inputs, where each per-unit figure came from, and the counts that follow."""

    users: int
    rpm: float
    worker_users: float
    worker_rps: float
    replica_rps: float
    headroom: float
    nodes: int
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.rpm / 60.0

    @property
    def workers_by_users(self) -> float:
        return self.users / self.worker_users

    @property
    def workers_by_rps(self) -> float:
        return self.rps / self.worker_rps

    @property
    def locust_workers(self) -> int:
        return ceil_count(max(self.workers_by_users, self.workers_by_rps) * self.headroom)

    @property
    def api_replicas(self) -> int:
        return ceil_count(self.rps / self.replica_rps * self.headroom)

    @property
    def plan_servers(self) -> int:
        """The scaling plan's estimate: 1,000 users or 10,000 rpm per server, whichever needs more."""
        return ceil_count(max(self.users / PLAN_USERS_PER_SERVER, self.rpm / PLAN_RPM_PER_SERVER))

    def to_dict(self) -> dict:
        return {
            "users": self.users,
            "rpm": self.rpm,
            "rps": self.rps,
            "locust_workers": self.locust_workers,
            "api_replicas": self.api_replicas,
            "expect_workers": self.locust_workers,
            "workers_by_users": self.workers_by_users,
            "workers_by_rps": self.workers_by_rps,
            "inputs": {k: v for k, v in asdict(self).items() if k not in ("sources", "notes")},
            "sources": self.sources,
            "per_node": {
                "nodes": self.nodes,
                "locust_workers": math.ceil(self.locust_workers / self.nodes),
                "api_replicas": math.ceil(self.api_replicas / self.nodes),
            },
            "scaling_plan": {
                "servers": self.plan_servers,
                "users_per_server": PLAN_USERS_PER_SERVER,
                "rpm_per_server": PLAN_RPM_PER_SERVER,
                "nodes": NODES,
            },
            "notes": self.notes,
        }


def measured_generator(runs: Sequence[RunData]) -> tuple[float, float, str] | None:
    """Users and requests/s one generator process carries at the CPU bound, from the run whose
    generators ran hottest (the least extrapolation), scaled linearly from their mean CPU."""
    best = None
    for run in runs:
        samples = [s for s in run.generator if s.process != "master"]
        processes = {s.process for s in samples}
        if not samples or run.summary.total.count == 0:
            continue
        cpu = sum(s.cpu_percent for s in samples) / len(samples)
        if best is None or cpu > best[0]:
            best = (cpu, run, len(processes))
    if best is None:
        return None
    cpu, run, n = best
    scale = CPU_BOUND_PERCENT / cpu if cpu > 0 else 1.0
    if not run.summary.validity.valid:
        scale = 1.0  # a saturated generator already shows its limit
    users = run.summary.users_max / n * scale
    rps = run.summary.total.rps / n * scale
    how = f"measured in {run.name}: {n} process(es) at {cpu:.0f}% mean CPU" + (
        f", scaled ×{scale:.2f} to {CPU_BOUND_PERCENT:.0f}% (a CPU bound: the generator-added latency at "
        "that load is not measured by this run)" if scale != 1.0 else ""
    )
    return users, rps, how


def served_by(runs: Sequence[RunData]) -> int:
    """API processes that served the runs, as their scenarios recorded it (``api_replicas``, or
    ``api_workers`` for a local target); 1 when they do not say."""
    counts = {
        int(r.meta.scenario.get("api_replicas") or r.meta.scenario.get("api_workers") or 1) for r in runs
    }
    if len(counts) > 1:
        raise InputError(
            f"plan: the --from runs were served by different API counts ({sorted(counts)}); "
            "plan from runs of one deployment, or give --run-replicas"
        )
    return counts.pop() if counts else 1


def measured_replica(
    runs: Sequence[RunData], replicas: int, p95_limit_ms: float | None
) -> tuple[float, str] | None:
    """Requests/s one API replica serves: the capacity found by ``reports.capacity`` over the
    runs' plateaus, divided by the replicas that served them."""
    from reports.capacity import analyse

    try:
        result = analyse(runs, p95_limit_ms=p95_limit_ms)
    except InputError:
        return None
    rps, source = result.capacity_rps()
    return rps / replicas, f"measured in {', '.join(r.name for r in runs)}: {source} / {replicas} replica(s)"


def make_plan(
    users: int,
    rpm: float,
    *,
    runs: Sequence[RunData] = (),
    worker_users: float | None = None,
    worker_rps: float | None = None,
    replica_rps: float | None = None,
    headroom: float | None = None,
    nodes: int | None = None,
    run_replicas: int | None = None,
    p95_limit_ms: float | None = None,
) -> Plan:
    """A plan for ``users`` and ``rpm``: given figures first, then measured ones, then defaults."""
    if users < 0 or rpm < 0:
        raise InputError(f"plan: --users and --rpm must not be negative (got {users}, {rpm:g})")
    headroom = HEADROOM if headroom is None else headroom
    if headroom < 1:
        raise InputError(f"plan: --headroom {headroom:g}: a multiplier of at least 1 (1.3 = 30% spare)")
    for name, value in (
        ("--worker-users", worker_users),
        ("--worker-rps", worker_rps),
        ("--replica-rps", replica_rps),
        ("--nodes", nodes),
        ("--run-replicas", run_replicas),
    ):
        if value is not None and value <= 0:
            raise InputError(f"plan: {name} {value:g}: must be greater than 0")
    sources = {}
    notes = []
    gen = measured_generator(runs) if runs else None
    if run_replicas is None:
        run_replicas = served_by(runs)
    rep = measured_replica(runs, run_replicas, p95_limit_ms) if runs else None
    if runs and gen is None:
        notes.append("no generator samples in the runs: worker figures are the defaults")
    if runs and rep is None:
        notes.append("no plateau in the runs: the replica figure is the default")

    def pick(name: str, given: float | None, measured: float | None, how: str, default: float) -> float:
        if given is not None:
            sources[name] = "given"
            return given
        if measured is not None:
            sources[name] = how
            return measured
        sources[name] = DEFAULT_SOURCES[name]
        return default

    wu = pick("worker_users", worker_users, gen[0] if gen else None, gen[2] if gen else "", WORKER_USERS)
    wr = pick("worker_rps", worker_rps, gen[1] if gen else None, gen[2] if gen else "", WORKER_RPS)
    rr = pick("replica_rps", replica_rps, rep[0] if rep else None, rep[1] if rep else "", REPLICA_RPS)
    plan = Plan(users, rpm, wu, wr, rr, headroom, nodes or NODES, sources, notes)
    if plan.api_replicas > 2 * plan.plan_servers or 2 * plan.api_replicas < plan.plan_servers:
        notes.append(
            f"the measured plan ({plan.api_replicas} API replicas) is far from the scaling plan's "
            f"estimate ({plan.plan_servers} servers): check which per-server figure is right"
        )
    return plan


def kustomize_patch(plan: Plan) -> str:
    """A strategic-merge patch for a ``k8s/overlays/*`` kustomization (``patches: - path: ...``):
    worker and API replicas, the HPA's floor (twice that as ceiling), and the master's
    ``--expect-workers`` through the ``loadgate-run`` ConfigMap it reads ``EXPECT_WORKERS`` from."""
    docs = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": WORKER_DEPLOYMENT},
            "spec": {"replicas": plan.locust_workers},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": API_DEPLOYMENT},
            "spec": {"replicas": plan.api_replicas},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": API_HPA},
            "spec": {"minReplicas": plan.api_replicas, "maxReplicas": 2 * plan.api_replicas},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": RUN_CONFIGMAP},
            "data": {"EXPECT_WORKERS": str(plan.locust_workers)},
        },
    ]
    header = (
        f"# loadgate plan --users {plan.users} --rpm {plan.rpm:g}: {plan.locust_workers} Locust workers, "
        f"{plan.api_replicas} API replicas\n# (worker_users {plan.worker_users:g}, worker_rps "
        f"{plan.worker_rps:g}, replica_rps {plan.replica_rps:g}, headroom {plan.headroom:g})\n"
    )
    return header + yaml.safe_dump_all(docs, sort_keys=False)


def plan_rows(plan: Plan) -> list[tuple[str, str, str]]:
    """(what, measured plan, scaling plan) rows for the printed table."""
    return [
        ("load", f"{plan.users:,} users, {plan.rpm:,.0f} rpm ({plan.rps:,.0f} rps)", ""),
        (
            "Locust workers",
            f"{plan.locust_workers:,} (users: {plan.workers_by_users:,.2f}, rps: "
            f"{plan.workers_by_rps:,.2f}, × {plan.headroom:g})",
            "–",
        ),
        (
            "API replicas",
            f"{plan.api_replicas:,} ({plan.rps:,.0f} rps / {plan.replica_rps:,.0f} × {plan.headroom:g})",
            f"{plan.plan_servers:,} servers "
            f"({PLAN_USERS_PER_SERVER:,} users / {PLAN_RPM_PER_SERVER:,} rpm each)",
        ),
        (
            "nodes",
            f"{plan.nodes}: {math.ceil(plan.locust_workers / plan.nodes):,} workers + "
            f"{math.ceil(plan.api_replicas / plan.nodes):,} API pods per node",
            f"{NODES}",
        ),
        (
            "per worker",
            f"{plan.worker_users:,.0f} users ({plan.sources.get('worker_users')}), "
            f"{plan.worker_rps:,.0f} rps ({plan.sources.get('worker_rps')})",
            "",
        ),
        (
            "per API replica",
            f"{plan.replica_rps:,.0f} rps ({plan.sources.get('replica_rps')})",
            f"{PLAN_RPM_PER_SERVER / 60:,.0f} rps",
        ),
    ]
