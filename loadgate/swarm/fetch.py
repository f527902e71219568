"""Copying a run directory out of the runs volume: a reader pod mounts only that volume (the
master Job's pod is gone once it ended), ``kubectl cp`` copies the run, the pod is removed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from loadgate.paths import ROOT
from loadgate.swarm.kubectl import SwarmError
from loadgate.swarm.manifests import MASTER, NAMESPACE

if TYPE_CHECKING:
    from loadgate.swarm.cluster import Cluster

READER = "loadgate-runs-reader"


def reader_pod(image: str, namespace: str = NAMESPACE) -> dict:
    """A pod that only mounts the runs volume, so ``kubectl cp`` can read it after the Job ended."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": READER, "namespace": namespace,
                     "labels": {"app.kubernetes.io/name": READER, "app.kubernetes.io/part-of": "loadgate"}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "activeDeadlineSeconds": 3600,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "reader",
                "image": image,
                "command": ["sleep", "3600"],
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                              "limits": {"cpu": "200m", "memory": "128Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}},
                "volumeMounts": [{"name": "runs", "mountPath": "/runs", "readOnly": True}],
            }],
            "volumes": [{"name": "runs", "persistentVolumeClaim": {"claimName": "loadgate-runs"}}],
        },
    }


def fetch_run(cluster: Cluster, dest: Path, run: str | None = None, image: str | None = None) -> Path:
        """Copy run directory ``run`` (default: the newest complete one) from the runs volume to ``dest``."""
        image = image or harness_image(cluster)
        pod = yaml.safe_dump(reader_pod(image, cluster.namespace))
        cluster.kubectl("apply", "-f", "-", input=pod)
        try:
            cluster.kubectl("wait", "--for=condition=Ready", f"pod/{READER}", "--timeout=300s")
            # Complete runs only: a run in progress is `.<run_id>.partial`, hidden from ls.
            names = cluster.kubectl("exec", READER, "--", "ls", "-1t", "/runs").split()
            if not names:
                raise SwarmError("no run directory in the runs volume yet")
            if run is None:
                run = names[0]
            elif run not in names:
                raise SwarmError(f"run {run!r} not in the runs volume (have: {', '.join(names[:10])})")
            dest.mkdir(parents=True, exist_ok=True)
            cluster.kubectl("cp", f"{cluster.namespace}/{READER}:/runs/{run}", str(dest / run))
            return dest / run
        finally:
            subprocess.run([*cluster.base(), "delete", "pod", READER, "--ignore-not-found", "--wait=false"],
                           capture_output=True)


def harness_image(cluster: Cluster) -> str:
    """The image the master Job runs: it has tar, which kubectl cp needs."""
    job = yaml.safe_load(cluster.kubectl("get", "job", MASTER, "-o", "json"))
    return job["spec"]["template"]["spec"]["containers"][0]["image"]


def local_slo(run_dir: Path, root: Path = ROOT) -> Path | None:
    """This checkout's copy of the SLO file a fetched run names: the pods saw ``scenarios/`` at
    ``/scenarios``. None when the run names none, or it is not here."""
    name = json.loads((run_dir / "meta.json").read_text()).get("slo_file") or ""
    if not name.startswith("/scenarios/"):
        return None
    candidate = root / "scenarios" / name.removeprefix("/scenarios/")
    return candidate if candidate.is_file() else None
