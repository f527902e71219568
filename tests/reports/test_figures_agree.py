"""The console table, report.html and report.md show the same figures: one millisecond format and
one minimum-sample rule (``loadgate.runformat.figures``), so a p99 that 50 samples cannot back is
"–" in all three, never a number in one of them."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from rich.console import Console

from loadgate.console import print_run_summary
from loadgate.runformat.figures import NONE, format_ms
from reports.report import build_report
from reports.rundata import RunData
from reports.tables import ENDPOINT_COLUMNS
from testsupport.synthetic import write_samples_run

SAMPLES = {
    "GET /tasks": [1000 + 37 * i for i in range(50)],  # 50: p95 yes, p99 and p99.9 no
    "POST /tasks": [2000 + 11 * i for i in range(150)],  # 150: p99 yes, p99.9 no
}


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    root = tmp_path_factory.mktemp("agree")
    path = write_samples_run(root, "few", SAMPLES)
    build_report(path)
    console = Console(record=True, width=240, color_system=None)
    print_run_summary(RunData.open(path).summary, path, console=console)
    return {
        "console": _console_rows(console.export_text()),
        "html": _html_rows((path / "report.html").read_text()),
        "md": _md_rows((path / "report.md").read_text()),
    }, RunData.open(path).summary


def _console_rows(text: str) -> dict[str, dict[str, str]]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)[1:-1]]
        if len(cells) == len(ENDPOINT_COLUMNS) and cells[0] in (*SAMPLES, "Total"):
            rows[cells[0]] = dict(zip(ENDPOINT_COLUMNS, cells, strict=True))
    return rows


def _html_rows(page: str) -> dict[str, dict[str, str]]:
    rows = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S):
        cells = [htmllib.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)]
        if len(cells) == len(ENDPOINT_COLUMNS) and cells[0] in (*SAMPLES, "Total"):
            rows[cells[0]] = dict(zip(ENDPOINT_COLUMNS, cells, strict=True))
    return rows


def _md_rows(text: str) -> dict[str, dict[str, str]]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(ENDPOINT_COLUMNS) and cells[0] in (*SAMPLES, "Total"):
            rows[cells[0]] = dict(zip(ENDPOINT_COLUMNS, cells, strict=True))
    return rows


def test_a_p99_of_50_samples_is_a_dash_in_the_console_the_html_and_the_markdown(views):
    rows, _ = views
    for view in ("console", "html", "md"):
        assert rows[view]["GET /tasks"]["p99"] == NONE, view
        assert rows[view]["GET /tasks"]["p99.9"] == NONE, view


def test_a_p99_of_150_samples_is_the_same_number_in_all_three(views):
    rows, summary = views
    expected = format_ms(summary.endpoints["POST /tasks"].p99)
    assert expected != NONE
    assert {rows[view]["POST /tasks"]["p99"] for view in ("console", "html", "md")} == {expected}


def test_every_cell_of_every_endpoint_row_agrees_across_the_views(views):
    rows, _ = views
    assert set(rows["console"]) == set(rows["html"]) == set(rows["md"]) == {*SAMPLES, "Total"}
    assert rows["console"] == rows["html"] == rows["md"]
