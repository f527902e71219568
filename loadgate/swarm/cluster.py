"""kubectl against one context and namespace: apply the stack, read where the master Job is,
and turn its exit code into the verdict (the map is ``loadgate.errors``', the gate's own)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from loadgate.errors import verdict_of
from loadgate.swarm.kubectl import SwarmError, kubectl, run
from loadgate.swarm.manifests import MASTER, NAMESPACE, WORKERS, load_objects, secret_names


@dataclass
class MasterState:
    """Where the master Job is: ``pending``, ``running`` or ``finished`` (with its exit code)."""

    phase: str
    exit_code: int | None = None
    workers_ready: int = 0
    workers_wanted: int = 0

    @property
    def verdict(self) -> str | None:
        """GO / NO-GO / WARN / INVALID / BAD INPUT once finished, else None."""
        if self.exit_code is None:
            return None
        return verdict_of(self.exit_code)

    def describe(self) -> str:
        """One line for people."""
        workers = f"workers {self.workers_ready}/{self.workers_wanted} ready"
        if self.phase == "finished":
            return f"{MASTER}: finished, verdict {self.verdict} (exit {self.exit_code}); {workers}"
        return f"{MASTER}: {self.phase}; {workers}"


class Cluster:
    """kubectl against one context (the current one unless given) and namespace."""

    def __init__(self, context: str | None = None, namespace: str = NAMESPACE) -> None:
        self.binary = kubectl()
        self.context = context
        self.namespace = namespace
        self._require_context()

    def base(self) -> list[str]:
        ctx = ["--context", self.context] if self.context else []
        return [self.binary, *ctx, "--namespace", self.namespace]

    def _require_context(self) -> None:
        if self.context:
            return
        proc = subprocess.run([self.binary, "config", "current-context"], capture_output=True, text=True)
        if proc.returncode != 0 or not proc.stdout.strip():
            raise SwarmError("no kubectl context: pick a cluster with `kubectl config use-context NAME` "
                             "or pass --context")

    def kubectl(self, *args: str, input: str | None = None) -> str:
        """Run one kubectl command in this context and namespace; its stdout."""
        return run([*self.base(), *args], input=input)

    def stream(self, *args: str) -> int:
        """Run kubectl with its output going straight to the terminal (logs -f); its exit code."""
        return subprocess.run([*self.base(), *args]).returncode

    def missing_secrets(self, manifests: str) -> list[str]:
        """Secrets the manifests reference that the namespace does not have."""
        wanted = sorted(secret_names(load_objects(manifests)))
        if not wanted:
            return []
        proc = subprocess.run([*self.base(), "get", "secrets", "-o", "name"], capture_output=True, text=True)
        have = {line.removeprefix("secret/") for line in proc.stdout.split()}
        # Not allowed to list Secrets: let the apply go on; pods will say what is missing.
        return [name for name in wanted if name not in have] if proc.returncode == 0 else []

    def apply(self, manifests: str) -> str:
        """Apply the manifests, first deleting the Jobs (their pod templates cannot change)."""
        namespaces = [o for o in load_objects(manifests) if o.get("kind") == "Namespace"]
        if namespaces:  # first, so that the Secrets can be looked up in it
            self.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(namespaces))
        missing = self.missing_secrets(manifests)
        if missing:
            raise SwarmError(f"missing Secret(s) {', '.join(missing)} in namespace {self.namespace}: "
                             "create them first (docs/kubernetes.md, 'Secrets')")
        self.kubectl("delete", "job", MASTER, "mongodb-init", "--ignore-not-found", "--cascade=foreground")
        return self.kubectl("apply", "-f", "-", input=manifests)

    def master_state(self) -> MasterState:
        """The master Job's phase and, once finished, its exit code (the verdict)."""
        pods = yaml.safe_load(self.kubectl("get", "pods", "-l", f"app.kubernetes.io/name={MASTER}",
                                           "-o", "json"))["items"]
        workers = yaml.safe_load(self.kubectl("get", "deployment", WORKERS, "-o", "json"))
        wanted = workers.get("spec", {}).get("replicas", 0)
        ready = workers.get("status", {}).get("readyReplicas", 0)
        if not pods:
            return MasterState("pending", None, ready, wanted)
        newest = max(pods, key=lambda p: p["metadata"].get("creationTimestamp", ""))
        for status in newest.get("status", {}).get("containerStatuses", []):
            if status["name"] == "master":
                terminated = status.get("state", {}).get("terminated")
                if terminated:
                    return MasterState("finished", terminated["exitCode"], ready, wanted)
                if status.get("state", {}).get("running"):
                    return MasterState("running", None, ready, wanted)
        return MasterState("pending", None, ready, wanted)

    def wait(self, timeout_s: float, poll_s: float = 5.0) -> MasterState:
        """Poll until the master finished, or SwarmError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.master_state()
            if state.phase == "finished":
                return state
            if time.monotonic() > deadline:
                raise SwarmError(f"{MASTER} still {state.phase} after {timeout_s:.0f}s")
            time.sleep(poll_s)

    def fetch(self, dest: Path, run: str | None = None, image: str | None = None) -> Path:
        """Copy run directory ``run`` (default: the newest complete one) from the runs volume to ``dest``."""
        from loadgate.swarm.fetch import fetch_run

        return fetch_run(self, dest, run, image)
