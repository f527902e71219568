"""``summary.json``, rebuilt from a run directory's logs alone.

    summary = build_summary(RunDir.open("runs/20261128-130000-smoke"))
    summary.endpoints["GET /tasks"].p95      # 4.127: milliseconds, from the merged histograms
    summary.validity.valid                   # True
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from hdrh.histogram import HdrHistogram

from loadgate.runformat import (
    SUMMARY,
    TOTAL,
    EndpointSummary,
    GeneratorSample,
    Percentiles,
    RunDir,
    Summary,
    SutSample,
    Validity,
    new_histogram,
    write_json_atomic,
)
from loadgate.runformat.counters import combined, hit_ratio, increase, increases
from reports.audit import load_audit, run_figures, write_audit
from reports.latency import SUMMARY_PERCENTILES, LatencyLog, summary_figures
from reports.sut import backlog_figures

CPU_SATURATED_PERCENT = 90.0
"""A generator process above this CPU share ... (also the bound ``reports.plan`` sizes workers at)"""
CPU_SATURATED_SECONDS = 15.0
"""... for this long without a break makes the run invalid: its latencies measure the generator."""
LOOP_LAG_P99_BOUND_MS = 50.0
"""Event-loop lag p99 above this, in any generator process, makes the run invalid."""
POOL_WAIT_SHARE_BOUND = 0.05
"""An endpoint whose requests spent this share of their time waiting for a pooled connection (in
the generator) makes the run invalid: its latencies measure the generator's pool, not the API."""
POOL_WAIT_MIN_MS = 1.0
"""... unless that wait is under this, on average per request: below the client's own floor."""


def percentiles(hist: HdrHistogram) -> Percentiles:
    """p50 / p90 / p95 / p99 / p99.9 / max / mean in milliseconds from one histogram."""
    count = hist.get_total_count()
    if count == 0:
        return Percentiles()
    fast = summary_figures(hist, SUMMARY_PERCENTILES)  # the same figures, vectorised
    if fast is not None:
        (p50, p90, p95, p99, p999), max_us, mean_us = fast
        return Percentiles(count=count, p50=p50 / 1000.0, p90=p90 / 1000.0, p95=p95 / 1000.0,
                           p99=p99 / 1000.0, p999=p999 / 1000.0, max=max_us / 1000.0, mean=mean_us / 1000.0)
    at = hist.get_percentile_to_value_dict([50, 90, 95, 99, 99.9])
    return Percentiles(
        count=count,
        p50=at[50] / 1000.0,
        p90=at[90] / 1000.0,
        p95=at[95] / 1000.0,
        p99=at[99] / 1000.0,
        p999=at[99.9] / 1000.0,
        max=hist.get_max_value() / 1000.0,
        mean=hist.get_mean_value() / 1000.0,
    )


def cache_hit_ratios(samples: list[SutSample]) -> dict[str, tuple[float | None, int]]:
    """Per endpoint (and ``Total``): hit ratio and lookups over the run, from the counters'
    increases (``loadgate.runformat.counters``: errors and bypasses count as misses, a counter
    that went down after an API restart counts again from zero)."""
    ok = [s.cache for s in samples if s.ok]
    if len(ok) < 2:
        return {}
    per_endpoint = increases(ok)
    out = {endpoint: hit_ratio(results) for endpoint, results in per_endpoint.items()}
    out[TOTAL] = hit_ratio(combined(per_endpoint))
    return out


def pool_wait_figures(wire: HdrHistogram, waits: HdrHistogram | None) -> tuple[Percentiles, float]:
    """Pool-wait percentiles over every request (those that found a connection at once waited 0)
    and the share of the requests' time spent waiting, from the wire and wait histograms."""
    full = new_histogram()
    waited = 0
    if waits is not None and waits.get_total_count():
        full.add(waits)
        waited = waits.get_total_count()
    if wire.get_total_count() > waited:
        full.record_value(0, wire.get_total_count() - waited)
    wait_sum = full.get_mean_value() * full.get_total_count()
    wire_sum = wire.get_mean_value() * wire.get_total_count()
    share = wait_sum / (wait_sum + wire_sum) if wait_sum + wire_sum > 0 else 0.0
    return percentiles(full), share


def starved_endpoints(endpoints: dict[str, EndpointSummary]) -> list[str]:
    """Reasons, one per endpoint whose pool wait is a material share of its latency."""
    reasons = []
    for name, s in sorted(endpoints.items()):
        wait = s.pool_wait
        if s.pool_wait_share is None or wait is None or wait.mean is None:
            continue
        if s.pool_wait_share >= POOL_WAIT_SHARE_BOUND and wait.mean >= POOL_WAIT_MIN_MS:
            reasons.append(
                f"{name}: {s.pool_wait_share:.0%} of its latency was waiting for a pooled connection in "
                f"the generator (pool wait p99 {wait.p99:,.1f} ms, bound {POOL_WAIT_SHARE_BOUND:.0%}): "
                "raise the scenario's connections"
            )
    return reasons


def validity(run: RunDir, samples: list[GeneratorSample], total_count: int,
             endpoints: dict[str, EndpointSummary] | None = None) -> Validity:
    """Why this run's latencies cannot be trusted, if they cannot."""
    reasons = []
    if run.meta.interrupted:
        why = f" ({run.meta.interrupt_reason})" if run.meta.interrupt_reason else ""
        reasons.append(
            f"interrupted after {run.meta.duration_s:.0f}s of {run.meta.planned_duration_s:.0f}s{why}"
        )
    reasons.extend(run.meta.invalid_reasons())  # lost workers, users short of the shape, a killed writer
    if total_count == 0:
        reasons.append("no requests were recorded")
    for process, seconds in sorted(saturated_seconds(samples).items()):
        if seconds >= CPU_SATURATED_SECONDS:
            reasons.append(
                f"generator {process} above {CPU_SATURATED_PERCENT:.0f}% CPU for {seconds:.0f}s "
                f"(bound {CPU_SATURATED_SECONDS:.0f}s): latencies measure the generator"
            )
    lag = loop_lag_p99(samples)
    if lag is not None and lag > LOOP_LAG_P99_BOUND_MS:
        reasons.append(
            f"generator event-loop lag p99 {lag:.1f} ms above the {LOOP_LAG_P99_BOUND_MS:.0f} ms bound"
        )
    reasons += starved_endpoints(endpoints or {})
    return Validity(valid=not reasons, reasons=reasons)


def saturated_seconds(samples: list[GeneratorSample]) -> dict[str, float]:
    """Per process, the longest stretch of consecutive samples above the CPU bound, in seconds."""
    by_process: dict[str, list[GeneratorSample]] = defaultdict(list)
    for s in samples:
        by_process[s.process].append(s)
    longest: dict[str, float] = {}
    for process, rows in by_process.items():
        rows.sort(key=lambda s: s.t)
        best, start = 0.0, None
        for prev, cur in zip(rows, rows[1:], strict=False):
            if prev.cpu_percent > CPU_SATURATED_PERCENT and cur.cpu_percent > CPU_SATURATED_PERCENT:
                start = prev.t if start is None else start
                best = max(best, cur.t - start)
            else:
                start = None
        longest[process] = best
    return longest


def loop_lag_p99(samples: list[GeneratorSample]) -> float | None:
    """The 99th percentile of sampled event-loop lag over all generator processes, in ms."""
    if not samples:
        return None
    return float(np.percentile([s.loop_lag_ms for s in samples], 99))


def build_summary(
    run: RunDir, raw: LatencyLog | None = None, corrected_log: LatencyLog | None = None
) -> Summary:
    """Every figure of ``summary.json``, from the run directory's logs.

    ``raw`` / ``corrected_log`` are the run's latency logs when the caller has them loaded
    already; otherwise they are streamed from ``hdr/`` (never all decoded at once: see
    ``reports.latency``). ``LatencyLog.histograms`` is the one per-endpoint merge.
    """
    meta = run.meta
    raw = raw if raw is not None else LatencyLog.load(run)
    corrected_log = corrected_log if corrected_log is not None else LatencyLog.load_corrected(run)
    merged = raw.histograms()
    corrected = corrected_log.histograms() if corrected_log is not None else {}
    failures: dict[str, int] = defaultdict(int)
    timeline = run.timeline()
    for row in timeline:
        for endpoint, n in row.failures.items():
            failures[endpoint] += n
            failures[TOTAL] += n
    sut = run.sut()
    ratios = cache_hit_ratios(sut)
    duration = meta.duration_s or 1e-9
    pool = None  # a version 1 run's raw latencies include any pool wait: no figure for it
    if meta.format_version >= 2:
        waits = LatencyLog.pool_waits(run)
        pool = waits.histograms() if waits is not None else {}
    endpoints = {}
    for name, hist in merged.items():
        stats = percentiles(hist)
        wait, share = pool_wait_figures(hist, pool.get(name)) if pool is not None else (None, None)
        co = corrected.get(name)
        ratio, lookups = ratios.get(name, (None, 0))
        fails = failures.get(name, 0)
        endpoints[name] = EndpointSummary(
            **stats.model_dump(),
            failures=fails,
            error_rate=fails / stats.count if stats.count else 0.0,
            rps=stats.count / duration,
            cache_hit_ratio=ratio,
            cache_lookups=lookups,
            corrected=percentiles(co) if co is not None and co.get_total_count() else None,
            pool_wait=wait,
            pool_wait_share=share,
        )
    total = endpoints.pop(TOTAL)
    gen = run.generator()
    ok_sut = [s for s in sut if s.ok]
    backlog = backlog_figures(sut, meta)
    return Summary(
        run_id=meta.run_id,
        scenario_name=meta.scenario_name,
        duration_s=meta.duration_s,
        users_max=max((r.users for r in timeline), default=0),
        endpoints=endpoints,
        total=total,
        rate_limited=increase([s.rate_limited for s in ok_sut]),
        generator_cpu_max=max((s.cpu_percent for s in gen), default=None),
        generator_loop_lag_p99_ms=loop_lag_p99(gen),
        floor_p50_ms=max((c.p50_ms for c in meta.calibration), default=None),
        floor_p99_ms=max((c.p99_ms for c in meta.calibration), default=None),
        validity=validity(run, gen, total.count, endpoints),
        source_digest=run.source_digest(),
        run_figures={**backlog.figures, **run_figures(load_audit(run))},
        queues=backlog.queues,
        drain_note=backlog.drain_note,
        drain_exceeded_s=backlog.drain_exceeded_s,
    )


def write_summary(path: Path | str) -> Summary:
    """Build ``summary.json`` for the run directory at ``path`` and write it there atomically."""
    run = RunDir.open(path)
    write_audit(run.path)  # audit.json first: the summary carries its figures
    summary = build_summary(run)
    write_json_atomic(run.path / SUMMARY, summary)
    return summary
