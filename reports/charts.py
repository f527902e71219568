"""Charts of a run as PNG bytes (matplotlib's Agg canvas, no pyplot and no display needed).

    png = latency_over_time(RunData.open("runs/r1"))
    png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True

Latency over time merges the endpoints of each interval by adding their histograms, then takes
percentiles (never averages of percentiles). The percentile spectrum is drawn against
``-log10(1 − q)`` so that 90 %, 99 %, 99.9 % and 99.99 % are evenly spaced, raw beside corrected
for coordinated omission.

Each chart draws the numbers ``reports.chartdata`` computes; given them (as the report does, which
also feeds them to its interactive charts) it draws those, else it computes them:

    series = chartdata.latency(run)
    latency_over_time(run, series) == latency_over_time(run)
    True
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from loadgate.runformat import TOTAL, is_dead_letter
from reports import chartdata
from reports.chartdata import NINES, elapsed
from reports.rundata import RunData

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DPI = 100
WIDE = (10, 3.6)


def _figure(size=WIDE, ncols: int = 1, sharey: bool = False):
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, sharey=sharey) if ncols > 1 else fig.subplots()
    return fig, axes


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _ms_axis(ax) -> None:
    """A log latency axis labelled in plain milliseconds (5, 10, 50, 100), not powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda _v, _pos: ""))


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def latency_over_time(run: RunData, series: dict | None = None) -> bytes:
    """p50 / p95 / p99 of all endpoints together, per interval, from the merged histograms
    (``series``: :func:`reports.chartdata.latency`)."""
    fig, ax = _figure()
    frame = (chartdata.latency(run) if series is None else series)[TOTAL]
    if frame.empty:
        _empty(ax, "no requests recorded")
    else:
        x, label = elapsed(run, frame.index.to_numpy())
        for col, style in (("p50", "-"), ("p95", "-"), ("p99", "-")):
            ax.plot(x, frame[col], style, label=col, linewidth=1.4)
        ax.plot(x, frame["max"], ":", color="grey", label="max", linewidth=1)
        _ms_axis(ax)
        ax.set_xlabel(label)
        ax.set_ylabel("latency (ms)")
        ax.legend(loc="upper left", ncols=4, fontsize="small")
        ax.grid(True, which="both", alpha=0.3)
    ax.set_title("Latency per interval (all endpoints merged)")
    return _png(fig)


def _nines_axis(ax) -> None:
    ticks = np.arange(0, NINES + 1)
    ax.set_xticks(ticks, ["0%", "90%", "99%", "99.9%", "99.99%"][: len(ticks)])
    ax.set_xlim(0, NINES)
    ax.set_xlabel("percentile")
    ax.grid(True, which="both", alpha=0.3)


def endpoint_colors(endpoints: Sequence[str]) -> dict[str, str]:
    """One colour per endpoint (``tab20``, in the order given) and black for ``Total``, as hex: the
    PNG and the interactive charts colour an endpoint alike."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["tab20"].resampled(max(len(endpoints), 1))
    return {**{name: to_hex(cmap(i)) for i, name in enumerate(endpoints)}, TOTAL: "#000000"}


def percentile_spectrum(run: RunData, spectrum: chartdata.Spectrum | None = None) -> bytes:
    """Latency against percentile per endpoint, raw beside coordinated-omission corrected
    (``spectrum``: :func:`reports.chartdata.spectrum`)."""
    fig, (raw_ax, co_ax) = _figure((12, 5), ncols=2, sharey=True)
    spectrum = chartdata.spectrum(run) if spectrum is None else spectrum
    colors = endpoint_colors(run.raw.endpoints)
    for ax, kind, title in (
        (raw_ax, "raw", "raw"),
        (co_ax, "corrected", "corrected for coordinated omission"),
    ):
        ax.set_title(title)
        lines = spectrum[kind]
        if not lines:
            _empty(ax, "no corrected histograms in this run" if lines is None else "no requests recorded")
            continue
        for name, line in lines.items():
            total = name == TOTAL
            ax.plot(chartdata.nines(line.index), line, color=colors[name], linewidth=2.2 if total else 1,
                    label=name)
        _ms_axis(ax)
        _nines_axis(ax)
    raw_ax.set_ylabel("latency (ms)")
    handles, labels = raw_ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right center", fontsize="small")
    return _png(fig)


def _timeline_chart(run: RunData, tl: pd.DataFrame | None, title, left, right) -> bytes:
    """A ``timeline.jsonl`` chart: ``left(ax, x, tl)`` draws on the main axis, ``right(twin, x, tl)``
    on a second y axis sharing time; ``title`` is a string or ``title(tl)``; ``tl``:
    :func:`reports.chartdata.timeline` (read here when None)."""
    fig, ax = _figure()
    tl = chartdata.timeline(run) if tl is None else tl
    if tl.empty:
        _empty(ax, "no timeline recorded")
    else:
        x, label = elapsed(run, tl.index.to_numpy())
        left(ax, x, tl)
        ax.set_xlabel(label)
        ax.grid(True, alpha=0.3)
        twin = ax.twinx()
        right(twin, x, tl)
        twin.set_ylim(bottom=0)
    ax.set_title(title(tl) if callable(title) else title)
    return _png(fig)


def throughput_and_users(run: RunData, tl: pd.DataFrame | None = None) -> bytes:
    """Requests per second and users over time (from ``timeline.jsonl``)."""

    def rps(ax, x, tl):
        ax.plot(x, tl["rps"], color="tab:blue", label="requests/s")
        ax.set_ylabel("requests/s", color="tab:blue")
        ax.set_ylim(bottom=0)

    def users(ax, x, tl):
        ax.step(x, tl["users"], where="post", color="tab:orange", label="users")
        ax.set_ylabel("users", color="tab:orange")
        for lost in chartdata.workers_lost(run):
            ax.axvline(elapsed(run, np.array([lost]))[0][0], color="tab:red", ls="--", label="worker lost")
        faults(ax)

    def faults(ax):
        # Each injected fault as a shaded span (a kill: a line), labelled with what it was.
        for fault in run.meta.faults:
            if fault.started_at is None or fault.error:
                continue
            (start, end), _ = elapsed(run, np.array([fault.started_at, fault.ended_at or fault.started_at]))
            if end > start:
                ax.axvspan(start, end, color="tab:purple", alpha=0.15)
            else:
                ax.axvline(start, color="tab:purple", ls=":")
            ax.annotate(f"{fault.action} {fault.target}", (start, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(2, -10), textcoords="offset points", fontsize=7, color="tab:purple")

    return _timeline_chart(run, tl, "Throughput and users", rps, users)


def errors_over_time(run: RunData, tl: pd.DataFrame | None = None) -> bytes:
    """Failed requests per second and the error ratio per interval."""

    def failures(ax, x, tl):
        # A filled step, not bars: an hour has 720 intervals, and bars cost a patch each.
        ax.fill_between(x, tl["failures_per_s"], step="post", color="tab:red", alpha=0.5, label="failures/s")
        ax.set_ylabel("failures/s", color="tab:red")
        if not tl["failures"].any():
            ax.set_ylim(0, 1)

    def ratio(ax, x, tl):
        ax.step(x, tl["error_ratio"] * 100, where="post", color="black", linewidth=1, label="error %")
        ax.set_ylabel("error %")

    def title(tl):
        return f"Errors ({int(tl['failures'].sum()) if not tl.empty else 0:,} failed requests)"

    return _timeline_chart(run, tl, title, failures, ratio)


def cache_hit_over_time(run: RunData, frame: pd.DataFrame | None = None) -> bytes:
    """Hit ratio per cache between consecutive ``/metrics`` scrapes (``frame``:
    :func:`reports.chartdata.cache_hits`)."""
    fig, ax = _figure()
    frame = chartdata.cache_hits(run) if frame is None else frame
    if frame.empty or frame.notna().sum().sum() == 0:
        _empty(ax, "no cache lookups scraped from the API")
    else:
        x, label = elapsed(run, frame.index.to_numpy())
        for col in frame.columns:
            if col == TOTAL:
                continue
            ax.plot(x, frame[col] * 100, linewidth=1, label=col)
        ax.plot(x, frame[TOTAL] * 100, color="black", linewidth=2, label="all caches")
        ax.set_ylim(0, 100)
        ax.set_ylabel("hit ratio (%)")
        ax.set_xlabel(label)
        ax.legend(loc="lower right", fontsize="small", ncols=3)
        ax.grid(True, alpha=0.3)
    ax.set_title("Cache hit ratio")
    return _png(fig)


def backlog_over_time(run: RunData) -> bytes:
    """The API's event backlog beside throughput: depth per queue (dead-letter queues dashed) and
    the outbox over requests/s, then the oldest message's age per queue; the load's stop and the
    end of the drain are marked."""
    from reports.sut import backlog_over_time as backlog_frame

    fig, (depth_ax, age_ax) = _stacked()
    frame = backlog_frame(run.sut)
    if frame.empty:
        _empty(depth_ax, "the API reported no queues (it publishes no events)")
        _empty(age_ax, "")
        return _png(fig)
    x, label = elapsed(run, frame.index.to_numpy())
    queues = sorted({c.rsplit(" ", 1)[0] for c in frame.columns if c != "outbox depth"})
    for name in queues:
        style = "--" if is_dead_letter(name) else "-"
        depth_ax.step(x, frame[f"{name} depth"], style, where="post", linewidth=1.3, label=name)
        age_ax.step(x, frame[f"{name} age"], style, where="post", linewidth=1.3, label=name)
    if frame["outbox depth"].any():
        depth_ax.step(x, frame["outbox depth"], ":", where="post", color="black", label="outbox")
    tl = run.timeline
    if not tl.empty:
        twin = depth_ax.twinx()
        twin.plot(elapsed(run, tl.index.to_numpy())[0], tl["rps"], color="grey", alpha=0.5,
                  linewidth=1, label="requests/s")
        twin.set_ylabel("requests/s", color="grey")
        twin.set_ylim(bottom=0)
    meta, summary = run.meta, run.summary
    marks = [(meta.ended_at, "load stopped")]
    drain = summary.run_figures.get("drain_seconds")
    if drain is not None and meta.ended_at is not None:
        marks.append((meta.ended_at + drain, f"drained (+{drain:.1f} s)"))
    for ax in (depth_ax, age_ax):
        for t, text in marks:
            if t is not None:
                at = elapsed(run, np.array([t]))[0][0]
                ax.axvline(at, color="tab:red", ls=":", linewidth=1, label=text)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    depth_ax.set_ylabel("messages ready")
    depth_ax.set_title("Event backlog per queue (dashed: dead letters) beside throughput"
                       + ("" if drain is not None else f" · {summary.drain_note or 'not drained'}"))
    depth_ax.legend(loc="upper left", fontsize="small", ncols=3)
    age_ax.set_ylabel("oldest message age (s)")
    age_ax.set_xlabel(label)
    return _png(fig)


def _stacked(size=(10, 6)):
    """Two axes above each other sharing the time axis."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    return fig, fig.subplots(2, 1, sharex=True)


def throughput_vs_concurrency(steps: Sequence, fit=None, slo_break=None) -> bytes:
    """Steady throughput of each plateau against its users, with the USL fit and its band when
    given; the region beyond the highest measured concurrency is shaded as extrapolation."""
    fig, ax = _figure((10, 4.5))
    n = np.array([s.users for s in steps], dtype=float)
    x = np.array([s.throughput for s in steps], dtype=float)
    ax.plot(n, x, "o", color="tab:blue", label="measured plateaus", zorder=3)
    hi = float(n.max())
    right = hi * 1.15
    if fit is not None:
        if fit.n_star:
            right = max(right, min(fit.n_star * 1.2, hi * 4))
        grid = np.linspace(0, right, 300)[1:]
        ax.plot(
            grid,
            fit.predict(grid),
            color="tab:green",
            label=f"USL fit: λ={fit.lam:.3g}, α={fit.alpha:.3g}, β={fit.beta:.3g}",
        )
        band = fit.band(grid)
        if band is not None:
            ax.fill_between(
                grid, band[0], band[1], color="tab:green", alpha=0.15, label=f"{fit.confidence:.0%} band"
            )
        if fit.n_star and fit.n_star <= right:
            ax.axvline(fit.n_star, color="tab:green", linestyle="--", linewidth=1)
            ax.annotate(
                f"N* ≈ {fit.n_star:,.0f}",
                (fit.n_star, ax.get_ylim()[1] * 0.05),
                rotation=90,
                fontsize="small",
                color="tab:green",
            )
    if slo_break is not None and slo_break.users is not None:
        ax.axvline(
            slo_break.users,
            color="tab:red",
            linestyle=":",
            linewidth=1.2,
            label=f"p95 reaches {slo_break.limit_ms:g} ms (≈{slo_break.users:,.0f} users)",
        )
    if right > hi:
        ax.axvspan(hi, right, color="grey", alpha=0.08, label="beyond measured: extrapolation")
    ax.set_xlim(0, right)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("concurrent users")
    ax.set_ylabel("throughput (requests/s)")
    ax.set_title("Throughput against concurrency")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(True, alpha=0.3)
    return _png(fig)


def run_charts(run: RunData) -> dict[str, bytes]:
    """The standard charts of one run, by file-friendly name."""
    return {
        "latency": latency_over_time(run),
        "spectrum": percentile_spectrum(run),
        "throughput": throughput_and_users(run),
        "errors": errors_over_time(run),
        "cache": cache_hit_over_time(run),
        "backlog": backlog_over_time(run),
    }
