"""The report: valid PNG charts, one self-contained HTML file, a short Markdown, built from the run
directory alone."""

from __future__ import annotations

import base64
import io
import re

import matplotlib.image
import numpy as np
import pytest
from PIL import Image
from report_helpers import TWO_ENDPOINTS, loadgate, plotted, write_slo

from loadgate import runformat as rf
from reports import charts
from reports.capacity import analyse
from reports.report import build_report
from reports.rundata import RunData
from testsupport.synthetic import Endpoint, write_run, write_steps_run

PNG = b"\x89PNG\r\n\x1a\n"
ENDPOINTS = TWO_ENDPOINTS


def _is_png(data: bytes) -> None:
    assert data[:8] == PNG
    with Image.open(io.BytesIO(data)) as im:
        im.verify()
    assert matplotlib.image.imread(io.BytesIO(data), format="png").shape[2] in (3, 4)


@pytest.mark.parametrize(
    "draw",
    [
        charts.latency_over_time,
        charts.percentile_spectrum,
        charts.throughput_and_users,
        charts.errors_over_time,
        charts.cache_hit_over_time,
    ],
)
def test_each_chart_is_a_readable_png(run_dir, draw):
    _is_png(draw(RunData.open(run_dir)))


def test_the_throughput_against_concurrency_chart_is_a_readable_png(tmp_path):
    path = write_steps_run(tmp_path, "s", [1, 4, 8, 16, 32], lam=10, alpha=0.05, beta=0.001, step_s=20)
    result = analyse([RunData.open(path)], p95_limit_ms=500)
    _is_png(charts.throughput_vs_concurrency(result.steps, result.fit, result.slo_break))


def test_the_latency_chart_plots_the_runs_merged_percentiles(run_dir, drawn):
    run = RunData.open(run_dir)
    charts.latency_over_time(run)
    lines = plotted(drawn[-1])
    expected = run.raw.over_time(percentiles=(50, 95, 99))
    for col in ("p50", "p95", "p99", "max"):
        np.testing.assert_allclose(lines[col], expected[col].to_numpy())
    assert np.all(lines["p95"] > 5)  # 15 ms and 30 ms medians: not a flat line at zero


def test_the_spectrum_plots_every_endpoint_raw_and_corrected(run_dir, drawn):
    charts.percentile_spectrum(RunData.open(run_dir))
    raw, corrected = drawn[-1].axes[:2]
    for ax in (raw, corrected):
        assert [line.get_label() for line in ax.lines] == ["GET /tasks", "POST /tasks", "Total"]
        for line in ax.lines:
            y = np.asarray(line.get_ydata(), dtype=float)
            assert np.isfinite(y).all() and y[-1] > y[0]  # latency rises with the percentile


def test_the_timeline_charts_plot_throughput_users_and_errors(run_dir, drawn):
    run = RunData.open(run_dir)
    tl = run.timeline
    charts.throughput_and_users(run)
    lines = plotted(drawn[-1])
    np.testing.assert_allclose(lines["requests/s"], tl["rps"].to_numpy())
    np.testing.assert_allclose(lines["users"], tl["users"].to_numpy())
    assert lines["requests/s"].mean() == pytest.approx(50, rel=0.2)  # 40 + 10 rps
    charts.errors_over_time(run)
    errors = plotted(drawn[-1])["error %"]
    np.testing.assert_allclose(errors, tl["error_ratio"].to_numpy() * 100)
    assert errors.max() > 0  # POST /tasks fails 2 % of the time


def test_the_cache_chart_plots_the_hit_ratio_between_scrapes(run_dir, drawn):
    charts.cache_hit_over_time(RunData.open(run_dir))
    ratio = plotted(drawn[-1])["all caches"]
    finite = ratio[np.isfinite(ratio)]
    assert len(finite) >= 20 and finite.mean() == pytest.approx(80, abs=5)  # GET /tasks: 80 % hits


def test_charts_of_an_empty_run_still_draw(tmp_path):
    path = write_run(tmp_path, "empty", {"GET /tasks": Endpoint(rps=0, median_ms=1)}, duration_s=10)
    run = RunData.open(path)
    for draw in (charts.latency_over_time, charts.percentile_spectrum, charts.cache_hit_over_time):
        _is_png(draw(run))


def test_the_html_is_one_file_with_embedded_charts_and_no_external_references(tmp_path, run_dir):
    slo = write_slo(tmp_path / "slo.yaml", "endpoints: {Total: {p95: 500, error_rate: 5%}}")
    html_path, md_path = build_report(run_dir, slo, out_dir=tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html", "report.md"]
    html = html_path.read_text()
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 5  # each interactive chart keeps its PNG for readers without scripts
    for payload in images:
        _is_png(base64.b64decode(payload))
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src" not in attrs for attrs in scripts)  # every script is inline
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)  # the page, not its scripts
    assert markup.count('<div class="chart" ') == 5 and markup.count("<noscript><img ") == 5
    assert not re.search(r'(src|href)="(?!data:)', markup)  # nothing loaded from elsewhere
    assert "<link" not in markup and "@import" not in markup
    for section in ("Verdict", "Run", "Endpoints", "Charts", "The API's own metrics"):
        assert f"<h2>{section}</h2>" in html
    assert '<span class="verdict GO">GO</span>' in html


def test_the_tables_hold_the_runs_figures(tmp_path, run_dir):
    build_report(run_dir, out_dir=tmp_path)
    summary = RunData.open(run_dir).summary
    md = (tmp_path / "report.md").read_text()
    total = summary.total
    assert f"| Total | {total.count:,} | {total.failures:,} |" in md
    get = summary.endpoints["GET /tasks"]
    assert f"| {get.cache_hit_ratio * 100:.1f}% |" in md
    assert "No SLO" in md  # no verdict without one
    html = (tmp_path / "report.html").read_text()
    assert f"<td>{total.count:,}</td>" in html
    assert "<td>requests refused with 429</td>" in html and "<td>find_one</td>" in html  # the SUT's view


def test_markdown_is_short_and_leads_with_the_verdict(tmp_path, run_dir):
    slo = write_slo(tmp_path / "slo.yaml", "endpoints: {Total: {p95: 1}}")  # 1 ms: NO-GO
    _, md_path = build_report(run_dir, slo, out_dir=tmp_path)
    md = md_path.read_text()
    assert md.splitlines()[0] == "### loadgate · synthetic · r: **NO-GO**"
    assert "| Total p95 |" in md and "| fail |" in md
    assert len(md) < 4000  # fits a pull-request comment


def test_a_missing_summary_is_rebuilt_from_the_logs(tmp_path):
    path = write_run(tmp_path, "r", ENDPOINTS, duration_s=30, seed=1)
    assert not (path / rf.SUMMARY).exists()
    build_report(path)
    rebuilt = rf.RunDir.open(path).summary()
    assert rebuilt.total.count == sum(
        rf.RunDir.open(path).timeline()[i].requests["GET /tasks"]
        + rf.RunDir.open(path).timeline()[i].requests["POST /tasks"]
        for i in range(6)
    )
    assert (path / "report.html").exists() and (path / "report.md").exists()


def test_report_command_writes_into_the_run_directory(tmp_path):
    path = write_run(tmp_path, "r", ENDPOINTS, duration_s=30, seed=2)
    proc = loadgate("report", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(path / "report.html"), str(path / "report.md")]


def test_a_bad_slo_leaves_the_previous_report_as_it_was(tmp_path):
    path = write_run(tmp_path, "r", ENDPOINTS, duration_s=30, seed=3)
    build_report(path)
    before = (path / "report.html").read_bytes()
    bad = write_slo(tmp_path / "bad.yaml", "endpoints: {Total: {p95: fast}}")
    proc = loadgate("report", path, "--slo", bad)
    assert proc.returncode == 2
    assert (
        proc.stderr == f"loadgate: {bad}: endpoints.'Total'.p95: 'fast' is not a limit (expected e.g. 250, "
        "'<= 250ms', '<= +10%')\n"
    )
    assert (path / "report.html").read_bytes() == before
