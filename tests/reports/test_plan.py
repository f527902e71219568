"""loadgate plan: the documented formula, the overlays' own inputs, measured figures, and a patch
the Kubernetes overlays accept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from report_helpers import loadgate

from loadgate import runformat as rf
from reports.capacity import analyse
from reports.plan import make_plan
from reports.rundata import RunData
from testsupport.synthetic import START, write_samples_run, write_steps_run

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = sorted((REPO / "k8s" / "overlays").glob("*/plan.yaml"))


def test_the_scaling_plans_target_with_the_documented_defaults():
    plan = make_plan(users=100_000, rpm=1_000_000)
    # ceil(max(100000 / 10000, 16667 / 1500) * 1.3) and ceil(16667 / 580 * 1.3)
    assert (plan.locust_workers, plan.api_replicas) == (15, 38)
    assert plan.plan_servers == 100  # 100,000 users at 1,000 per server
    assert set(plan.sources) == {"worker_users", "worker_rps", "replica_rps"}
    assert all(v.startswith("default: ") and "docs/capacity.md" in v for v in plan.sources.values())
    assert "generator-added p99 <= 10 ms" in plan.sources["worker_users"]  # the bound it was sized by


def test_rps_decides_the_workers_when_users_are_few_but_busy():
    plan = make_plan(users=1000, rpm=600_000, worker_users=1000, worker_rps=800, headroom=1.0)
    assert plan.workers_by_users == 1 and plan.workers_by_rps == 12.5
    assert plan.locust_workers == 13


@pytest.mark.parametrize("path", OVERLAYS, ids=lambda p: p.parent.name)
def test_each_overlays_documented_inputs_give_its_replica_counts(path):
    doc = yaml.safe_load(path.read_text())
    proc = loadgate(
        "plan",
        "--users",
        doc["users"],
        "--rpm",
        doc["rpm"],
        "--worker-users",
        doc["worker_users"],
        "--worker-rps",
        doc["worker_rps"],
        "--replica-rps",
        doc["replica_rps"],
        "--headroom",
        doc["headroom"],
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {k: out[k] for k in ("locust_workers", "api_replicas")} == doc["expect"]


def test_measured_runs_replace_the_defaults(tmp_path):
    # One local generator process at 45 % CPU carrying 50 users and 600 requests / 60 s (10 rps):
    # scaled to the 90 % bound that is 100 users and 20 rps per process.
    gen = [
        rf.GeneratorSample(t=START + 5 * i, process="local", cpu_percent=45.0, loop_lag_ms=1.0)
        for i in range(12)
    ]
    path = write_samples_run(tmp_path, "r", {"GET /tasks": [1000] * 600}, users=50, generator=gen)
    plan = make_plan(users=1000, rpm=600, runs=[RunData.open(path)], replica_rps=100)
    assert plan.worker_users == pytest.approx(100.0) and plan.worker_rps == pytest.approx(20.0)
    assert plan.sources["worker_users"].startswith("measured in r: 1 process(es) at 45% mean CPU")
    assert plan.sources["replica_rps"] == "given"
    assert plan.locust_workers == 13  # ceil(max(1000 / 100, 10 / 20) * 1.3)


def test_a_headroom_below_one_is_bad_input():
    proc = loadgate("plan", "--users", 10, "--rpm", 10, "--headroom", 0.3)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip() == "loadgate: plan: --headroom 0.3: a multiplier of at least 1 (1.3 = 30% spare)"
    )


def test_the_patch_resizes_an_overlay_when_kustomize_renders_it(tmp_path):
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with built-in kustomize) is needed to render k8s/, see ARCHITECTURE.md"
    patch = tmp_path / "plan-patch.yaml"
    proc = loadgate("plan", "--users", 7000, "--rpm", 70_000, "--patch-out", patch)
    assert proc.returncode == 0, proc.stderr
    plan = make_plan(users=7000, rpm=70_000)
    overlay = REPO / "k8s" / "overlays" / "smoke"
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(overlay, tmp_path)],
                "patches": [{"path": patch.name}],
            }
        )
    )
    rendered = subprocess.run(
        [kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    objects = {
        (
            o["kind"],
            o["metadata"]["name"].rsplit("-", 1)[0] if o["kind"] == "ConfigMap" else o["metadata"]["name"],
        ): o
        for o in yaml.safe_load_all(rendered)
        if o
    }
    assert objects[("Deployment", "locust-worker")]["spec"]["replicas"] == plan.locust_workers
    assert objects[("Deployment", "api")]["spec"]["replicas"] == plan.api_replicas
    assert objects[("HorizontalPodAutoscaler", "api")]["spec"]["minReplicas"] == plan.api_replicas
    assert objects[("ConfigMap", "loadgate-run")]["data"]["EXPECT_WORKERS"] == str(plan.locust_workers)


def test_replica_capacity_comes_from_the_steps_run_per_api_process(tmp_path):
    path = write_steps_run(
        tmp_path, "steps", [5, 10, 20, 40, 80, 120, 160], lam=20, alpha=0.03, beta=0.0002, step_s=30, seed=2
    )
    meta = json.loads((path / rf.META).read_text())
    meta["scenario"]["api_workers"] = 2  # the local API ran two processes
    (path / rf.META).write_text(json.dumps(meta))
    run = RunData.open(path)
    peak = analyse([run]).fit.x_peak  # N* ~ 70 lies within 5..160: the peak is measured
    plan = make_plan(users=1000, rpm=60_000, runs=[run])
    assert plan.replica_rps == pytest.approx(peak / 2)
    assert plan.sources["replica_rps"] == (
        "measured in steps: USL peak throughput (within the measured range) / 2 replica(s)"
    )
