"""A worker is lost when it goes silent while the run measures, or when its final report never
comes after the end; not when it misses heartbeats while stopping its users after the end. The
cases run in a subprocess (watch_cases.py: RunWatch imports Locust)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from runhelpers import HERE, ROOT, loadgate_env


@pytest.fixture(scope="module")
def cases() -> dict:
    done = subprocess.run([sys.executable, str(HERE / "watch_cases.py")], env=loadgate_env(), cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_a_worker_silent_while_measuring_is_lost_with_its_time(cases):
    assert cases["silent_while_measuring"] == {
        "lost": {"b": [1020.0, "missed its heartbeats"]},
        "problems": ["worker b lost at 20s of 60s (missed its heartbeats): its users stopped"]}


def test_missed_heartbeats_while_stopping_after_the_end_are_no_loss(cases):
    assert cases["silent_while_stopping"] == {"lost": {}, "problems": []}


def test_a_worker_whose_final_report_never_came_makes_the_run_invalid(cases):
    assert cases["no_final_report"] == {
        "lost": {"b": [1060.0, "no final report"]},
        "problems": ["worker b sent no final report after the end: its last seconds are missing"]}


def test_a_worker_lost_before_the_end_is_one_problem_not_two(cases):
    assert cases["lost_then_no_final_report"]["lost"] == {"b": [1030.0, "missed its heartbeats"]}
    assert len(cases["lost_then_no_final_report"]["problems"]) == 1
