"""Generate ``dashboards/loadgate.json`` with grafana-foundation-sdk: a run's live results in Grafana.

    python dashboards/make_dashboard.py                      # rewrites dashboards/loadgate.json
    python dashboards/make_dashboard.py --slo scenarios/slo/baseline-1k.yaml --out my.json

It reads what ``loadtests.live_export`` writes through remote write (``loadgate_*``) and what
Prometheus scrapes from the API (``taskapi_cache_requests_total``), and draws the SLO's limits
(default: the smoke scenario's) as thresholds: fail red, warn orange. The latency panels show the
exact per-interval quantiles of the merged HdrHistograms, never quantiles estimated from buckets.
Edit this file, not the JSON: ``tests/live/test_dashboard.py`` checks the committed file is this
script's output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import GraphTresholdsStyleMode
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from reports.slo import load_slo  # noqa: E402 - the repo root, added just above

DEFAULT_SLO = ROOT / "scenarios/slo/smoke.yaml"
DEFAULT_OUT = ROOT / "dashboards/loadgate.json"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RUN = 'run_id=~"$run_id"'
SCALE = {"p50": 1e-3, "p90": 1e-3, "p95": 1e-3, "p99": 1e-3, "max": 1e-3}
"""SLO latency limits are in ms; the panels are in seconds."""


def query(expr: str, legend: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).datasource(DATASOURCE)


def slo_thresholds(slo, endpoint: str, metric: str) -> gd.ThresholdsConfig:
    """Fail (red) and warn (orange) levels of ``endpoint metric`` in the SLO, green below.

    An upper limit (``<=``) turns orange then red as the value rises; a lower one (``>=``,
    throughput, cache hits) is red below the fail level and green above."""
    steps = [Threshold(value=None, color="green")]
    criterion = next((c for c in slo.criteria if (c.endpoint, c.metric) == (endpoint, metric)), None)
    if criterion is not None and not criterion.relative:
        scale = SCALE.get(metric, 1.0)
        levels = [(lvl, color) for lvl, color in ((criterion.warn, "orange"), (criterion.fail, "red")) if lvl]
        if levels and levels[0][0].op in ("<=", "<"):
            steps += [Threshold(value=lvl.value * scale, color=color) for lvl, color in levels]
        elif levels:
            lowest = sorted(levels, key=lambda lc: lc[0].value)
            steps = [Threshold(value=None, color="red")]
            steps += [Threshold(value=lvl.value * scale, color="orange" if color == "red" else "green")
                      for lvl, color in lowest]
            steps[-1] = Threshold(value=steps[-1].value, color="green")
    return gd.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps)


def series_panel(title: str, unit: str, description: str, *targets: prometheus.Dataquery,
                 thresholds: gd.ThresholdsConfig | None = None, width: int = 12) -> timeseries.Panel:
    panel = (timeseries.Panel().title(title).description(description).unit(unit).height(8).span(width)
             .datasource(DATASOURCE))
    for target in targets:
        panel = panel.with_target(target)
    if thresholds is not None:
        panel = panel.thresholds(thresholds).thresholds_style(
            GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.DASHED))
    return panel


def latency_panel(slo, label: str, quantile: str) -> timeseries.Panel:
    return series_panel(
        f"Latency {label} per endpoint (exact, per 5 s interval)", "s",
        f"The interval's {label} from the merged HdrHistograms (3 significant digits). Dashed lines: "
        "the SLO's Total limit.",
        query(f'loadgate_interval_latency_seconds{{{RUN}, quantile="{quantile}"}}', "{{endpoint}}"),
        thresholds=slo_thresholds(slo, "Total", label), width=8)


def build(slo_path: Path) -> gd.Dashboard:
    slo = load_slo(slo_path)
    rate = "[$__rate_interval]"
    return (
        gd.Dashboard("loadgate: live run")
        .uid("loadgate-live")
        .description(f"A loadgate run's live results (remote write) and the API's cache; limits: "
                     f"{slo_path.relative_to(ROOT) if slo_path.is_relative_to(ROOT) else slo_path.name}")
        .tags(["loadgate", "load-test"])
        .refresh("5s")
        .time("now-30m", "now")
        .with_variable(gd.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(gd.QueryVariable("run_id").label("Run").datasource(DATASOURCE)
                       .query("label_values(loadgate_requests_total, run_id)")
                       .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True))
        .with_row(gd.Row("Load"))
        .with_panel(series_panel(
            "Throughput per endpoint", "reqps", "Requests per second, failures included.",
            query(f"sum by (endpoint) (rate(loadgate_requests_total{{{RUN}}}{rate}))", "{{endpoint}}"),
            query(f"sum(rate(loadgate_requests_total{{{RUN}}}{rate}))", "Total"),
            thresholds=slo_thresholds(slo, "Total", "rps")))
        .with_panel(series_panel(
            "Error rate per endpoint", "percentunit", "Failed requests over all requests.",
            query(f"sum by (endpoint) (rate(loadgate_failures_total{{{RUN}}}{rate})) / "
                  f"sum by (endpoint) (rate(loadgate_requests_total{{{RUN}}}{rate}))", "{{endpoint}}"),
            thresholds=slo_thresholds(slo, "Total", "error_rate")))
        .with_row(gd.Row("Latency"))
        .with_panel(latency_panel(slo, "p50", "0.5"))
        .with_panel(latency_panel(slo, "p95", "0.95"))
        .with_panel(latency_panel(slo, "p99", "0.99"))
        .with_row(gd.Row("System under test"))
        .with_panel(series_panel(
            "Cache-hit ratio per cache (the API's /metrics)", "percentunit",
            "Hits over hits and misses, scraped from the API by Prometheus. Dashed: the SLO's "
            "GET /tasks limit.",
            query(f'sum by (cache) (rate(taskapi_cache_requests_total{{result="hit"}}{rate})) / '
                  f'sum by (cache) (rate(taskapi_cache_requests_total{{result=~"hit|miss"}}{rate}))',
                  "{{cache}}"),
            thresholds=slo_thresholds(slo, "GET /tasks", "cache_hit_ratio")))
        .with_panel(series_panel(
            "Users", "short", "Users running, per 5 s interval (the peak of the interval).",
            query(f"sum(loadgate_users{{{RUN}}})", "users")))
        .with_row(gd.Row("Generator health"))
        .with_panel(series_panel(
            "Generator CPU per process", "percent", "A load generator near 100 % measures itself.",
            query(f"loadgate_generator_cpu_percent{{{RUN}}}", "{{process}}"), width=9))
        .with_panel(series_panel(
            "Generator event-loop lag per process", "s", "Lag of the gevent loop: time added to every "
            "measurement.", query(f"loadgate_generator_loop_lag_seconds{{{RUN}}}", "{{process}}"), width=9))
        .with_panel(stat.Panel().title("Run valid").description(
            "1 while the run has recorded no problem (workers lost, users short), 0 after.")
            .datasource(DATASOURCE).height(8).span(6)
            .with_target(query(f"min(loadgate_run_valid{{{RUN}}})", "valid"))
            .thresholds(gd.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
                [Threshold(value=None, color="red"), Threshold(value=1, color="green")])))
    )


def render(slo_path: Path) -> str:
    """The dashboard's JSON, as committed (sorted keys, two-space indent, final newline)."""
    model = build(slo_path).build()
    for number, panel in enumerate(model.panels or [], 1):  # Grafana links and embeds panels by id
        panel.id_val = number
    return json.dumps(json.loads(JSONEncoder(sort_keys=True).encode(model)), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slo", type=Path, default=DEFAULT_SLO, help="SLO file whose limits are drawn")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.write_text(render(args.slo.resolve()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
