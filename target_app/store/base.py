"""The store interface: users and tasks, whatever database holds them.

Two adapters implement it: ``MongoStore`` (MongoDB or FerretDB, through pymongo's
``AsyncMongoClient``) and ``SQLiteStore`` (embedded, for zero set-up). Both speak plain dicts:

    user = {"id", "email", "name", "passwordHash", "createdAt", "updatedAt"}
    task = {"id", "userId", "title", "description", "status", "priority", "dueDate",
            "createdAt", "updatedAt"}

Ids are 24 lowercase hex digits (an ObjectId) in both, times are timezone-aware UTC datetimes with
millisecond precision (what BSON keeps), so both stores give the same answers. Every task
operation takes the owner's id and filters on it: isolation is a property of the queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bson import ObjectId

STATUSES = ("todo", "in_progress", "done")
TASK_FIELDS = ("id", "userId", "title", "description", "status", "priority", "dueDate",
               "createdAt", "updatedAt")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ID = re.compile(r"^[0-9a-f]{24}$")

Doc = dict[str, Any]


class StoreError(Exception):
    """Base of the errors a store raises."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (or its breaker is open). ``retry_after`` is a hint in seconds."""

    def __init__(self, message: str = "store unavailable", retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(StoreError):
    """A unique key (a user's email) is taken."""


def new_id() -> str:
    """A fresh id: an ObjectId's 24 hex digits, which sort by creation time."""
    return str(ObjectId())


def is_id(value: str) -> bool:
    """Whether ``value`` looks like an id this API hands out."""
    return bool(_ID.match(value))


def utcnow() -> datetime:
    """Now, in UTC, truncated to the millisecond (both stores keep exactly this)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def to_ms(value: datetime) -> int:
    """Milliseconds since the epoch, exactly (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(value: int) -> datetime:
    """The UTC datetime ``value`` milliseconds after the epoch."""
    return EPOCH + timedelta(milliseconds=value)


class Store(Protocol):
    """What the API needs from a database. Adapters raise ``StoreUnavailable`` and ``Conflict``."""

    kind: str

    async def setup(self) -> None:
        """Create tables / collections and the indexes the queries rely on (idempotent)."""

    async def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the store answers."""

    async def close(self) -> None:
        """Release connections."""

    async def create_user(self, user: Doc) -> None:
        """Insert a user; ``Conflict`` if the email is taken."""

    async def get_user(self, user_id: str) -> Doc | None:
        """The user with this id, or None."""

    async def get_user_by_email(self, email: str) -> Doc | None:
        """The user with this (lower-cased) email, or None."""

    async def update_user(self, user_id: str, changes: Doc) -> Doc | None:
        """Apply ``changes`` and return the updated user, or None; ``Conflict`` on a taken email."""

    async def insert_users(self, users: list[Doc]) -> set[str]:
        """Insert many users, skipping taken emails; return the emails that were inserted."""

    async def user_ids_by_email(self, emails: Iterable[str]) -> dict[str, str]:
        """Map each existing email among ``emails`` to its user id."""

    async def create_task(self, task: Doc) -> None:
        """Insert one task."""

    async def insert_tasks(self, tasks: list[Doc]) -> None:
        """Insert many tasks."""

    async def get_task(self, user_id: str, task_id: str) -> Doc | None:
        """The task if it exists and belongs to ``user_id``, else None."""

    async def list_tasks(self, user_id: str, *, status: str | None = None, due_before: datetime | None = None,
                         due_after: datetime | None = None, after: tuple[datetime, str] | None = None,
                         limit: int = 20, fields: Iterable[str] | None = None) -> list[Doc]:
        """The user's tasks, newest first (createdAt, then id, descending), filtered.

        ``after`` is the (createdAt, id) of the last task of the previous page; ``due_before`` /
        ``due_after`` are exclusive / inclusive bounds and exclude tasks without a due date.
        ``fields`` (a projection) may leave out keys other than ``id`` and ``createdAt``.
        """

    async def update_task(self, user_id: str, task_id: str, changes: Doc) -> Doc | None:
        """Apply ``changes`` to the user's task and return it updated, or None."""

    async def delete_task(self, user_id: str, task_id: str) -> bool:
        """Delete the user's task; whether there was one."""

    async def task_stats(self, user_id: str, now: datetime) -> Doc:
        """``{"counts": {status: n}, "overdue": n}``: overdue is due before ``now`` and not done."""

    # The events outbox: events the broker could not take, kept until it can (docs/queue.md).

    async def outbox_add(self, event_id: str, body: bytes, created_ms: int) -> None:
        """Keep one event (idempotent on ``event_id``)."""

    async def outbox_take(self, limit: int) -> list[tuple[str, bytes]]:
        """Up to ``limit`` kept events, oldest first, as (id, body); they stay until removed."""

    async def outbox_remove(self, event_ids: list[str]) -> None:
        """Forget events the broker has confirmed."""

    async def outbox_count(self) -> int:
        """How many events are kept."""
