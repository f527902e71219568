"""The swarm on a live single-node cluster (scripts/setup-cluster.sh): the node itself, every
overlay through the API server's admission, then the smoke stack applied with plain
`kubectl apply -k`, run to its verdict, fetched, and a NO-GO scenario run to a Failed Job.

The tests share one cluster and run in file order: the smoke run's Job is what `fetch` reads.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from loadgate import swarm
from loadgate.errors import EXIT_GO
from loadgate.paths import ROOT
from testsupport.verdicts import expected_or_saturated

OVERLAY = Path(__file__).parent / "overlay"
TOOLBOX = "loadgate.local/toolbox:1"
API_NAME = "kubernetes.default.svc.cluster.local"
RUN_TIMEOUT_S = 1200  # pods starting on 2 busy cores, the smoke scenario, the gate
METRICS_WAIT_S = 180  # metrics-server scrapes every 15 s, needs two scrapes; the HPA syncs every 15 s
RESTRICTED = {"runAsUser": 65534, "runAsNonRoot": True, "allowPrivilegeEscalation": False,
              "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
              "seccompProfile": {"type": "RuntimeDefault"}}


def kubectl(*args: str, input: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True, timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"{proc.args}: {proc.stderr or proc.stdout}"
    return proc.stdout


def loadgate(*args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loadgate.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def job_condition(name: str, namespace: str = "loadgate") -> str | None:
    """Complete or Failed once the Job ended, else None."""
    job = json.loads(ok(kubectl("-n", namespace, "get", "job", name, "-o", "json")))
    for condition in job.get("status", {}).get("conditions", []):
        if condition["type"] in ("Complete", "Failed") and condition["status"] == "True":
            return condition["type"]
    return None


# --- the node -------------------------------------------------------------------------------------

def test_the_node_is_ready_with_kubernetes_1_31(kubeconfig):
    node = json.loads(ok(kubectl("get", "node", "loadgate-node", "-o", "json")))
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert ready == "True"
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.31.4"
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://1.6")


def test_a_pod_of_our_own_resolves_the_api_servers_service_and_reaches_it(kubeconfig):
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "probe-dns", "namespace": "default"},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "containers": [{
                "name": "probe", "image": TOOLBOX, "imagePullPolicy": "Never",
                "command": ["sh", "-c",
                            f"nslookup {API_NAME} && nc -w 5 {API_NAME} 443 </dev/null && echo reached"],
                "securityContext": RESTRICTED,
            }],
        },
    }
    ok(kubectl("apply", "-f", "-", input=json.dumps(pod)))
    try:
        ok(kubectl("wait", "pod/probe-dns", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=180s"))
        logs = ok(kubectl("logs", "probe-dns"))
        service_ip = ok(kubectl("get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"))
        assert service_ip in logs and "reached" in logs
    finally:
        kubectl("delete", "pod", "probe-dns", "--wait=false")


# --- every overlay, through admission ------------------------------------------------------------

@pytest.mark.parametrize("overlay", ["smoke", "1k", "10k", "100k"])
def test_every_overlay_is_accepted_by_the_api_server_in_a_server_side_dry_run(kubeconfig, overlay):
    # Admission, defaulting and Pod Security run here; schema validation offline cannot.
    ok(kubectl("apply", "-f", str(ROOT / "k8s/base/namespace.yaml")))
    proc = kubectl("apply", "-k", str(ROOT / "k8s/overlays" / overlay), "--dry-run=server")
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr  # Pod Security would warn on a restricted breach


# --- the smoke stack, end to end ------------------------------------------------------------------

def volume(name: str, claim: str, size: str, root: Path) -> dict:
    """A hostPath PersistentVolume bound ahead to ``claim`` (the cluster has no provisioner)."""
    path = root / name
    path.mkdir(mode=0o777)
    path.chmod(0o777)  # hostPath gets no fsGroup: the non-root pods must be able to write
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Retain", "hostPath": {"path": str(path)},
                     "claimRef": {"namespace": "loadgate", "name": claim}}}


@pytest.fixture(scope="module")
def stack(kubeconfig, tmp_path_factory):
    """Secrets and volumes made, then the smoke stack applied with plain `kubectl apply -k`."""
    ok(kubectl("apply", "-f", str(ROOT / "k8s/base/namespace.yaml")))
    values = {
        "loadgate-api": {"jwt-secret": secrets.token_hex(32), "seed-token": secrets.token_hex(16)},
        "loadgate-mongodb": {"root-username": "root", "root-password": secrets.token_hex(16),
                             "app-username": "taskapi", "app-password": secrets.token_hex(16),
                             "replica-set-key": secrets.token_hex(32)},
        "loadgate-redis": {"password": secrets.token_hex(16)},
    }
    for name, data in values.items():
        args = [f"--from-literal={k}={v}" for k, v in data.items()]
        ok(kubectl("-n", "loadgate", "create", "secret", "generic", name, *args))
    root = tmp_path_factory.mktemp("volumes")
    root.chmod(0o755)
    pvs = [volume("loadgate-test-runs", "loadgate-runs", "10Gi", root),
           volume("loadgate-test-mongodb", "data-mongodb-0", "20Gi", root)]
    ok(kubectl("apply", "-f", "-", input=yaml.safe_dump_all(pvs)))
    ok(kubectl("apply", "-k", str(OVERLAY)))
    return root


def test_the_api_becomes_ready_through_its_own_probes(stack):
    proc = kubectl("-n", "loadgate", "rollout", "status", "deployment/api", "--timeout=900s", timeout=960)
    assert proc.returncode == 0, proc.stderr + describe("app.kubernetes.io/name=api")
    for name in ("redis", "locust-worker"):
        ok(kubectl("-n", "loadgate", "rollout", "status", f"deployment/{name}", "--timeout=600s"))
    ok(kubectl("-n", "loadgate", "rollout", "status", "statefulset/mongodb", "--timeout=600s"))


def test_the_smoke_run_ends_in_a_complete_job_with_a_go_verdict(stack, tmp_path):
    proc = loadgate("swarm", "status", "--wait", "--timeout", str(RUN_TIMEOUT_S))
    verdict = fetched_verdict(tmp_path)
    detail = proc.stdout + proc.stderr + logs("locust-master")
    assert expected_or_saturated(verdict, "GO"), (verdict, detail)
    assert proc.returncode == verdict["exit_code"]
    assert f"verdict {verdict['verdict']} (exit {verdict['exit_code']})" in proc.stdout
    assert job_condition("locust-master") == ("Complete" if verdict["exit_code"] == EXIT_GO else "Failed")
    assert job_condition("mongodb-init") == "Complete"


def test_the_disruption_budgets_and_the_autoscaler_are_accepted(stack):
    pdbs = json.loads(ok(kubectl("-n", "loadgate", "get", "pdb", "-o", "json")))["items"]
    assert {p["metadata"]["name"] for p in pdbs} >= {"api"}
    hpa = json.loads(ok(kubectl("-n", "loadgate", "get", "hpa", "api", "-o", "json")))
    assert hpa["spec"]["scaleTargetRef"]["name"] == "api"


def test_kubectl_top_shows_the_apis_cpu_and_memory(stack):
    def top() -> str | None:
        proc = kubectl("-n", "loadgate", "top", "pod", "-l", "app.kubernetes.io/name=api", "--no-headers")
        return proc.stdout if proc.returncode == 0 and proc.stdout.strip() else None
    rows = eventually(top, METRICS_WAIT_S, lambda: kubectl("-n", "loadgate", "top", "pod").stderr)
    for row in rows.splitlines():  # NAME CPU(cores) MEMORY(bytes), e.g. api-7c9f-x2k 12m 96Mi
        name, cpu, memory = row.split()
        assert name.startswith("api-") and cpu.endswith("m") and memory.endswith("Mi"), row


def test_the_autoscaler_reads_the_apis_cpu_utilization_from_metrics_server(stack):
    def current_cpu() -> int | None:
        hpa = json.loads(ok(kubectl("-n", "loadgate", "get", "hpa", "api", "-o", "json")))
        for metric in hpa.get("status", {}).get("currentMetrics") or []:
            if metric["type"] == "Resource" and metric["resource"]["name"] == "cpu":
                return metric["resource"]["current"].get("averageUtilization")
        return None
    utilization = eventually(current_cpu, METRICS_WAIT_S,
                             lambda: kubectl("-n", "loadgate", "describe", "hpa", "api").stdout[-2000:])
    assert utilization >= 0


def test_every_pod_runs_with_the_security_context_its_manifest_declares(stack):
    rendered = swarm.load_objects(ok(kubectl("kustomize", str(OVERLAY))))
    declared = {(o["kind"], o["metadata"]["name"]): swarm.pod_spec(o) for o in rendered if swarm.pod_spec(o)}
    pods = json.loads(ok(kubectl("-n", "loadgate", "get", "pods", "-o", "json")))["items"]
    assert pods
    names = {spec["containers"][0]["name"]: spec for spec in declared.values()}
    for pod in pods:  # the manifests' pods, and swarm fetch's reader pod: all of them hardened
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        spec = names.get(pod["spec"]["containers"][0]["name"])
        if spec is not None:
            assert pod["spec"]["securityContext"]["runAsUser"] == spec["securityContext"]["runAsUser"]
        for c in pod["spec"]["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_fetch_copies_the_run_directory_and_builds_its_report(stack, tmp_path):
    proc = loadgate("swarm", "fetch", "--out", str(tmp_path))
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    verdict = json.loads((run / "verdict.json").read_text())
    assert proc.returncode == 0, proc.stdout + proc.stderr  # fetched and reported; the verdict is the Job's
    assert expected_or_saturated(verdict, "GO"), verdict
    assert (run / "meta.json").is_file() and (run / "report.html").is_file()


def test_a_no_go_scenario_applied_by_loadgate_swarm_ends_in_a_failed_job(stack, tmp_path):
    # The smoke scenario judged by an SLO nothing can meet, deployed over the same stack by
    # `loadgate swarm apply` (the scenario file and its SLO shipped as they are, on the test overlay).
    smoke = yaml.safe_load((ROOT / "scenarios/smoke.yaml").read_text())
    (tmp_path / "slo").mkdir()
    (tmp_path / "nogo.yaml").write_text(yaml.safe_dump({**smoke, "name": "nogo", "slo": "slo/nogo.yaml"}))
    # A throughput floor, not a latency one: a latency limit below the run's calibrated floor is
    # INVALID by design, while no stack on two cores serves a million requests a second.
    impossible = {"endpoints": {"Total": {"rps": {"fail": ">= 1000000"}}}}
    (tmp_path / "slo/nogo.yaml").write_text(yaml.safe_dump(impossible))
    applied = loadgate("swarm", "apply", str(tmp_path / "nogo.yaml"), "--overlay", str(OVERLAY))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "job.batch/locust-master" in applied.stdout  # replaced: a Job's pods cannot change in place
    proc = loadgate("swarm", "status", "--wait", "--timeout", str(RUN_TIMEOUT_S))
    verdict = fetched_verdict(tmp_path / "fetched")
    master_logs = loadgate("swarm", "logs", "locust-master", "--tail", "60")
    detail = proc.stdout + proc.stderr + master_logs.stdout
    assert master_logs.returncode == 0 and master_logs.stdout.strip(), master_logs.stderr
    # The impossible floor is judged FAIL; the verdict is NO-GO, or INVALID when the run on this
    # 2-CPU node also saw a problem (its reasons are in verdict.json): never GO.
    assert verdict["run_id"].endswith("-nogo") and verdict["slo_file"].endswith("nogo.yaml"), verdict
    assert any("rps" in c["name"] and c["result"] == "fail" for c in verdict["criteria"]), (verdict, detail)
    assert verdict["verdict"] in ("NO-GO", "INVALID"), (verdict, detail)
    assert proc.returncode == verdict["exit_code"] != EXIT_GO
    assert job_condition("locust-master") == "Failed"


# --- NetworkPolicies, enforced (kube-router) --------------------------------------------------------
# The smoke run itself shows the allowed flows work (workers -> master, workers -> API, API ->
# stores). These show the rest is refused, and that the same probe passes with allowed labels,
# so a probe that reaches nothing for any reason cannot pass for enforcement. kube-router rejects
# (ICMP port unreachable) rather than drops: a refused connect fails at once, not after the timeout.

def probe_reach(name: str, namespace: str, labels: dict, targets: list[str]) -> dict[str, bool]:
    """{"host:port": connected} for a pod with ``labels`` trying each target with a TCP connect."""
    checks = " ; ".join(f"if nc -w 4 {t.replace(':', ' ')} </dev/null 2>/dev/null; then echo open {t}; "
                        f"else echo closed {t}; fi" for t in targets)
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"restartPolicy": "Never", "automountServiceAccountToken": False,
                 "containers": [{"name": "probe", "image": TOOLBOX, "imagePullPolicy": "Never",
                                 "command": ["sh", "-c", checks], "securityContext": RESTRICTED}]},
    }
    ok(kubectl("apply", "-f", "-", input=json.dumps(pod)))
    try:
        ok(kubectl("-n", namespace, "wait", f"pod/{name}", "--for=jsonpath={.status.phase}=Succeeded",
                   "--timeout=180s"))
        lines = ok(kubectl("-n", namespace, "logs", name)).split()
    finally:
        kubectl("-n", namespace, "delete", "pod", name, "--wait=false")
    result = dict(zip(lines[1::2], (word == "open" for word in lines[0::2]), strict=True))
    assert set(result) == set(targets), lines
    return result


def service_address(name: str) -> str:
    return ok(kubectl("-n", "loadgate", "get", "service", name, "-o", "jsonpath={.spec.clusterIP}"))


def test_a_pod_no_policy_allows_reaches_neither_the_api_nor_redis(stack):
    # Its own namespace's default-deny covers its egress, DNS included: Service addresses, not names.
    targets = [f"{service_address('api')}:8000", f"{service_address('redis')}:6379"]
    reach = probe_reach("probe-intruder", "loadgate", {"app.kubernetes.io/name": "intruder"}, targets)
    assert reach == dict.fromkeys(targets, False)


def test_a_worker_lookalike_from_another_namespace_is_refused_by_the_apis_ingress_policy(stack):
    # No policy in `default` limits its egress: the API's own ingress rule (workers and master of
    # its namespace only) refuses it, though it carries the workers' label.
    targets = ["api.loadgate.svc.cluster.local:8000", "redis.loadgate.svc.cluster.local:6379"]
    reach = probe_reach("probe-outsider", "default", {"app.kubernetes.io/name": "locust-worker"}, targets)
    assert reach == dict.fromkeys(targets, False)


def test_a_pod_with_the_masters_labels_reaches_the_api_and_still_not_redis(stack):
    reach = probe_reach("probe-master", "loadgate", {"app.kubernetes.io/name": "locust-master"},
                        ["api:8000", "redis:6379"])
    assert reach == {"api:8000": True, "redis:6379": False}


def eventually(check, timeout_s: float, detail):
    """``check()``'s first result that is not None, polled every 5 s for at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while (value := check()) is None:
        assert time.monotonic() < deadline, f"not within {timeout_s} s:\n{detail()}"
        time.sleep(5)
    return value


def fetched_verdict(out: Path) -> dict:
    """verdict.json of the master's run, fetched from its volume (``loadgate swarm fetch``)."""
    out.mkdir(parents=True, exist_ok=True)
    loadgate("swarm", "fetch", "--out", str(out))
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    assert runs, f"swarm fetch brought no run directory into {out}"
    return json.loads((runs[-1] / "verdict.json").read_text())


def logs(name: str) -> str:
    """The last lines of a component's logs, for a failing assertion's message."""
    return kubectl("-n", "loadgate", "logs", "-l", f"app.kubernetes.io/name={name}", "--tail=40",
                   "--all-containers", "--prefix").stdout


def describe(selector: str) -> str:
    return kubectl("-n", "loadgate", "describe", "pods", "-l", selector).stdout[-3000:]
