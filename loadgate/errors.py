"""Errors the CLI turns into one clear line and a documented exit code (never a traceback)."""

from __future__ import annotations

EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_USAGE = 2
EXIT_WARN = 3
EXIT_INVALID = 4
EXIT_INTERRUPTED = 130


class InputError(Exception):
    """Bad input from the user: a file, a field or a value. Exit code 2.

    The message names what is wrong, e.g. ``scenarios/x.yaml: shape.rate: must be > 0``.
    """

    exit_code = EXIT_USAGE


VERDICT_EXIT_CODES = {"GO": EXIT_GO, "NO-GO": EXIT_NO_GO, "WARN": EXIT_WARN, "INVALID": EXIT_INVALID}
"""A gate's verdict as the exit code of ``loadgate gate`` / ``run --slo``: the one map, both ways."""


def verdict_of(exit_code: int) -> str:
    """The verdict an exit code reports (``BAD INPUT`` for 2), e.g. of a swarm's master job."""
    if exit_code == EXIT_USAGE:
        return "BAD INPUT"
    for verdict, code in VERDICT_EXIT_CODES.items():
        if code == exit_code:
            return verdict
    return f"FAILED (exit {exit_code})"
