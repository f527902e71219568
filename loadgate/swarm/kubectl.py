"""Finding kubectl and running it: any failure is a ``SwarmError``, one line, exit code 2."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from loadgate.errors import InputError


class SwarmError(InputError):
    """kubectl, a context, an overlay or a scenario is missing. Exit code 2."""


def kubectl() -> str:
    """The kubectl binary, or SwarmError."""
    found = shutil.which("kubectl")
    if not found:
        raise SwarmError("kubectl not found on PATH: install kubectl (1.27 or newer) to use `loadgate swarm`")
    return found


def run(args: list[str], *, input: str | None = None) -> str:
    """Run a kubectl command line; its stdout, or SwarmError with kubectl's last line of complaint."""
    proc = subprocess.run(args, input=input, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise SwarmError(f"{' '.join(args[:3])}: {detail[-1] if detail else f'exit {proc.returncode}'}")
    return proc.stdout


def kustomize(directory: Path) -> str:
    """``kubectl kustomize`` of one directory, with no flags: what ``kubectl apply -k`` applies."""
    return run([kubectl(), "kustomize", str(directory)])
