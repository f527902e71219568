"""Every overlay renders with `kubectl kustomize`, and every object it renders is valid Kubernetes."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

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
    assert workloads == {("Deployment", "api"), ("Deployment", "redis"), ("Deployment", "locust-worker"),
                         ("StatefulSet", "mongodb"), ("Job", "locust-master"), ("Job", "mongodb-init")}


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
