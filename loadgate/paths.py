"""Where things are: the source checkout (when there is one) and free local ports.

The one definition of the project's root; shipped data (scenarios, notebooks) is read through
``importlib.resources`` instead, so an installed wheel works without a checkout.
"""

from __future__ import annotations

import socket
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The checkout this package was imported from (for an installed wheel: site-packages)."""


def scenarios_dir() -> Path:
    """The shipped scenarios (``scenarios/`` in a checkout; package data in a wheel)."""
    return Path(str(resources.files("loadgate.scenarios")))


def notebooks_dir() -> Path:
    """The shipped notebooks (``notebooks/`` in a checkout; package data in a wheel)."""
    return Path(str(resources.files("loadgate.notebooks")))


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port on ``host``, e.g. ``free_port()`` → ``40123``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
