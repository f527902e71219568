"""Where things are: the source checkout (when there is one) and free local ports.

The one definition of the project's root; shipped data (scenarios, notebooks) is read through
``importlib.resources`` instead, so an installed wheel works without a checkout.
"""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The checkout this package was imported from (for an installed wheel: site-packages)."""


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port on ``host``, e.g. ``free_port()`` → ``40123``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
