"""report.html's interactive charts: the pinned ECharts script ships with its licences, and every
chart's option holds the very numbers its PNG plots."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from report_helpers import plotted

import reports
from loadgate import runformat as rf
from loadgate.runformat.figures import format_ms
from reports import chartdata, interactive
from reports.echarts_script import ECHARTS_FILE, ECHARTS_SHA256, ECHARTS_VERSION, VENDOR_DIR, echarts_script
from reports.report import CHARTS, STEPS, collect
from reports.rundata import RunData
from reports.tables import pct
from testsupport.synthetic import Endpoint, write_run


def test_the_vendored_echarts_is_the_pinned_build_with_its_licences():
    vendored = Path(reports.__file__).parent / VENDOR_DIR
    assert hashlib.sha256((vendored / ECHARTS_FILE).read_bytes()).hexdigest() == ECHARTS_SHA256
    assert f'version="{ECHARTS_VERSION}"' in echarts_script()
    assert "Apache License" in (vendored / "LICENSE").read_text()
    assert "Apache ECharts" in (vendored / "NOTICE").read_text()
    assert (vendored / "licenses" / "LICENSE-d3").is_file()  # the LICENSE names it
    assert "</script" not in echarts_script().lower()  # safe to inline in a <script> element


def _option_lines(option) -> dict[str, np.ndarray]:
    """Every series of an ECharts option: its y values, NaN where nothing was measured."""
    return {s["id"]: np.array([np.nan if y is None else y for _, y, _ in s["data"]], dtype=float)
            for s in option["series"]}


def test_each_interactive_chart_shows_the_numbers_its_png_plots(run_dir, drawn):
    content = collect(run_dir)
    shown = {c.title: c for c in content.charts}
    figures = dict(zip([spec.title for spec in CHARTS], drawn, strict=False))
    pairs = {  # PNG line label -> interactive series id
        "Latency over time (p50 / p95 / p99)": {"p50": "Total p50", "p95": "Total p95", "p99": "Total p99",
                                                "max": "Total max"},
        "Throughput and users": {"requests/s": "requests/s", "users": "users"},
        "Errors over time": {"error %": "error %"},
        "Cache hit ratio over time": {"all caches": "all caches"},
    }
    for title, labels in pairs.items():
        png, option = plotted(figures[title]), _option_lines(shown[title].option)
        for png_label, series_id in labels.items():
            np.testing.assert_array_equal(option[series_id], png[png_label], err_msg=f"{title}: {series_id}")
            assert np.isfinite(option[series_id]).sum() >= 20
    raw, corrected = figures["Percentile spectrum per endpoint"].axes[:2]
    spectrum = _option_lines(shown["Percentile spectrum per endpoint"].option)
    for ax, kind in ((raw, "raw"), (corrected, "corrected")):
        for line in ax.lines:
            np.testing.assert_array_equal(spectrum[f"{line.get_label()} {kind}"], line.get_ydata())


def test_every_endpoint_has_its_percentiles_per_interval_merged_by_adding_histograms(run_dir):
    run = RunData.open(run_dir)
    option = interactive.latency(run, chartdata.latency(run))
    ids = [s["id"] for s in option["series"]]
    assert ids == ["GET /tasks p50", "GET /tasks p95", "GET /tasks p99", "POST /tasks p50", "POST /tasks p95",
                   "POST /tasks p99", "Total p50", "Total p95", "Total p99", "Total max"]
    assert option["legend"]["selected"] == {"GET /tasks": False, "POST /tasks": False, "Total": True}
    # Interval 7's p95, from the log's own histograms added with hdrh: per endpoint, and all together.
    series = _option_lines(option)
    start = sorted({iv.start for iv in rf.iter_hlog(run_dir / rf.RAW_LOG)})[7]
    total = rf.new_histogram()
    for iv in rf.iter_hlog(run_dir / rf.RAW_LOG):
        if iv.start == start:
            total.add(iv.histogram)
            assert series[f"{iv.endpoint} p95"][7] == iv.histogram.get_value_at_percentile(95) / 1000
    assert series["Total p95"][7] == total.get_value_at_percentile(95) / 1000


def test_each_point_carries_its_value_written_as_the_tables_write_it(run_dir):
    content = collect(run_dir)
    texts = {s["id"]: s["data"] for chart in content.charts for s in chart.option["series"]}
    assert all(text == format_ms(y) for _, y, text in texts["Total p95"])
    assert all(text == format_ms(y) for _, y, text in texts["GET /tasks raw"])
    assert all(text == f"{y:,.1f}" for _, y, text in texts["requests/s"])
    ratios = chartdata.cache_hits(RunData.open(run_dir))["Total"]
    assert [text for _, _, text in texts["all caches"]] == [pct(None if np.isnan(r) else r) for r in ratios]


def test_options_are_strict_json_with_nothing_measured_as_null(tmp_path):
    path = write_run(tmp_path, "quiet", {"GET /tasks": Endpoint(rps=0.2, median_ms=5)}, duration_s=60, seed=3)
    content = collect(path)
    for chart in content.charts:
        if chart.option:
            json.dumps(chart.option, allow_nan=False)  # NaN would break JSON.parse in the page
    latency = _option_lines(content.charts[0].option)["Total p95"]
    assert np.isnan(latency).any() and np.isfinite(latency).any()  # 1 request in 5 s: gaps


def test_the_charts_are_one_list_that_the_progress_steps_follow():
    # The event backlog follows them as a PNG, drawn only when the API reported queues.
    assert [s for s in STEPS if s.endswith(("chart", "spectrum"))] == [spec.step for spec in CHARTS] + [
        "backlog chart"]
    assert all(spec.interactive for spec in CHARTS)
