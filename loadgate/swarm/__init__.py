"""The swarm on Kubernetes: render ``k8s/`` with kustomize, and drive it with kubectl.

Rendering wraps an overlay in a throw-away kustomization that carries the current scenario
files, the scenario to run and, if asked, another worker count:

    manifests = render("smoke", overlay="smoke", workers=2)   # YAML, ready for kubectl apply

``Cluster`` runs kubectl against one context and namespace: ``apply``, ``master_state``,
``logs`` and ``fetch`` (copy a run directory back). Without kubectl, or without a context, each
raises ``SwarmError``: one line, exit code 2.

One module per job: ``kubectl`` (finding and running it), ``manifests`` (walking rendered
objects), ``render`` (overlays, scenario files, validation), ``cluster`` (apply, status, the
verdict), ``fetch`` (the reader pod that copies a run directory out of the runs volume).
"""

from loadgate.paths import ROOT
from loadgate.swarm.cluster import Cluster, MasterState
from loadgate.swarm.fetch import READER, local_slo, reader_pod
from loadgate.swarm.kubectl import SwarmError, kubectl, kustomize
from loadgate.swarm.manifests import (
    MASTER,
    NAMESPACE,
    WORKERS,
    load_objects,
    pod_containers,
    pod_spec,
    secret_names,
)
from loadgate.swarm.render import (
    GENERATED,
    overlays,
    render,
    resolve_scenario,
    resolve_slo,
    scenario_copies,
    scenario_files,
    sync_scenarios,
)

__all__ = [
    "GENERATED", "MASTER", "NAMESPACE", "READER", "ROOT", "WORKERS", "Cluster", "MasterState", "SwarmError",
    "kubectl", "kustomize", "load_objects", "local_slo", "overlays", "pod_containers", "pod_spec",
    "reader_pod", "render", "resolve_scenario", "resolve_slo", "scenario_copies", "scenario_files",
    "secret_names", "sync_scenarios",
]
