"""The live status line, and the end-of-run table.

    >>> status = StatusLine(total_s=300)
    >>> status.update(elapsed=12, users=100, rps=16.4, p95_ms=4.1, requests=197, failures=0,
    ...               hit_ratio=0.91)
      12/300s  users 100  rps 16.4  p95 4.10 ms  errors 0 (0.0%)  cache hit 91%

On a terminal the line redraws in place (rich Live); elsewhere (CI logs) it prints every 10 s.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from loadgate.runformat.figures import format_ms

PLAIN_EVERY_S = 10.0


def make_console() -> Console:
    """rich, at the terminal's width; 120 columns in logs, so the end-of-run table fits."""
    return Console() if sys.stdout.isatty() else Console(width=120)


class StatusLine:
    def __init__(self, total_s: float, console: Console | None = None):
        self.total_s = total_s
        self.console = console or Console()
        self._live: Live | None = None
        self._last_plain = 0.0

    def __enter__(self) -> StatusLine:
        if self.console.is_terminal:
            self._live = Live(Text(""), console=self.console, auto_refresh=False, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def update(self, elapsed: float, users: int, rps: float, p95_ms: float | None, requests: int,
               failures: int, hit_ratio: float | None, note: str = "") -> None:
        share = failures / requests if requests else 0.0
        self.show(f"{elapsed:5.0f}/{self.total_s:.0f}s  users {users:,}  rps {rps:,.1f}  "
                  f"p95 {format_ms(p95_ms)} ms  errors {failures:,} ({share:.1%})  "
                  f"cache hit {'-' if hit_ratio is None else f'{hit_ratio:.0%}'}{note}")

    def show(self, line: str) -> None:
        """Any line in the status's place: redrawn on a terminal, every 10 s in logs."""
        if self._live is not None:
            self._live.update(Text(line), refresh=True)
        elif time.monotonic() - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = time.monotonic()
            self.console.print(line, highlight=False)
