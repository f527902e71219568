"""report.html in a real browser, with the network cut: every chart draws from the data embedded in
the file, and hovering shows the figures the run's own logs give.

Debian's Chromium driven by Playwright (never ``playwright install``), offline, with every request
that is not the file itself refused and recorded.
"""

from __future__ import annotations

import json
import re

import pytest
from report_helpers import TWO_ENDPOINTS

from loadgate import runformat as rf
from loadgate.runformat.figures import format_ms
from reports.interactive import TOOLTIP_CLASS
from reports.report import build_report
from testsupport.synthetic import write_run

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INTERVALS = 24  # 120 s of 5 s intervals
HOVERED = 7


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = write_run(tmp_path_factory.mktemp("runs"), "r", TWO_ENDPOINTS, duration_s=120, seed=11)
    build_report(path)
    return path


@pytest.fixture(scope="module")
def browser_page(run_dir):
    """The report opened offline: (page, requests refused, page errors)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        refused: list[str] = []

        def refuse(route):
            refused.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!file:)"), refuse)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((run_dir / "report.html").as_uri())
        page.wait_for_function("document.querySelectorAll('div.chart canvas').length === 5", timeout=15_000)
        yield page, refused, errors
        browser.close()


def _chart(page, title: str):
    """A JS expression for the ECharts instance of the chart titled ``title``."""
    chart_id = page.evaluate(
        "t => document.querySelector(`div.chart[aria-label='${t}']`).id", title
    )
    return f"echarts.getInstanceByDom(document.getElementById('{chart_id}'))"


def _series(page, title: str) -> dict[str, list]:
    return page.evaluate(f"() => Object.fromEntries({_chart(page, title)}.getOption().series"
                         ".map(s => [s.id, s.data]))")


def _tooltip(page, title: str) -> str:
    """The text of the tooltip of the chart titled ``title``, once shown."""
    tip = page.locator(f"div.chart[aria-label='{title}'] .{TOOLTIP_CLASS}")
    tip.wait_for(state="visible", timeout=5_000)
    return tip.inner_text()


def _show_tip(page, title: str, series_id: str, index: int) -> str:
    chart = _chart(page, title)
    page.evaluate(f"""() => {{ const c = {chart};
        const i = c.getOption().series.findIndex(s => s.id === {json.dumps(series_id)});
        c.dispatchAction({{type: 'showTip', seriesIndex: i, dataIndex: {index}}}); }}""")
    return _tooltip(page, title)


def _interval_p95(run_dir, index: int) -> dict[str, float]:
    """p95 (ms) of interval ``index`` per endpoint and all together, adding the log's histograms
    with hdrh itself (not the report's sparse arithmetic)."""
    intervals = list(rf.iter_hlog(run_dir / rf.RAW_LOG))
    start = sorted({iv.start for iv in intervals})[index]
    total = rf.new_histogram()
    out = {}
    for iv in intervals:
        if iv.start == start:
            total.add(iv.histogram)
            out[iv.endpoint] = iv.histogram.get_value_at_percentile(95) / 1000
    out["Total"] = total.get_value_at_percentile(95) / 1000
    return out


def test_every_chart_draws_offline_from_the_data_in_the_file(browser_page):
    page, refused, errors = browser_page
    assert refused == [] and errors == []
    latency = _series(page, "Latency over time (p50 / p95 / p99)")
    assert len(latency) == 10 and all(len(points) == INTERVALS for points in latency.values())
    spectrum = _series(page, "Percentile spectrum per endpoint")
    lines = [f"{endpoint} {kind}" for endpoint in [*TWO_ENDPOINTS, "Total"] for kind in ("raw", "corrected")]
    assert sorted(spectrum) == sorted(lines)
    assert all(len(points) == 200 for points in spectrum.values())
    for title, ids in (("Throughput and users", ["requests/s", "users"]),
                       ("Errors over time", ["failures/s", "error %"])):
        series = _series(page, title)
        assert list(series) == ids and all(len(points) == INTERVALS for points in series.values())
    cache = _series(page, "Cache hit ratio over time")
    assert "all caches" in cache and len(cache["all caches"]) >= 20


def test_hovering_an_interval_shows_its_p95_as_the_hdr_log_gives_it(browser_page, run_dir):
    page, _, _ = browser_page
    title = "Latency over time (p50 / p95 / p99)"
    chart = _chart(page, title)
    expected = _interval_p95(run_dir, HOVERED)
    # A real mouse move over Total's p95 point of that interval.
    x, y = page.evaluate(f"""() => {{ const c = {chart};
        const s = c.getOption().series.findIndex(s => s.id === 'Total p95');
        return c.convertToPixel({{seriesIndex: s}}, c.getOption().series[s].data[{HOVERED}]); }}""")
    element = page.locator(f"div.chart[aria-label='{title}']")
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    assert f"Total p95: {format_ms(expected['Total'])}" in _tooltip(page, title)
    # An endpoint toggled on from the legend shows its own p95 for the same interval.
    page.evaluate(f"() => {chart}.dispatchAction({{type: 'legendSelect', name: 'POST /tasks'}})")
    text = _show_tip(page, title, "POST /tasks p95", HOVERED)
    assert f"POST /tasks p95: {format_ms(expected['POST /tasks'])}" in text
    assert f"Total p95: {format_ms(expected['Total'])}" in text


def test_hovering_throughput_shows_the_intervals_requests_per_second(browser_page, run_dir):
    page, _, _ = browser_page
    row = rf.RunDir.open(run_dir).timeline()[HOVERED]
    rps = sum(row.requests.values()) / row.interval_s
    text = _show_tip(page, "Throughput and users", "requests/s", HOVERED)
    assert f"requests/s: {rps:,.1f}" in text and f"users: {row.users}" in text


def test_the_legend_hides_a_line_and_the_zoom_narrows_the_axis(browser_page):
    page, _, _ = browser_page
    chart = _chart(page, "Throughput and users")
    page.evaluate(f"() => {chart}.dispatchAction({{type: 'legendUnSelect', name: 'users'}})")
    assert page.evaluate(f"() => {chart}.getOption().legend[0].selected.users") is False
    page.evaluate(f"() => {chart}.dispatchAction({{type: 'dataZoom', startValue: 30, endValue: 60}})")
    extent = page.evaluate(f"() => {chart}.getModel().getComponent('xAxis', 0).axis.scale.getExtent()")
    assert extent == [30, 60]
