"""What a run records about where it came from: the commit, package versions, a unique run id.

    run_id(Path("runs"), "smoke", time.time())
    # -> '20261128-130000-smoke'
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from importlib import metadata
from pathlib import Path

from loadgate.paths import ROOT

PACKAGES = ("loadgate", "locust", "gevent", "geventhttpclient", "hdrhistogram", "psutil", "pydantic",
            "prometheus-client")


def git_commit() -> str | None:
    """The checkout's commit, with ``+dirty`` when tracked files changed; None outside a checkout."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("+dirty" if dirty else "")) or None


def packages() -> dict[str, str]:
    """Versions of the packages a run's numbers depend on."""
    found = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def run_id(out: Path, name: str, created: float) -> str:
    """``<local time>-<scenario>``, with ``-2``, ``-3``... when that folder exists already."""
    base = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(created))}-{name}"
    found, n = base, 1
    while (out / found).exists() or (out / f".{found}.partial").exists():
        n += 1
        found = f"{base}-{n}"
    return found
