"""The figures of a run as rows of formatted cells, shared by the HTML, Markdown and CLI views.

Every millisecond is ``loadgate.runformat.figures.format_ms`` and every percentile passes
``figures.shown`` (too few samples: ``–``), so the console, ``report.html`` and ``report.md`` show
the same cells. For example, ``endpoint_rows(run.summary)[0]`` is
``{'endpoint': 'GET /tasks', 'count': '12,004', 'failures': '3', 'rps': '40.0', 'p50': '3.10', ...}``.
"""

from __future__ import annotations

import datetime as dt

from loadgate.runformat import TOTAL, AuditResult, EndpointSummary, Meta, Percentiles, Summary, is_dead_letter
from loadgate.runformat.figures import NONE, format_ms, format_value, shown
from reports.audit import load_audit
from reports.faults import fault_costs, fault_line
from reports.metrics import RUN_METRICS
from reports.rundata import RunData

ENDPOINT_COLUMNS = [
    "endpoint",
    "count",
    "failures",
    "error %",
    "rps",
    "p50",
    "p95",
    "p99",
    "p99.9",
    "max",
    "pool wait p99",
    "cache hit",
]


def pct(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else f"{value * 100:.{digits}f}%"


def _percentile(s: Percentiles, metric: str) -> str:
    """A percentile, or ``–`` when too few samples back it (``figures.shown``: p99 needs 100)."""
    return format_ms(shown(s, metric))


def _pool_wait(s: EndpointSummary) -> str:
    """Pool wait p99 and its share of the latency (``–`` for a version 1 run, which has none)."""
    if s.pool_wait is None or s.pool_wait_share is None:
        return "–"
    return f"{_percentile(s.pool_wait, 'p99')} ({pct(s.pool_wait_share)})"


def resolution(summary: Summary) -> str | None:
    """The run's own floor, in words, or None when it was not calibrated (a version 1 run)."""
    if summary.floor_p50_ms is None:
        return None
    p50, p99 = format_ms(summary.floor_p50_ms), format_ms(summary.floor_p99_ms)
    return (f"this run cannot resolve differences below {p50} ms: the client stack adds p50 {p50} ms, "
            f"p99 {p99} ms to every latency (zero-latency calibration)")


def _row(name: str, s: EndpointSummary) -> dict[str, str]:
    return {
        "endpoint": name,
        "count": f"{s.count:,}",
        "failures": f"{s.failures:,}",
        "error %": pct(s.error_rate, 2),
        "rps": f"{s.rps:,.1f}",
        "p50": _percentile(s, "p50"),
        "p95": _percentile(s, "p95"),
        "p99": _percentile(s, "p99"),
        "p99.9": _percentile(s, "p999"),
        "max": format_ms(s.max),
        "pool wait p99": _pool_wait(s),
        "cache hit": pct(s.cache_hit_ratio),
    }


def endpoint_rows(summary: Summary) -> list[dict[str, str]]:
    """One row per endpoint (busiest first), then ``Total``; latencies in ms."""
    rows = [
        _row(name, s) for name, s in sorted(summary.endpoints.items(), key=lambda kv: (-kv[1].count, kv[0]))
    ]
    return [*rows, _row(TOTAL, summary.total)]


def _when(epoch: float | None) -> str:
    if not epoch:
        return "–"
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def topology(m: Meta) -> str | None:
    """Which topology the run measured, in words; None for runs that do not say (format 2)."""
    t = m.topology
    if t is None:
        if m.target_kind.startswith("url"):
            return "as deployed behind the URL (replicas and balancer not known to the run)"
        return None
    workers = f" × {t.workers_per_replica} workers" if t.workers_per_replica > 1 else ""
    if t.replicas == 1 and t.balancer is None:
        return f"one API process{workers}, direct (no balancer)"
    return (f"{t.replicas} API replicas{workers} behind {t.balancer or 'a balancer'} "
            f"(their /metrics add up all replicas)")


def async_backlog(s: Summary) -> str | None:
    """The event backlog in words (depth, lag, drain), or None when the API reported no queues."""
    if not s.queues:
        return None
    figures = s.run_figures
    drain = figures.get("drain_seconds")
    drained = f"drained {drain:,.1f} s after the load stopped" if drain is not None else (
        s.drain_note or "drain not measured")
    dead = sum(q.depth_last for name, q in s.queues.items() if is_dead_letter(name))
    return (f"max {figures.get('queue_depth_max') or 0:,.0f} messages waiting, oldest "
            f"{figures.get('queue_lag_max') or 0:,.1f} s; {drained}; {dead:,.0f} dead letter(s) at the end")
def run_figures_line(summary: Summary) -> str | None:
    """The run's own figures on one line (``lost writes 0 · stale reads 0``); None if it has none.

    >>> run_figures_line(Summary.model_construct(run_figures={"lost_writes": 0.0, "stale_reads": None}))
    'lost writes 0 · stale reads not measured'
    """
    if not summary.run_figures:
        return None
    def shown(name: str, value: float | None) -> str:
        metric = RUN_METRICS.get(name)
        return "not measured" if value is None else format_value(value, metric.unit if metric else "count")

    return " · ".join(f"{name.replace('_', ' ')} {shown(name, value)}"
                      for name, value in summary.run_figures.items())


def audit_line(audit: AuditResult) -> str:
    """What the audit checked, and why its figures are missing if they are."""
    line = (f"{audit.acknowledged_writes:,} acknowledged writes, {audit.unknown_writes:,} unknown outcomes "
            f"({audit.explained_by_unknown:,} differences they explain); {audit.accounts:,} accounts, "
            f"{audit.tasks_before:,} tasks after seeding, {audit.tasks_after:,} after the run")
    return line + (f"; not measured: {'; '.join(audit.problems)}" if audit.problems else "")


def run_facts(run: RunData) -> list[tuple[str, str]]:
    """What was run, where and when: (label, value) pairs."""
    m, s = run.meta, run.summary
    measured = topology(m)
    duration = f"{m.duration_s:,.0f} s"
    if m.planned_duration_s and abs(m.planned_duration_s - m.duration_s) > 1:
        duration += f" of {m.planned_duration_s:,.0f} s planned"
    facts = [
        ("run", m.run_id),
        ("scenario", m.scenario_name + (f" ({m.scenario_file})" if m.scenario_file else "")),
        ("commit", (m.git_commit or "–")[:12]),
        ("started", _when(m.started_at)),
        ("duration", duration),
        ("load model", f"{m.model}, up to {s.users_max:,} users"),
        ("generator", f"{m.workers} load-generator process(es)" if m.workers else "one local process"),
        ("target", f"{m.target} {f'({m.target_kind})' if m.target_kind else ''}".strip()),
        *([("topology", measured)] if measured else []),
        ("host", m.host or "–"),
    ]
    if s.generator_cpu_max is not None:
        facts.append(
            (
                "generator health",
                f"CPU max {s.generator_cpu_max:.0f}%, event-loop lag p99 "
                f"{format_ms(s.generator_loop_lag_p99_ms or 0)} ms",
            )
        )
    floor = resolution(s)
    if floor:
        facts.append(("resolution", floor))
    if m.connections:
        facts.append(("connection pool", f"{m.connections:,} per generator process"))
    backlog = async_backlog(s)
    if backlog:
        facts.append(("async backlog", backlog))
    if m.interrupted:
        facts.append(("interrupted", m.interrupt_reason or "yes"))
    figures = run_figures_line(s)
    if figures:
        facts.append(("run figures", figures))
    audit = load_audit(run.run)
    if audit is not None:
        facts.append(("audit", audit_line(audit)))
    facts += [("fault", fault_line(cost)) for cost in fault_costs(run.run)]
    version = m.packages.get("loadgate")
    if version:
        facts.append(("loadgate", version))
    return facts


def sut_tables(run: RunData) -> dict[str, list[dict[str, str]]]:
    """The SUT's view: cache ratios per cache, breakers, store operation latency, 429s."""
    from reports.sut import (
        breaker_states,
        cache_ratios_by_cache,
        event_counts,
        rate_limited,
        scrape_failures,
        store_latency_ms,
    )

    samples = run.sut
    caches = [
        {"cache": "all caches" if name == TOTAL else name, "hit ratio": pct(r), "lookups": f"{n:,}"}
        for name, (r, n) in cache_ratios_by_cache(samples).items()
    ]
    breakers = [
        {
            "breaker": name,
            "last state": str(st["last"]),
            "closed": pct(st["closed"], 0),
            "half-open": pct(st["half-open"], 0),
            "open": pct(st["open"], 0),
        }
        for name, st in breaker_states(samples).items()
    ]
    store = [
        {"operation": op, "mean": format_ms(mean), "operations": f"{n:,}"}
        for op, (mean, n) in store_latency_ms(samples).items()
    ]
    failed, scrapes = scrape_failures(samples)
    other = [
        {"figure": "requests refused with 429", "value": f"{rate_limited(samples):,.0f}"},
        {"figure": "metrics scrapes failed", "value": f"{failed:,} of {scrapes:,}"},
    ]
    other += [{"figure": f"events {name}", "value": f"{n:,.0f}"} for name, n in event_counts(samples).items()]
    queues = [
        {"queue": name, "depth max": f"{q.depth_max:,.0f}", "oldest max (s)": f"{q.age_max_s:,.1f}",
         "depth at end": f"{q.depth_last:,.0f}"}
        for name, q in run.summary.queues.items()
    ]
    return {"caches": caches, "breakers": breakers, "store operations (ms)": store, "queues": queues,
            "other": other}
