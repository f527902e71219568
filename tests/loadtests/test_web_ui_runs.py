"""``loadgate ui --workers 2``: a run started and stopped in a real browser leaves a run directory,
a report and a verdict, and the page shows loadgate's exact figures and cache-hit ratio live.

Debian's Chromium driven by Playwright (as ``test_web_ui.py``); the page is Locust's own web UI
with loadgate's tabs (``loadgate.webui``), against the API started locally.
"""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest
from runhelpers import loadgate, loadgate_bg

from loadgate.runformat import RunDir
from loadgate.runformat.figures import format_ms, shown
from testsupport.servers import free_port, wait_for_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIGURES = ("p50", "p95", "p99", "p999", "max")
VERDICTS = ("GO", "WARN", "NO-GO", "INVALID")
RUN_FILES = ("meta.json", "summary.json", "sut.jsonl", "generator.jsonl", "timeline.jsonl", "hdr",
             "locust", "verdict.json", "junit.xml", "report.html")


def _rows(page) -> list[list[str]]:
    """The visible table's body rows, as cell texts."""
    return [r.locator("td").all_inner_texts() for r in page.locator("tbody tr").all()]


def _wait_for(page, what: str, found, timeout_s: float = 60.0, reload: bool = False):
    deadline = time.monotonic() + timeout_s
    while True:
        got = found(_rows(page))
        if got:
            return got
        assert time.monotonic() < deadline, f"{what}: {page.inner_text('body')[:3000]}"
        if reload:
            page.reload()
        page.wait_for_timeout(1000)


def _tab(page, title: str) -> None:
    page.get_by_role("tab", name=title).click()


def _with_exact_p50(rows):
    return [r for r in rows if r and r[0] == "GET /tasks" and len(r) > 4 and r[1] == "raw" and r[4] != "–"]


def _cache_hits(rows):
    return [r for r in rows if r and r[0].startswith("cache hit ratio: ") and "%" in r[1]]


def _verdict(rows):
    return [r[-1] for r in rows if r and r[0] == "verdict" and r[-1] in VERDICTS]


@pytest.fixture
def ui_session(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    out = tmp_path / "runs"
    proc = loadgate_bg("ui", "smoke", "--web-port", str(port), "--workers", "2", "--duration", "600",
                       "--out", str(out))
    try:
        wait_for_port(port, timeout=120, proc=proc)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(accept_downloads=True)
            page.goto(f"http://127.0.0.1:{port}/")
            yield page, out, proc
            browser.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, proc.stdout.read()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_a_web_ui_run_with_workers_leaves_its_run_directory_report_and_verdict(ui_session, tmp_path):
    page, out, proc = ui_session
    page.get_by_label(re.compile("number of users", re.I)).fill("12")
    page.get_by_role("button", name=re.compile("start", re.I)).click()
    page.get_by_text("RUNNING").first.wait_for(timeout=30_000)

    _tab(page, "loadgate percentiles")
    _wait_for(page, "exact p50 of GET /tasks", _with_exact_p50)
    _tab(page, "loadgate SUT & generator")
    _wait_for(page, "cache-hit ratio per cache", _cache_hits)
    page.wait_for_timeout(3000)

    page.get_by_role("button", name=re.compile("^stop$", re.I)).click()
    page.get_by_text("STOPPED").first.wait_for(timeout=60_000)
    _tab(page, "loadgate SLO")
    verdict = _wait_for(page, "the verdict", _verdict, timeout_s=120, reload=True)[0]
    _tab(page, "loadgate percentiles")
    shown_at_end = {(r[0], r[1]): r for r in _rows(page) if len(r) >= 9}

    page.get_by_role("tab", name="Download Data").click()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("loadgate's report.html")).click()
    saved = tmp_path / "downloaded.html"
    download.value.save_as(saved)
    assert "<html" in saved.read_text()[:2000].lower()

    (run,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    for name in RUN_FILES:
        assert (run / name).exists(), name
    meta = json.loads((run / "meta.json").read_text())
    assert meta["scenario"]["users"] == 12  # the start form's user count, as run
    assert meta["workers"] == 2
    assert json.loads((run / "verdict.json").read_text())["verdict"] == verdict
    summary = RunDir.open(run).summary()
    for name, s in [*summary.endpoints.items(), ("Total", summary.total)]:
        row = shown_at_end[(name, "raw")]
        assert int(row[2]) == s.count, name
        assert row[4:9] == [format_ms(shown(s, k)) for k in FIGURES], name
        corrected = shown_at_end[(name, "CO-corrected")]
        assert corrected[4:9] == [format_ms(shown(s.corrected, k)) for k in FIGURES], name


@pytest.mark.slow
def test_a_web_ui_run_and_a_headless_run_leave_the_same_format(tmp_path: Path):
    """Same files, same meta and summary fields; ``loadgate report`` and ``gate`` read both."""
    sync_api = pytest.importorskip("playwright.sync_api")
    port, ui_out, cli_out = free_port(), tmp_path / "ui", tmp_path / "cli"
    proc = loadgate_bg("ui", "smoke", "--web-port", str(port), "--duration", "8", "--out", str(ui_out))
    try:
        wait_for_port(port, timeout=120, proc=proc)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("button", name=re.compile("start", re.I)).click()
            page.get_by_text("RUNNING").first.wait_for(timeout=30_000)
            _tab(page, "loadgate SLO")
            _wait_for(page, "the verdict after the shape ended", _verdict, timeout_s=120, reload=True)
            browser.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, proc.stdout.read()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    loadgate("run", "smoke", "--duration", "8", "--out", str(cli_out))
    (ui_run,), (cli_run,) = list(ui_out.iterdir()), list(cli_out.iterdir())

    def files(run: Path) -> set[str]:
        judged = {"verdict.json", "junit.xml", "report.html", "report.md"}
        return {str(p.relative_to(run)) for p in run.rglob("*")} - judged

    assert files(ui_run) == files(cli_run)
    for name in ("meta.json", "summary.json"):
        ui_doc, cli_doc = (json.loads((r / name).read_text()) for r in (ui_run, cli_run))
        assert set(ui_doc) == set(cli_doc), name
        assert ui_doc["format_version"] == cli_doc["format_version"]
    assert json.loads((ui_run / "meta.json").read_text())["interrupted"] is False  # the shape ended it
    drains = [json.loads((r / "meta.json").read_text())["drain"] for r in (ui_run, cli_run)]
    assert all(d is not None and d["drained"] for d in drains), drains  # the UI's run waits for the backlog
    assert (ui_run / "report.html").is_file()  # the UI session ran `loadgate report` on it already
    assert loadgate("report", str(cli_run)).returncode == 0
    for run in (ui_run, cli_run):
        gated = loadgate("gate", str(run))
        assert gated.returncode in (0, 1, 3, 4), gated.stdout
