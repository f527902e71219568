"""Scenario files: the shipped ones are valid and say what they claim; a bad one is one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from runhelpers import ROOT, loadgate, write_scenario

from loadgate.errors import InputError
from loadtests.scenario import load_scenario, parse_seconds

SHIPPED = ["smoke", "baseline-1k", "stress-10k", "swarm-100k", "spike", "soak", "capacity-steps",
           "resilience"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_is_valid(name):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    assert scenario.name == name
    assert scenario.duration and scenario.duration > 0


def test_smoke_is_short_and_small_for_ci():
    smoke = load_scenario(ROOT / "scenarios/smoke.yaml")
    assert 20 <= smoke.duration <= 30 and smoke.users <= 50


@pytest.mark.parametrize(("name", "users", "per_minute"), [
    ("baseline-1k", 1_000, 10_000), ("stress-10k", 10_000, 100_000), ("swarm-100k", 100_000, 1_000_000)])
def test_the_sized_scenarios_make_the_planned_request_rate(name, users, per_minute):
    scenario = load_scenario(ROOT / f"scenarios/{name}.yaml")
    assert scenario.users == users
    # users / mean think time: the rate the closed model settles at (plus response times)
    assert scenario.planned_rps * 60 == pytest.approx(per_minute, rel=1e-9)


def test_resilience_audits_and_pauses_redis_then_the_store_within_the_run():
    scenario = load_scenario(ROOT / "scenarios/resilience.yaml")
    assert scenario.audit and [(f.action, f.target) for f in scenario.faults] == [("pause", "redis"),
                                                                                  ("pause", "store")]
    assert all(f.at + f.for_ < scenario.duration for f in scenario.faults)
    assert scenario.model_dump(mode="json")["faults"][0]["for"] == 5.0  # meta.json spells it as written


def test_capacity_steps_is_a_staircase_of_users():
    scenario = load_scenario(ROOT / "scenarios/capacity-steps.yaml")
    assert scenario.model == "closed" and scenario.shape.kind == "steps"
    assert scenario.duration == len(scenario.shape.levels) * scenario.shape.step
    assert scenario.shape.levels == sorted(scenario.shape.levels)


GOOD = {"users": 5, "duration": "10s"}


@pytest.mark.parametrize(("fields", "where", "problem"), [
    ({**GOOD, "colour": "blue"}, "colour", "unknown key"),
    ({**GOOD, "users": "many"}, "users", "must be a valid integer"),
    ({**GOOD, "users": 0}, "users", "greater than or equal to 1"),
    ({**GOOD, "model": "open", "rate": -5}, "rate", "greater than 0"),
    ({**GOOD, "model": "open"}, "rate", "required when model is 'open'"),
    ({**GOOD, "rate": 10}, "rate", "only for model 'open'"),
    ({**GOOD, "mix": {"browse": 0, "open_task": 0}}, "mix", "weights sum to zero"),
    ({**GOOD, "mix": {"browse": 1, "teleport": 2}}, "mix", "unknown action 'teleport'"),
    ({**GOOD, "mix": {"browse": -1, "open_task": 3}}, "mix", "not negative"),
    ({**GOOD, "duration": "-3s"}, "duration", "'-3s' is not a duration"),
    ({**GOOD, "duration": "soon"}, "duration", "'soon' is not a duration"),
    ({"users": 5}, "duration", "required key is missing"),
    ({"duration": 5}, "users", "required key is missing"),
    ({**GOOD, "think_time": {"min": 3, "max": 1}}, "think_time.min", "greater than max"),
    ({**GOOD, "shape": {"kind": "zigzag"}}, "shape", "does not match any of the expected tags"),
    ({**GOOD, "shape": {"kind": "steps", "levels": [0.5, 1.5], "step": 5}}, "shape.levels.1",
     "less than or equal to 1"),
    ({**GOOD, "shape": {"kind": "steps", "levels": [0.5, 1.0], "step": 30}}, "duration",
     "shorter than the 2 steps"),
    ({**GOOD, "shape": {"kind": "spike", "at": "20s"}}, "shape.at", "not before the end"),
    ({**GOOD, "target": "ftp://x"}, "target", "must be 'local' or an http(s):// URL"),
    ({**GOOD, "target": "http://api:8000", "env": {"RATE_LIMIT": "5/second"}}, "env", "only applies"),
    ({**GOOD, "slo": "slo/missing.yaml"}, "slo", "does not exist"),
    ({**GOOD, "target": "http://api:8000", "api_replicas": 2}, "api_replicas", "only applies"),
    ({**GOOD, "api_replicas": 0}, "api_replicas", "greater than or equal to 1"),
    ({**GOOD, "drain_timeout": "-1s"}, "drain_timeout", "'-1s' is not a duration"),
    ({**GOOD, "drain_timeout": "2h"}, "drain_timeout", "less than or equal to 3600"),
    ({**GOOD, "audit": True, "seed": {"users": 0}}, "audit", "needs seeded accounts"),
    ({**GOOD, "faults": [{"at": 2, "action": "pause", "target": "store"}]}, "faults[0].for",
     "required for action 'pause'"),
    ({**GOOD, "faults": [{"at": 2, "action": "restart", "target": "redis", "for": 1}]}, "faults[0].action",
     "a run never restarts a process it did not start"),
    ({**GOOD, "faults": [{"at": 2, "action": "kill", "target": "worker", "for": 1}]}, "faults[0].for",
     "a killed process stays down"),
    ({**GOOD, "faults": [{"at": 8, "action": "pause", "target": "redis", "for": 3}]}, "faults[0].at",
     "pause redis at 8s for 3s does not end before the end of the run (10s)"),
    ({**GOOD, "faults": [{"at": 2, "action": "nap", "target": "api"}]}, "faults.0.action", "must be"),
])
def test_a_bad_scenario_names_the_file_the_key_and_the_problem(tmp_path, fields, where, problem):
    path = write_scenario(tmp_path, "bad", **fields)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {where}: "), message
    assert problem in message, message


@pytest.mark.parametrize(("text", "problem"), [
    ("users: [1, 2", "line 1"),
    ("- just\n- a list\n", "(document): must be a mapping"),
])
def test_a_file_that_is_not_a_scenario_mapping_is_one_line(tmp_path, text, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=f"^{path}: .*") as err:
        load_scenario(path)
    assert problem in str(err.value)


def test_durations_read_as_people_write_them():
    assert parse_seconds("1h30m") == 5400 and parse_seconds("250ms") == 0.25
    assert parse_seconds("90") == 90 and parse_seconds(2.5) == 2.5
    with pytest.raises(ValueError):
        parse_seconds(True)


def test_overrides_are_validated_and_scale_an_open_rate(tmp_path):
    steps = {"kind": "steps", "levels": [0.5, 1], "step": 60}
    scenario = load_scenario(write_scenario(tmp_path, model="open", rate=40, users=100, shape=steps))
    half = scenario.with_overrides(users=scenario.users // 2, duration=60)
    assert half.rate == pytest.approx(scenario.rate / 2) and half.duration == 60
    with pytest.raises(InputError, match="users"):
        scenario.with_overrides(users=0)


@pytest.mark.parametrize("command", ["run", "master", "worker", "ui"])
def test_loadgate_says_one_line_and_exits_2_on_a_bad_file(tmp_path, command):
    path = write_scenario(tmp_path, "bad", users=5, duration="10s", model="open", rate=-1)
    extra = ["--expect-workers", "1"] if command == "master" else []
    done = loadgate(command, str(path), *extra, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [f"loadgate {command}: {path}: rate: must be greater than 0"], done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_an_unknown_scenario_name_is_one_line_and_exit_2():
    done = loadgate("run", "no-such-scenario", timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "loadgate run: no-such-scenario: no such scenario file"


def test_the_pure_modules_and_the_cli_do_not_import_locust_or_gevent():
    code = ("import sys; import loadgate.cli, loadtests.scenario, loadtests.shapes, loadtests.recorder, "
            "loadtests.probe; bad = [m for m in ('locust', 'gevent') if m in sys.modules]; "
            "print(*bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"imported at module level: {done.stdout} {done.stderr}"


def test_names_resolve_to_files_in_scenarios(tmp_path):
    from loadgate.commands.running import scenario_path

    assert scenario_path("smoke") == ROOT / "scenarios/smoke.yaml"
    assert scenario_path(str(tmp_path / "x.yaml")) == Path(tmp_path / "x.yaml")
