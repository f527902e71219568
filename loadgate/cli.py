"""The ``loadgate`` command: a thin shell over target_app, loadtests and reports.

Exit codes (documented in the README): 0 GO / success, 1 NO-GO, 2 usage or input error,
3 WARN, 4 INVALID run, 130 interrupted.
"""

from __future__ import annotations

import sys

import typer
from typer._click import exceptions as click_errors  # typer's own click: its errors are these
from typer.core import TyperGroup

from loadgate.commands import reporting, running, serving, swarm


class OneLineUsageErrors(TyperGroup):
    """A usage error (an option out of range, a missing argument) as one line naming the option,
    and a hint: not click's usage block and error panel."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        # click's main() takes standalone_mode among its positional parameters too; we pass it by name.
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except click_errors.UsageError as exc:
            command = "loadgate" + (f" {exc.ctx.info_name}" if exc.ctx and exc.ctx.parent else "")
            typer.echo(f"{command}: {exc.format_message()}  (see '{command} --help')", err=True)
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineUsageErrors,
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
