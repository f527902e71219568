"""One counter-difference rule (``loadgate.runformat.counters``) for every cache-hit ratio: the
live probe's, ``summary.json``'s and the report's per-cache table agree, across an API restart."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from report_helpers import sut_counters

from loadgate.runformat.counters import hit_ratio, increase, increases
from loadtests.probe import Probe
from reports.rundata import RunData
from reports.summary import cache_hit_ratios
from reports.sut import cache_ratios_by_cache
from testsupport.synthetic import START, write_samples_run

# 0 -> 90 hits and 10 misses, then the API restarts (counters from zero) and counts 30 and 5 more.
HITS, MISSES = [0, 90, 30], [0, 10, 5]
HIT_RATIO = (90 + 30) / (90 + 30 + 10 + 5)


def test_an_increase_across_a_reset_counts_the_value_after_it_from_zero():
    assert increase([0, 90, 30]) == 120.0  # 90, then 30 since the restart
    assert increase([5, 5, 5]) == 0.0
    assert increase([7]) == 0.0


def test_increases_add_each_keys_steps_and_a_ratio_counts_bypasses_as_misses():
    samples = [
        {"c": {"hit": 10, "bypass": 0}},
        {"c": {"hit": 40, "bypass": 10}},
        {"c": {"hit": 5, "bypass": 2}},  # restarted
    ]
    assert increases(samples) == {"c": {"hit": 35.0, "bypass": 12.0}}
    assert hit_ratio(increases(samples)["c"]) == (35 / 47, 47)
    assert hit_ratio({}) == (None, 0)


def test_the_summary_and_the_reports_cache_table_count_lookups_across_an_api_restart(tmp_path):
    sut = sut_counters(START, hits=HITS, misses=MISSES)
    assert cache_hit_ratios(sut)["GET /tasks"] == (pytest.approx(HIT_RATIO), 135)
    assert cache_ratios_by_cache(sut)["task_list"] == (pytest.approx(HIT_RATIO), 135)
    path = write_samples_run(tmp_path, "restart", {"GET /tasks": [1000] * 200}, sut=sut)
    assert RunData.open(path).summary.endpoints["GET /tasks"].cache_hit_ratio == pytest.approx(HIT_RATIO)


def _metrics(hits: float, misses: float) -> str:
    labels = 'cache="task_list",method="GET",route="/tasks"'
    return (
        "# TYPE taskapi_cache_requests_total counter\n"
        f'taskapi_cache_requests_total{{{labels},result="hit"}} {hits}\n'
        f'taskapi_cache_requests_total{{{labels},result="miss"}} {misses}\n'
    )


@pytest.fixture
def restarting_api():
    """A real HTTP server on 127.0.0.1 whose /metrics count, restart, and count again."""
    pages = [_metrics(h, m) for h, m in zip(HITS, MISSES, strict=True)]

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- http.server's name
            body = (pages.pop(0) if len(pages) > 1 else pages[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_live_probes_hit_ratio_is_the_reports_across_an_api_restart(restarting_api):
    probe = Probe(restarting_api)
    samples = [probe.sample() for _ in HITS]
    assert all(s.ok for s in samples)
    assert probe.hit_ratio() == pytest.approx(HIT_RATIO)
    assert probe.hit_ratio() == pytest.approx(cache_hit_ratios(samples)["GET /tasks"][0])
