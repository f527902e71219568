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


# The one verdict <-> exit-code map: `loadgate gate`/`master` exit with these codes, and
# `loadgate swarm status` reads a Job's exit code back as its verdict.
VERDICT_EXIT_CODES = {"GO": EXIT_GO, "NO-GO": EXIT_NO_GO, "WARN": EXIT_WARN, "INVALID": EXIT_INVALID}
