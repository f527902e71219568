"""Walking rendered manifests: the objects of a YAML stream, their pod specs, the Secrets they need.

The names of the objects ``k8s/`` defines that the swarm commands look up live here too.
"""

from __future__ import annotations

import yaml

NAMESPACE = "loadgate"
MASTER = "locust-master"
WORKERS = "locust-worker"


def load_objects(manifests: str) -> list[dict]:
    """The objects of a multi-document YAML stream, skipping empty documents."""
    return [doc for doc in yaml.safe_load_all(manifests) if doc]


def pod_spec(obj: dict) -> dict:
    """The pod spec inside a Deployment, StatefulSet, Job, CronJob or Pod, else {}."""
    kind = obj.get("kind")
    spec = obj.get("spec", {})
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return spec.get("template", {}).get("spec", {})
    return {}


def pod_containers(obj: dict, init: bool = True) -> list[dict]:
    """All containers of an object's pod spec (init containers too, unless ``init`` is False)."""
    spec = pod_spec(obj)
    return [*(spec.get("initContainers", []) if init else []), *spec.get("containers", [])]


def secret_names(objects: list[dict]) -> set[str]:
    """Names of the Secrets that the pods in ``objects`` reference (env and volumes)."""
    names: set[str] = set()
    for obj in objects:
        for container in pod_containers(obj):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    names.add(ref["name"])
        for volume in pod_spec(obj).get("volumes", []):
            if "secret" in volume:
                names.add(volume["secret"]["secretName"])
    return names
