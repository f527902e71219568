"""Locust's web UI (``loadgate ui``) as a way to run: see ``loadtests.ui_session``.

    run_ui(UiOptions(scenario, path, out=Path("runs"), workers=2), 8089)     # until Ctrl-C
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def hide_our_arguments_from_locust() -> None:
    """Show Locust's web UI an empty command line.

    It parses sys.argv with Locust's own parser to list extra options, and exits on ours
    (--web-port, --duration): our command line has been parsed already.
    """
    del sys.argv[1:]


def run_ui(opts, web_port: int, web_host: str = "127.0.0.1", on_web_ui: Callable | None = None) -> None:
    """The Locust web UI with the scenario's users and shape; each test is a run directory."""
    from loadtests.ui_session import UiSession

    UiSession(opts).serve(web_port, web_host, on_web_ui)
