"""`loadgate swarm`: render prints the manifests; apply, status and fetch drive kubectl (here a
recording stand-in that delegates `kustomize` to the real kubectl); a missing kubectl or context
is one clear line and exit code 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from k8s_manifests import find, render_tree

from loadgate import swarm

KUBECTL = shutil.which("kubectl")
# A valid scenario and valid SLO files: render checks both as `loadgate master` would.
SCENARIO = "name: probe\nusers: 2\nduration: 10s\n"
SLO = "endpoints:\n  Total:\n    p95: 500\n"
OTHER_SLO = "endpoints:\n  Total:\n    p99: 500\n"


def loadgate(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loadgate.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


@pytest.fixture
def scenario(tmp_path) -> str:
    """A scenario file outside scenarios/: render ships it too, so these tests need none of ours."""
    path = tmp_path / "probe-scenario.yaml"
    path.write_text(SCENARIO)
    (tmp_path / "slo").mkdir()
    (tmp_path / "slo/probe-scenario.yaml").write_text(SLO)
    return str(path)


# --- render --------------------------------------------------------------------------------------

def test_render_sets_the_scenario_and_patches_the_worker_count(tmp_path):
    root = render_tree(tmp_path)
    # Files added after the committed scenario list was written still ship.
    (root / "scenarios/probe.yaml").write_text(SCENARIO)
    (root / "scenarios/slo/probe.yaml").write_text(OTHER_SLO)
    objects = swarm.load_objects(swarm.render("probe", overlay="1k", workers=7, root=root))
    assert find(objects, "Deployment", "locust-worker")["spec"]["replicas"] == 7
    run = find(objects, "ConfigMap", "loadgate-run")["data"]
    assert (run["EXPECT_WORKERS"], run["SCENARIO"], run["SLO"]) == ("7", "probe.yaml", "probe.yaml")
    assert find(objects, "ConfigMap", "loadgate-scenarios")["data"]["probe.yaml"] == SCENARIO
    assert find(objects, "ConfigMap", "loadgate-slo")["data"]["probe.yaml"] == OTHER_SLO
    # Everything else is the overlay's.
    plain = swarm.load_objects(swarm.kustomize(root / "k8s/overlays/1k"))
    assert find(objects, "Deployment", "api")["spec"] == find(plain, "Deployment", "api")["spec"]


def test_render_keeps_the_overlay_worker_count_unless_asked(tmp_path):
    root = render_tree(tmp_path)
    (root / "scenarios/probe.yaml").write_text(SCENARIO)
    (root / "scenarios/slo/probe.yaml").write_text(SLO)
    objects = swarm.load_objects(swarm.render("probe", overlay="10k", root=root))
    plain = swarm.load_objects(swarm.kustomize(root / "k8s/overlays/10k"))
    planned = find(plain, "Deployment", "locust-worker")["spec"]["replicas"]
    assert find(objects, "Deployment", "locust-worker")["spec"]["replicas"] == planned


def test_render_takes_an_overlay_of_your_own_by_its_directory(tmp_path):
    root = render_tree(tmp_path / "tree")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(root / "k8s/overlays/smoke", mine)],
        "images": [{"name": "redis", "newName": "registry.example/redis", "newTag": "7.4.2"}]}))
    objects = swarm.load_objects(swarm.render("smoke", overlay=str(mine), workers=3, root=root))
    assert find(objects, "Deployment", "redis")["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "registry.example/redis:7.4.2"
    assert find(objects, "Deployment", "locust-worker")["spec"]["replicas"] == 3
    assert find(objects, "ConfigMap", "loadgate-run")["data"]["SCENARIO"] == "smoke.yaml"


def test_loadgate_swarm_render_prints_manifests_for_a_scenario_file(scenario):
    proc = loadgate("swarm", "render", scenario, "--overlay", "smoke", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    objects = swarm.load_objects(proc.stdout)
    assert find(objects, "Deployment", "locust-worker")["spec"]["replicas"] == 2
    assert find(objects, "ConfigMap", "loadgate-run")["data"]["SCENARIO"] == "probe-scenario.yaml"
    assert find(objects, "ConfigMap", "loadgate-scenarios")["data"]["probe-scenario.yaml"] == SCENARIO
    assert find(objects, "ConfigMap", "loadgate-slo")["data"]["probe-scenario.yaml"] == SLO


def test_render_refuses_a_scenario_without_an_slo(tmp_path):
    # The master's exit code is the verdict: without an SLO there would be none.
    (tmp_path / "lonely.yaml").write_text(SCENARIO.replace("probe", "lonely"))
    proc = loadgate("swarm", "render", str(tmp_path / "lonely.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "no SLO for lonely.yaml" in proc.stderr


def test_render_refuses_an_invalid_scenario_in_one_line(tmp_path):
    # The master would refuse it in the pod, after the whole stack was deployed: say so here.
    (tmp_path / "probe.yaml").write_text("name: probe\n")
    (tmp_path / "slo").mkdir()
    (tmp_path / "slo/probe.yaml").write_text(SLO)
    proc = loadgate("swarm", "render", str(tmp_path / "probe.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "probe.yaml: users:" in proc.stderr


def test_render_refuses_an_invalid_slo_in_one_line(tmp_path):
    (tmp_path / "probe.yaml").write_text(SCENARIO)
    (tmp_path / "slo").mkdir()
    (tmp_path / "slo/probe.yaml").write_text("p95_ms: 500\n")  # not an SLO file: no endpoints
    proc = loadgate("swarm", "render", str(tmp_path / "probe.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "slo/probe.yaml: p95_ms:" in proc.stderr


@pytest.mark.parametrize(("args", "words"), [
    (["render", "no-such-scenario"], "scenario 'no-such-scenario' is not in scenarios/"),
    (["render", "smoke", "--overlay", "1m"], "overlay '1m' not found"),
])
def test_render_refuses_unknown_names_in_one_line(args, words):
    proc = loadgate("swarm", *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and words in proc.stderr


COMMANDS = [["render", "smoke"], ["apply", "smoke"], ["status"], ["logs"], ["fetch"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_without_kubectl_every_command_says_so_in_one_line(command, tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty directory: no kubectl
    proc = loadgate("swarm", *command, env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "kubectl not found on PATH" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", COMMANDS[1:])
def test_without_a_context_every_cluster_command_says_so_in_one_line(command, tmp_path):
    (tmp_path / "config").write_text("apiVersion: v1\nkind: Config\n")
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "config")}
    proc = loadgate("swarm", *command, env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "no kubectl context" in proc.stderr


# --- a recording kubectl -------------------------------------------------------------------------

FAKE = textwrap.dedent('''\
    #!{python}
    """kubectl stand-in: records each call, answers from canned files, delegates kustomize."""
    import json, os, pathlib, sys
    here = pathlib.Path(__file__).parent
    args = sys.argv[1:]
    stdin = sys.stdin.read() if "-" in args else ""
    with open(here / "calls.jsonl", "a") as log:
        log.write(json.dumps({{"args": args, "stdin": stdin}}) + "\\n")
    if args[0] == "kustomize":
        os.execv({kubectl!r}, [{kubectl!r}, *args])
    if args[:2] == ["config", "current-context"]:
        print("test-cluster")
    elif "secrets" in args:
        print((here / "secrets.txt").read_text(), end="")
    elif "pods" in args and "get" in args:
        print((here / "pods.json").read_text())
    elif "job" in args and "get" in args:
        print((here / "job.json").read_text())
    elif "deployment" in args and "get" in args:
        print(json.dumps({{"spec": {{"replicas": 2}}, "status": {{"readyReplicas": 2}}}}))
    elif "exec" in args:
        print("run-b\\nrun-a")
    elif "cp" in args:
        dest = pathlib.Path(args[-1]); dest.mkdir(parents=True)
        (dest / "meta.json").write_text("{{}}")
    ''')


@pytest.fixture
def fake_kubectl(tmp_path):
    """A directory with the stand-in kubectl; its calls land in calls.jsonl."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(FAKE.format(python=sys.executable, kubectl=KUBECTL))
    script.chmod(0o755)
    secrets = ["loadgate-api", "loadgate-mongodb", "loadgate-redis"]
    (bin_dir / "secrets.txt").write_text("".join(f"secret/{s}\n" for s in secrets))
    (bin_dir / "pods.json").write_text(json.dumps({"items": []}))
    return bin_dir


def calls(bin_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (bin_dir / "calls.jsonl").read_text().splitlines()]


def run_with(bin_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return loadgate("swarm", *args, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, cwd=cwd)


def test_apply_replaces_the_jobs_then_applies_everything(fake_kubectl, scenario):
    proc = run_with(fake_kubectl, "apply", scenario, "--overlay", "smoke")
    assert proc.returncode == 0, proc.stderr
    cluster_calls = [c for c in calls(fake_kubectl) if c["args"][0] not in ("kustomize", "config")]
    assert all(c["args"][:2] == ["--namespace", "loadgate"] for c in cluster_calls)
    verbs = [c["args"][2] for c in cluster_calls]
    assert verbs == ["apply", "get", "delete", "apply"]  # namespace, secrets check, old Jobs, the stack
    assert [o["kind"] for o in swarm.load_objects(cluster_calls[0]["stdin"])] == ["Namespace"]
    assert cluster_calls[2]["args"][3:7] == ["job", "locust-master", "mongodb-init", "--ignore-not-found"]
    assert find(swarm.load_objects(cluster_calls[3]["stdin"]), "Job", "locust-master")


def test_apply_stops_when_a_secret_is_missing(fake_kubectl, scenario):
    (fake_kubectl / "secrets.txt").write_text("secret/loadgate-api\n")
    proc = run_with(fake_kubectl, "apply", scenario)
    assert proc.returncode == 2
    assert "missing Secret(s) loadgate-mongodb, loadgate-redis" in proc.stderr
    assert not any("delete" in c["args"] for c in calls(fake_kubectl))


@pytest.mark.parametrize(("exit_code", "verdict"), [(0, "GO"), (1, "NO-GO"), (3, "WARN"), (4, "INVALID")])
def test_status_wait_exits_with_the_masters_verdict(fake_kubectl, exit_code, verdict):
    master = {"name": "master", "state": {"terminated": {"exitCode": exit_code}}}
    pod = {"metadata": {"creationTimestamp": "2025-01-01T00:00:00Z"},
           "status": {"containerStatuses": [master]}}
    (fake_kubectl / "pods.json").write_text(json.dumps({"items": [pod]}))
    proc = run_with(fake_kubectl, "status", "--wait", "--timeout", "30")
    assert proc.returncode == exit_code
    assert f"verdict {verdict} (exit {exit_code})" in proc.stdout


def test_status_of_a_run_not_started_is_pending(fake_kubectl):
    proc = run_with(fake_kubectl, "status")
    assert proc.returncode == 0
    assert "locust-master: pending; workers 2/2 ready" in proc.stdout


def master_job(image: str) -> str:
    """`kubectl get job locust-master -o json`, as much of it as fetch reads."""
    return json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "master", "image": image}]}}}})


def test_fetch_copies_the_newest_run_through_a_reader_pod_and_removes_it(fake_kubectl, tmp_path):
    image = "registry.example/loadgate/harness:0.1.0"
    (fake_kubectl / "job.json").write_text(master_job(image))
    proc = run_with(fake_kubectl, "fetch", "--out", str(tmp_path / "runs"), "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "runs/run-b/meta.json").is_file()
    cluster_calls = [c for c in calls(fake_kubectl) if c["args"][0] != "config"]
    verbs = [c["args"][2] for c in cluster_calls]
    assert verbs == ["get", "apply", "wait", "exec", "cp", "delete"]
    reader = swarm.load_objects(cluster_calls[1]["stdin"])[0]
    assert reader["spec"]["containers"][0]["image"] == image
    assert cluster_calls[4]["args"][3] == f"loadgate/{swarm.READER}:/runs/run-b"
    assert cluster_calls[5]["args"][3:5] == ["pod", swarm.READER]


def test_fetch_a_named_run_that_is_not_there_fails_in_one_line(fake_kubectl, tmp_path):
    (fake_kubectl / "job.json").write_text(master_job("loadgate/harness:0.1.0"))
    proc = run_with(fake_kubectl, "fetch", "--run", "run-z", "--out", str(tmp_path / "runs"), "--no-report")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "run 'run-z' not in the runs volume" in proc.stderr
    assert calls(fake_kubectl)[-1]["args"][2:5] == ["delete", "pod", swarm.READER]  # cleaned up all the same


def test_the_reader_pod_would_pass_the_restricted_pod_security_profile():
    pod = swarm.reader_pod("loadgate/harness:0.1.0")
    c = pod["spec"]["containers"][0]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}}
    assert c["volumeMounts"][0]["readOnly"] is True


def test_a_fetched_run_is_judged_by_this_checkouts_copy_of_its_slo(tmp_path):
    (tmp_path / "scenarios/slo").mkdir(parents=True)
    (tmp_path / "scenarios/slo/smoke.yaml").write_text(SLO)
    run = tmp_path / "runs/run-a"
    run.mkdir(parents=True)
    (run / "meta.json").write_text(json.dumps({"slo_file": "/scenarios/slo/smoke.yaml"}))
    assert swarm.local_slo(run, tmp_path) == tmp_path / "scenarios/slo/smoke.yaml"
    (run / "meta.json").write_text(json.dumps({"slo_file": "/scenarios/slo/gone.yaml"}))
    assert swarm.local_slo(run, tmp_path) is None
    (run / "meta.json").write_text(json.dumps({"slo_file": None}))
    assert swarm.local_slo(run, tmp_path) is None
