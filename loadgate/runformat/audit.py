"""An auditing run's records (format version 3): the ledger of its writes, its reads of the store,
and the audit's result.

    ledger_files(Path("runs/20261202-080000-resilience"))
    # -> [PosixPath('.../audit/local.jsonl')]
    read_ledger(Path(".../audit/local.jsonl"))[0].op
    # -> 'create'

``audit/<process>.jsonl`` grows as the run goes (a killed run keeps what it appended); a line a
killed writer left unfinished (no newline) is not read. ``audit/store-before.jsonl`` and
``audit/store-after.jsonl`` hold every task of every seeded account as read through the API after
seeding and after the users stopped; ``audit.json`` is computed from those files by
``reports.audit``, never inside the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from loadgate.runformat.io import read_jsonl
from loadgate.runformat.schema import AUDIT_DIR, STORE_AFTER, STORE_BEFORE, Epoch, _Model

Op = Literal["create", "update", "delete", "read"]
Outcome = Literal["ack", "unknown", "stale"]
"""``ack``: the write got its success answer; ``unknown``: a 5xx, a timeout or a lost connection
(it may or may not have been applied); ``stale``: a read older than the user's last acknowledged
write of that task."""


class LedgerEntry(_Model):
    """One line of ``audit/<process>.jsonl``: an acknowledged write, an unknown outcome or a stale read."""

    t: Epoch = Field(description="when the request was sent")
    done: Epoch = Field(description="when its answer (or its failure) came")
    user: str = Field(description="the account it was made as")
    op: Op
    outcome: Outcome
    task: str | None = Field(None, description="the task's id (None: a create whose answer never came)")
    status: int = Field(0, description="HTTP status; 0 for a timeout or a lost connection")
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="fields written (as the API echoed them when acknowledged); a stale read: what it read")
    updated_at: str | None = Field(None, description="the task's updatedAt in the answer")
    expected: dict[str, Any] | None = Field(
        None, description="a stale read: the values of the last acknowledged write it should have shown")
    expected_updated_at: str | None = None


class StoreAccount(_Model):
    """One line of ``audit/store-*.jsonl``: every task of one account, as read through the API."""

    t: Epoch
    user: str
    ok: bool = True
    error: str | None = None
    tasks: list[dict[str, Any]] = Field(default_factory=list)


class AuditFinding(_Model):
    """One lost write, phantom write or stale read, with both versions."""

    kind: Literal["lost", "phantom", "stale"]
    user: str
    task: str | None = None
    t: Epoch | None = Field(None, description="when the write (or read) was made")
    expected: dict[str, Any] | None = Field(None, description="what the ledger says should be there")
    found: dict[str, Any] | None = Field(None, description="what the store holds (None: absent)")
    note: str = ""


FINDINGS_KEPT = 100
"""Findings ``audit.json`` lists per kind (the counts are always whole)."""


class AuditResult(_Model):
    """``audit.json``: the ledger checked against the store read after the run."""

    format_version: int = 3
    measured: bool = Field(description="False when the store could not be read whole (figures are null)")
    problems: list[str] = Field(default_factory=list, description="why it was not measured")
    accounts: int = 0
    tasks_before: int = 0
    tasks_after: int = 0
    acknowledged_writes: int = 0
    unknown_writes: int = 0
    lost_writes: int | None = None
    phantom_writes: int | None = None
    stale_reads: int | None = None
    explained_by_unknown: int = Field(0, description="differences an unknown-outcome write accounts for")
    findings: list[AuditFinding] = Field(default_factory=list, description="at most FINDINGS_KEPT a kind")


def ledger_files(run: Path) -> list[Path]:
    """The ledger files of a run directory, one per generator process (sorted by name)."""
    folder = run / AUDIT_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.jsonl") if not p.name.startswith("store-"))


def read_ledger(path: Path) -> list[LedgerEntry]:
    """One process's ledger; a corrupt line is one clear RunFormatError naming the file and line."""
    return read_jsonl(path, LedgerEntry, growing=True)


def read_store(run: Path, after: bool) -> list[StoreAccount] | None:
    """The store as read after seeding (``after=False``) or after the run; None when not read."""
    path = run / (STORE_AFTER if after else STORE_BEFORE)
    return read_jsonl(path, StoreAccount, growing=True) if path.exists() else None
