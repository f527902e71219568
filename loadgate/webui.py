"""loadgate's tabs on Locust's web UI, and the report and gate at the end of each test.

    ui = UiSession(UiOptions(..., finalize=write_summary, on_finished=page.finished))
    page = LoadgatePage(slo_file)
    ui.serve(8089, on_web_ui=page.attach)

Through Locust's own extension points only: ``template_args["extendedTabs"/"extendedTables"]``
declare the tabs, an ``after_request`` hook adds their rows (``extended_stats``) to the page's
``/stats/requests`` poll, and two routes serve the figures as JSON and the last report. The
figures are the run's merged HDR histograms (``loadtests.ui_session.UiSession.live``), shown
with the one definition of the minimum-sample rule and the millisecond format
(``loadgate.runformat.figures``); validity uses ``reports.summary``'s bounds; criteria are judged
by ``reports.criteria``. CLI layer: it imports both ``loadtests`` and ``reports``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from loadgate.runformat import TOTAL, EndpointSummary, GeneratorSample, Summary, SutSample, Validity, counters
from loadgate.runformat.figures import NONE, format_ms, format_value, shown
from reports.criteria import judge_criterion, judge_run_criterion
from reports.slo import load_slo
from reports.summary import (
    CPU_SATURATED_PERCENT,
    CPU_SATURATED_SECONDS,
    LOOP_LAG_P99_BOUND_MS,
    cache_hit_ratios,
    loop_lag_p99,
    percentiles,
    saturated_seconds,
)

LATENCY_TAB = "loadgate-latency"
SUT_TAB = "loadgate-sut"
SLO_TAB = "loadgate-slo"
TABS = [
    {"title": "loadgate percentiles", "key": LATENCY_TAB},
    {"title": "loadgate SUT & generator", "key": SUT_TAB},
    {"title": "loadgate SLO", "key": SLO_TAB},
]
TABLES = [
    {"key": LATENCY_TAB, "structure": [
        {"key": "endpoint", "title": "endpoint"}, {"key": "kind", "title": "latency"},
        {"key": "count", "title": "requests"}, {"key": "failures", "title": "failures"},
        {"key": "p50", "title": "p50 ms"}, {"key": "p95", "title": "p95 ms"},
        {"key": "p99", "title": "p99 ms"},
        {"key": "p999", "title": "p99.9 ms"}, {"key": "max", "title": "max ms"}]},
    {"key": SUT_TAB, "structure": [{"key": "item", "title": "figure"}, {"key": "value", "title": "value"}]},
    {"key": SLO_TAB, "structure": [
        {"key": "criterion", "title": "criterion"}, {"key": "measured", "title": "measured"},
        {"key": "limit", "title": "limit"}, {"key": "status", "title": "status"}]},
]
RAW, CORRECTED = "raw", "CO-corrected"
STATUS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skipped": "skipped (needs a baseline)"}
NOT_ENOUGH = "not enough samples yet"
NO_LONGER_VALID = "this run is no longer valid"
REPORT_LINK_TITLE = "Download loadgate's report.html (the last finished run)"
CACHE_LIVE_S = 1.0
"""The tabs' figures are rebuilt at most this often (the page polls every 2 s)."""


def live_summary(live) -> Summary:
    """A ``Summary`` of the run so far, for judging the SLO's criteria live (never written)."""
    ratios = cache_hit_ratios(live.sut)
    elapsed = max(live.elapsed_s, 1e-9)
    endpoints: dict[str, EndpointSummary] = {}
    for name, hist in live.raw.items():
        figures = percentiles(hist)
        count, failures = figures.count, live.failures.get(name, 0)
        ratio, lookups = ratios.get(name, (None, 0))
        endpoints[name] = EndpointSummary(
            **figures.model_dump(), failures=failures, error_rate=failures / count if count else 0.0,
            rps=count / elapsed, cache_hit_ratio=ratio, cache_lookups=lookups,
            corrected=percentiles(live.corrected[name]) if name in live.corrected else None)
    total = endpoints.pop(TOTAL, EndpointSummary())
    reasons = validity_reasons(live.generator)
    return Summary(run_id=live.run_id or "", scenario_name="", duration_s=live.elapsed_s, endpoints=endpoints,
                   total=total, validity=Validity(valid=not reasons, reasons=reasons))


def validity_reasons(samples: list[GeneratorSample]) -> list[str]:
    """The generator's saturation so far, against ``reports.summary``'s bounds."""
    reasons = []
    for process, seconds in sorted(saturated_seconds(samples).items()):
        if seconds >= CPU_SATURATED_SECONDS:
            reasons.append(f"generator {process} above {CPU_SATURATED_PERCENT:.0f}% CPU for {seconds:.0f}s")
    lag = loop_lag_p99(samples)
    if lag is not None and lag > LOOP_LAG_P99_BOUND_MS:
        reasons.append(f"generator event-loop lag p99 {lag:.1f} ms above the "
                       f"{LOOP_LAG_P99_BOUND_MS:.0f} ms bound")
    return reasons


def latency_rows(live) -> list[dict]:
    """Per endpoint (``Total`` last): raw and CO-corrected figures, ``–`` below the sample minimum."""
    rows = []
    names = [n for n in live.raw if n != TOTAL] + [TOTAL]
    for name in names:
        for kind, hists in ((RAW, live.raw), (CORRECTED, live.corrected)):
            if name not in hists:
                continue
            figures = percentiles(hists[name])
            row = {"endpoint": name, "kind": kind, "count": figures.count,
                   "failures": live.failures.get(name, 0) if kind == RAW else ""}
            for key in ("p50", "p95", "p99", "p999", "max"):
                row[key] = format_ms(shown(figures, key))
            rows.append(row)
    return rows


def sut_rows(live) -> list[dict]:
    """Cache-hit ratio per cache, 429s, breakers, generator CPU and loop lag, validity."""
    ok: list[SutSample] = [s for s in live.sut if s.ok]
    rows = []
    per_cache = counters.increases([s.caches for s in ok]) if len(ok) >= 2 else {}
    for cache, results in sorted(per_cache.items()):
        ratio, lookups = counters.hit_ratio(results)
        rows.append({"item": f"cache hit ratio: {cache}",
                     "value": NONE if ratio is None else f"{ratio:.1%} of {lookups:,} lookups"})
    if not per_cache:
        rows.append({"item": "cache hit ratio", "value": "no cache lookups yet"})
    limited = counters.increase([s.rate_limited for s in ok]) if ok else 0.0
    rows.append({"item": "429 responses (rate limited)", "value": f"{limited:,.0f}"})
    for breaker in sorted({b for s in ok for b in s.breakers}):
        states = [s.breakers.get(breaker, 0.0) for s in ok]
        opened = sum(1 for a, b in zip(states, states[1:], strict=False) if b > 0 and a == 0)
        rows.append({"item": f"breaker {breaker}",
                     "value": f"state {states[-1]:.0f} (0 closed), opened {opened}x"})
    by_process: dict[str, list[GeneratorSample]] = {}
    for s in live.generator:
        by_process.setdefault(s.process, []).append(s)
    for process, samples in sorted(by_process.items()):
        lag, cpu_max = loop_lag_p99(samples), max(s.cpu_percent for s in samples)
        rows.append({"item": f"generator {process}",
                     "value": f"CPU {samples[-1].cpu_percent:.0f}% (max {cpu_max:.0f}%), "
                              f"loop lag p99 {format_ms(lag)} ms"})
    reasons = validity_reasons(live.generator)
    rows.append({"item": "run validity", "value": f"{NO_LONGER_VALID}: {'; '.join(reasons)}" if reasons
                 else f"valid so far (CPU < {CPU_SATURATED_PERCENT:.0f}% for {CPU_SATURATED_SECONDS:.0f}s, "
                      f"loop lag p99 < {LOOP_LAG_P99_BOUND_MS:.0f} ms)"})
    return rows


def _slo_row(criterion: str, status: str, measured: str = "", limit: str = "") -> dict:
    return {"criterion": criterion, "measured": measured, "limit": limit, "status": status}


class LoadgatePage:
    """The tabs, routes and end-of-test report and gate for one ``loadgate ui`` session."""

    def __init__(self, slo_file: Path | None):
        self.slo_file = slo_file
        self.slo = load_slo(slo_file) if slo_file else None
        self.ui = None
        self.finished: dict[str, dict] = {}
        """Per run id: verdict, report path (once the gate and report are written)."""
        self._cache: tuple[float, dict] | None = None

    # ---- wiring ---------------------------------------------------------------------------

    def attach(self, ui) -> None:
        """Declare the tabs and add the rows and routes to ``ui``'s Locust web UI."""
        from flask import Response, abort, jsonify, request, send_file

        self.ui = ui
        web = ui.web
        web.template_args["extendedTabs"] = TABS
        web.template_args["extendedTables"] = TABLES
        # Locust's Download Data tab lists these links beside its own downloads.
        web.template_args["extendedCsvFiles"] = [{"href": "./loadgate/report/latest",
                                                  "title": REPORT_LINK_TITLE}]

        @web.app.after_request
        def add_rows(response):
            if request.path != "/stats/requests" or not response.is_json:
                return response
            data = response.get_json()
            tables = self.tables()
            data["extended_stats"] = [{"key": key, "data": rows} for key, rows in tables["tabs"].items()]
            response.set_data(json.dumps(data))
            return response

        @web.app.route("/loadgate/live")
        def live_json() -> Response:
            return jsonify(self.tables())

        @web.app.route("/loadgate/report/<run_id>")
        def report(run_id: str):
            if run_id == "latest" and self.finished:
                run_id = list(self.finished)[-1]
            done = self.finished.get(run_id)
            if done is None or not done.get("report"):
                abort(404)
            return send_file(done["report"], as_attachment=True, download_name=f"{run_id}-report.html")

    # ---- figures --------------------------------------------------------------------------

    def tables(self) -> dict:
        """Every tab's rows, and the run's state (cached for ``CACHE_LIVE_S``)."""
        now = time.monotonic()
        if self._cache is not None and now - self._cache[0] < CACHE_LIVE_S:
            return self._cache[1]
        live = self.ui.live() if self.ui is not None else None
        out: dict
        if live is None:
            out = {"run_id": None, "state": "ready", "tabs": {LATENCY_TAB: [], SUT_TAB: [], SLO_TAB: []}}
        else:
            done = self.finished.get(live.run_id or "")
            state = "running" if live.running else ("finished" if done else "finishing")
            out = {"run_id": live.run_id, "state": state, "verdict": (done or {}).get("verdict"),
                   "tabs": {LATENCY_TAB: latency_rows(live), SUT_TAB: sut_rows(live),
                            SLO_TAB: self.slo_rows(live, done)}}
        self._cache = (now, out)
        return out

    def slo_rows(self, live, done: dict | None) -> list[dict]:
        """Each criterion judged on the run so far; then the verdict and the report's link."""
        rows = []
        if self.slo is not None:
            summary = live_summary(live)
            # run figures (an audit's) are measured after the run: not enough data until then
            judged = [judge_criterion(c, summary, None) for c in self.slo.criteria]
            judged += [judge_run_criterion(c, summary) for c in self.slo.run]
            for row in judged:
                status = STATUS.get(row.result)
                if status is None:  # invalid: too few samples, or nothing recorded yet
                    too_few = row.measured is None or "samples" in row.note
                    status = NOT_ENOUGH if too_few else f"INVALID: {row.note}"
                measured = format_value(row.measured, row.unit)
                rows.append(_slo_row(row.name, status, measured, row.limit))
        else:
            rows.append(_slo_row("(the scenario names no SLO)", ""))
        if live.running:
            rows.append(_slo_row("verdict", "when the test stops"))
        elif done is None:
            rows.append(_slo_row("verdict", "writing the run directory"))
        else:
            rows.append(_slo_row("verdict", done.get("verdict") or "no SLO"))
            link = f"/loadgate/report/{live.run_id} (or Download Data: {REPORT_LINK_TITLE})"
            rows.append(_slo_row("report", link))
            rows.append(_slo_row("run directory", str(live.path)))
        return rows

    # ---- the end of a test ----------------------------------------------------------------

    def finish(self, path: Path, interrupted: bool) -> None:
        """Gate and report the finished run directory with the same commands as a headless run
        (``loadgate gate`` / ``loadgate report``), in child processes: the page and the workers'
        heartbeats keep going meanwhile."""
        done: dict = {"verdict": None, "report": None}
        slo = ["--slo", str(self.slo_file)] if self.slo_file else []
        if self.slo_file is not None:
            subprocess.run([sys.executable, "-m", "loadgate.cli", "gate", str(path), *slo],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            verdict_file = path / "verdict.json"
            if verdict_file.is_file():
                done["verdict"] = json.loads(verdict_file.read_text())["verdict"]
        built = subprocess.run([sys.executable, "-m", "loadgate.cli", "report", str(path), *slo],
                               capture_output=True, text=True, check=False)
        if (path / "report.html").is_file():
            done["report"] = str((path / "report.html").resolve())
        else:
            sys.stderr.write(f"loadgate ui: report for {path} failed: {built.stderr[-500:]}\n")
        self.finished[path.name] = done
        self._cache = None
        print(f"verdict: {done['verdict'] or 'no SLO'}; report: {done['report']}", flush=True)
