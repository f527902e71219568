"""The ``loadgate`` command: a thin shell over target_app, loadtests and reports.

Exit codes (documented in the README): 0 GO / success, 1 NO-GO, 2 usage or input error,
3 WARN, 4 INVALID run, 130 interrupted.
"""

from __future__ import annotations

import typer

from loadgate.commands import reporting, running, serving, swarm

app = typer.Typer(
    name="loadgate",
    help="Load-test the task API and answer: will this release hold the load?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (serving, running, reporting, swarm):
    module.register(app)


if __name__ == "__main__":
    app()
