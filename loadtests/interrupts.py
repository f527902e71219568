"""SIGINT / SIGTERM during a run: the first sets a reason and an event, a second exits at once.

    >>> interrupts = Interrupts().install()
    >>> interrupts()          # True once a signal came (or the run set a reason itself)
    False
"""

from __future__ import annotations

import os
import signal
import sys

import gevent
from gevent.event import Event


class Interrupts:
    """Why the run stops early (``reason``), and an event that wakes the run loop."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.event = Event()

    def install(self) -> Interrupts:
        self._handlers = [gevent.signal_handler(sig, self._on_signal, sig)
                          for sig in (signal.SIGINT, signal.SIGTERM)]
        return self

    def uninstall(self) -> None:
        """Stop listening (gevent calls every installed handler of a signal, not only the last)."""
        for handler in getattr(self, "_handlers", ()):
            handler.cancel()
        self._handlers = []

    def stop(self, reason: str) -> None:
        """End the run early for ``reason`` (the first reason given is kept)."""
        if self.reason is None:
            self.reason = reason
        self.event.set()

    def _on_signal(self, sig: int) -> None:
        if self.reason is not None:
            sys.stderr.write("loadgate: second interrupt, exiting now\n")
            os._exit(130)
        self.stop(signal.Signals(sig).name)

    def __call__(self) -> bool:
        return self.reason is not None
