"""``loadgate ui``: a real browser starts a run from the Locust page, sees requests counted, stops it.

Debian's Chromium driven by Playwright (never ``playwright install``); the page is Locust's own
web UI with the scenario's journeys and shape, against the API started locally.
"""

from __future__ import annotations

import re
import signal
import time

import pytest
from runhelpers import loadgate_bg

from testsupport.servers import free_port, wait_for_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _aggregated_requests(page) -> int:
    row = page.locator("tr", has_text="Aggregated")
    if row.count() == 0:
        return 0
    cells = row.first.locator("td").all_inner_texts()
    numbers = [c for c in cells if re.fullmatch(r"\d+", c.strip())]
    return int(numbers[0]) if numbers else 0


@pytest.mark.slow
def test_a_run_starts_counts_and_stops_from_the_web_ui():
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    proc = loadgate_bg("ui", "smoke", "--web-port", str(port), "--duration", "120")
    try:
        wait_for_port(port, timeout=60, proc=proc)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("button", name=re.compile("start", re.I)).click()
            page.get_by_text("RUNNING").first.wait_for(timeout=20_000)
            deadline = time.monotonic() + 30
            while _aggregated_requests(page) < 20:
                assert time.monotonic() < deadline, page.inner_text("body")[:2000]
                page.wait_for_timeout(500)
            page.get_by_role("button", name=re.compile("^stop$", re.I)).click()
            page.get_by_text("STOPPED").first.wait_for(timeout=20_000)
            counted = _aggregated_requests(page)
            page.wait_for_timeout(2_000)
            assert _aggregated_requests(page) == counted  # stopped means no more requests
            browser.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, proc.stdout.read()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
