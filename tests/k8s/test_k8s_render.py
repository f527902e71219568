"""Every overlay renders with `kubectl kustomize`, and every object it renders is valid Kubernetes."""

from __future__ import annotations

import subprocess

import kubernetes_validate
import pytest
import yaml
from conftest import OVERLAYS
from k8s_manifests import render_tree

from loadgate import swarm

# The oldest Kubernetes the manifests promise to work on (HPA v2, PDB v1, PSA labels).
KUBERNETES_VERSION = "1.30.0"
KINDS = {"Namespace", "ConfigMap", "Service", "PersistentVolumeClaim", "Deployment", "StatefulSet", "Job",
         "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"}


def test_every_overlay_renders_the_whole_stack(overlay):
    name, objects = overlay
    kinds = {o["kind"] for o in objects}
    assert kinds == KINDS, f"{name}: kinds {sorted(kinds ^ KINDS)} differ"
    workloads = {(o["kind"], o["metadata"]["name"]) for o in objects if swarm.pod_spec(o)}
    stack = {("Deployment", "api"), ("Deployment", "redis"), ("Deployment", "locust-worker"),
             ("StatefulSet", "mongodb"), ("Job", "locust-master"), ("Job", "mongodb-init")}
    if name != "smoke":  # the plan's tiers add the message queue and Prometheus (k8s/components)
        stack |= {("StatefulSet", "rabbitmq"), ("Deployment", "events-worker"), ("Deployment", "prometheus")}
    assert workloads == stack, name


def test_every_object_validates_strictly_against_the_kubernetes_schema(overlay):
    name, objects = overlay
    errors = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")
    assert not errors, f"{name}:\n" + "\n".join(errors)


def test_the_validator_rejects_an_unknown_field(rendered):
    # Guards the test above: a misspelt field must not pass.
    deployment = next(o for o in rendered["smoke"] if o["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["securityContext"]["runAsNonRot"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_everything_lands_in_the_loadgate_namespace(overlay):
    name, objects = overlay
    stray = [f"{o['kind']}/{o['metadata']['name']}" for o in objects
             if o["kind"] != "Namespace" and o["metadata"].get("namespace") != swarm.NAMESPACE]
    assert not stray, f"{name}: outside the namespace: {stray}"


def test_scenario_configmaps_hold_every_scenario_and_slo_file(overlay, tree):
    name, objects = overlay
    scenarios, slos = swarm.scenario_files(tree)
    by_name = {o["metadata"]["name"].rsplit("-", 1)[0]: o for o in objects if o["kind"] == "ConfigMap"}
    for configmap, files in (("loadgate-scenarios", scenarios), ("loadgate-slo", slos)):
        data = by_name[configmap].get("data", {})
        assert sorted(data) == sorted(p.name for p in files), f"{name}: {configmap}"
        for path in files:
            assert data[path.name] == path.read_text(), f"{name}: {configmap}/{path.name} differs"


def test_generated_configmaps_are_referenced_by_their_hashed_names(overlay):
    # kustomize renames generated ConfigMaps with a content hash; every reference must follow.
    name, objects = overlay
    configmaps = {o["metadata"]["name"] for o in objects if o["kind"] == "ConfigMap"}
    for obj in objects:
        spec = swarm.pod_spec(obj)
        refs = [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
        for c in swarm.pod_containers(obj):
            refs += [e["valueFrom"]["configMapKeyRef"]["name"] for e in c.get("env", [])
                     if "configMapKeyRef" in e.get("valueFrom", {})]
        assert set(refs) <= configmaps, f"{name}: {obj['metadata']['name']}: {set(refs) - configmaps}"


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_overlay_of_the_checkout_renders_with_plain_kubectl_and_no_flags(name):
    # `kubectl apply -k k8s/overlays/NAME` is what a user types first: no load-restrictor flag.
    proc = subprocess.run([swarm.kubectl(), "kustomize", str(swarm.ROOT / "k8s/overlays" / name)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert {o["kind"] for o in swarm.load_objects(proc.stdout)} == KINDS


def test_the_scenario_copies_in_k8s_are_in_sync_with_scenarios():
    here = swarm.ROOT / "k8s/base/scenarios"
    files = [*here.glob("*.yaml"), *here.glob("slo/*.yaml")]
    present = {p.relative_to(here).as_posix(): p.read_text() for p in files}
    wanted = swarm.scenario_copies()
    assert sorted(present) == sorted(wanted), "run `loadgate swarm sync-scenarios`"
    stale = [rel for rel in wanted if present[rel] != wanted[rel]]
    assert not stale, f"run `loadgate swarm sync-scenarios`: {stale} differ from scenarios/"


def test_sync_scenarios_copies_new_files_and_removes_copies_of_deleted_ones(tmp_path):
    root = render_tree(tmp_path)
    (root / "scenarios/probe.yaml").write_text("name: probe\n")
    (root / "scenarios/slo/probe.yaml").write_text("p99_ms: 500\n")
    (root / "scenarios/soak.yaml").unlink()
    (root / "scenarios/slo/soak.yaml").unlink()
    swarm.sync_scenarios(root)
    here = root / "k8s/base/scenarios"
    assert (here / "probe.yaml").read_text() == "name: probe\n"
    assert (here / "slo/probe.yaml").read_text() == "p99_ms: 500\n"
    assert not (here / "soak.yaml").exists() and not (here / "slo/soak.yaml").exists()
    objects = swarm.load_objects(swarm.kustomize(root / "k8s/overlays/smoke"))
    scenarios = next(o for o in objects if o["metadata"]["name"].startswith("loadgate-scenarios-"))
    assert "probe.yaml" in scenarios["data"] and "soak.yaml" not in scenarios["data"]
