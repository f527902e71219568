"""Reading rendered manifests the way the cluster would: find a container, resolve its env.

    >>> expand("--target $(TARGET_URL)", {"TARGET_URL": "http://api:8000"})
    '--target http://api:8000'
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from loadgate import swarm
from loadgate.swarm import pod_containers

_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: known names are replaced, $$ escapes, unknown stay as written."""
    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))
    return _REF.sub(one, text)


def find(objects: list[dict], kind: str, name: str) -> dict:
    """The one object of this kind and name (generated names match on their prefix)."""
    hits = [o for o in objects if o["kind"] == kind and
            (o["metadata"]["name"] == name or o["metadata"]["name"].startswith(name + "-"))]
    assert len(hits) == 1, f"{kind}/{name}: found {len(hits)}"
    return hits[0]


def container(objects: list[dict], kind: str, name: str, container_name: str) -> dict:
    """A container of the workload ``kind/name``."""
    for c in pod_containers(find(objects, kind, name), init=False):
        if c["name"] == container_name:
            return c
    raise AssertionError(f"{kind}/{name} has no container {container_name}")


def resolve_env(c: dict, objects: list[dict], secrets: dict[tuple[str, str], str]) -> dict[str, str]:
    """The container's environment: ConfigMap keys looked up, Secrets from ``secrets``, $(VAR) expanded."""
    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for item in c.get("env", []):
        source = item.get("valueFrom", {})
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[item["name"]] = configmaps[ref["name"]][ref["key"]]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = secrets[(ref["name"], ref["key"])]
        else:
            env[item["name"]] = expand(item.get("value", ""), env)
    return env


def command_line(c: dict, env: dict[str, str]) -> list[str]:
    """command + args with $(VAR) expanded, as the kubelet runs them."""
    return [expand(a, env) for a in [*c.get("command", []), *c.get("args", [])]]


def render_tree(root: Path) -> Path:
    """A copy of k8s/ and scenarios/ under ``root``, with its scenario copies freshly synced; its root."""
    shutil.copytree(swarm.ROOT / "k8s", root / "k8s")
    shutil.copytree(swarm.ROOT / "scenarios", root / "scenarios")
    swarm.sync_scenarios(root)
    return root
