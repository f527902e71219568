"""A run against a local API of 2 replicas behind nginx (``api_replicas``): it records the topology
it measured, the report says so, and the probe's one ``/metrics`` counts every replica."""

from __future__ import annotations

from runhelpers import loadgate, loadgate_env, the_run, write_scenario

from loadgate import runformat as rf


def test_a_run_on_two_replicas_records_and_reports_its_topology(tmp_path):
    out = tmp_path / "runs"
    scenario = write_scenario(tmp_path, "replicas", target="local", api_replicas=2, duration="4s", users=2,
                              think_time={"min": 0.1, "max": 0.2}, mix={"browse": 1},
                              seed={"users": 2, "tasks_per_user": 2}, drain_timeout=0)
    done = loadgate("run", str(scenario), "--out", str(out), env=loadgate_env(), timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 replicas behind nginx" in done.stdout
    run = the_run(out)
    opened = rf.RunDir.open(run)
    topology = opened.meta.topology
    assert topology is not None and topology.replicas == 2 and topology.balancer.startswith("nginx/")
    # the probe scraped the balancer: every replica's store operations add up in each sample
    samples = [s for s in opened.sut() if s.ok]
    reads = [sum(op["count"] for op in s.store_ops.values()) for s in samples]
    assert reads[-1] > reads[0] and reads == sorted(reads), reads
    report = loadgate("report", str(run), env=loadgate_env())
    assert report.returncode == 0, report.stderr
    assert "2 API replicas behind nginx/" in (run / "report.html").read_text()


def test_a_run_on_one_process_says_it_measured_it_direct(tmp_path):
    out = tmp_path / "runs"
    scenario = write_scenario(tmp_path, "direct", target="local", duration="2s", users=1,
                              think_time={"min": 0.1, "max": 0.2}, mix={"browse": 1},
                              seed={"users": 1, "tasks_per_user": 1}, drain_timeout=0)
    done = loadgate("run", str(scenario), "--out", str(out), env=loadgate_env(), timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = the_run(out)
    assert rf.RunDir.open(run).meta.topology == rf.Topology(replicas=1, workers_per_replica=1, balancer=None)
    assert loadgate("report", str(run), env=loadgate_env()).returncode == 0
    assert "one API process, direct (no balancer)" in (run / "report.html").read_text()
