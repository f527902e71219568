"""The embedded SQLite store: zero set-up, one file, good for demos and single-machine runs.

``sqlite3`` is blocking, so every call runs on one dedicated thread that owns the connection;
that also serialises access, which SQLite wants anyway. WAL mode lets several worker processes
share the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from target_app.store.base import Conflict, Doc, StoreUnavailable, from_ms, to_ms

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
    status TEXT NOT NULL, priority TEXT NOT NULL, due_date INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_user_created ON tasks (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS tasks_user_status ON tasks (user_id, status);
CREATE INDEX IF NOT EXISTS tasks_due_user ON tasks (due_date, user_id);
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, body BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox (created_at);
"""

USER_COLUMNS = {"email": "email", "name": "name", "passwordHash": "password_hash",
                "createdAt": "created_at", "updatedAt": "updated_at"}
TASK_COLUMNS = {"title": "title", "description": "description", "status": "status", "priority": "priority",
                "dueDate": "due_date", "createdAt": "created_at", "updatedAt": "updated_at"}
TIME_KEYS = {"createdAt", "updatedAt", "dueDate"}


def _to_db(key: str, value: Any) -> Any:
    return to_ms(value) if key in TIME_KEYS and value is not None else value


def _user_out(row: sqlite3.Row) -> Doc:
    return {"id": row["id"], "email": row["email"], "name": row["name"], "passwordHash": row["password_hash"],
            "createdAt": from_ms(row["created_at"]), "updatedAt": from_ms(row["updated_at"])}


def _task_out(row: sqlite3.Row) -> Doc:
    due = row["due_date"]
    return {"id": row["id"], "userId": row["user_id"], "title": row["title"],
            "description": row["description"], "status": row["status"], "priority": row["priority"],
            "dueDate": None if due is None else from_ms(due),
            "createdAt": from_ms(row["created_at"]), "updatedAt": from_ms(row["updated_at"])}


def _task_row(t: Doc) -> tuple[Any, ...]:
    return (t["id"], t["userId"], t["title"], t["description"], t["status"], t["priority"],
            _to_db("dueDate", t.get("dueDate")), to_ms(t["createdAt"]), to_ms(t["updatedAt"]))


def _user_row(u: Doc) -> tuple[Any, ...]:
    return (u["id"], u["email"], u["name"], u["passwordHash"], to_ms(u["createdAt"]), to_ms(u["updatedAt"]))


class SQLiteStore:
    """Users and tasks in one SQLite file."""

    kind = "sqlite"

    def __init__(self, path: str, *, timeout_ms: int = 2000) -> None:
        self.path = path
        self._timeout_s = timeout_ms / 1000
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="taskapi-sqlite")
        self._conn: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            try:
                return fn(self._connection(), *args)
            except sqlite3.IntegrityError as exc:
                raise Conflict(str(exc)) from exc
            except sqlite3.OperationalError as exc:  # locked, unreadable, disk trouble
                raise StoreUnavailable(f"SQLite: {exc}") from exc
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self._timeout_s, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conn = conn
        return self._conn

    async def setup(self) -> None:
        await self._run(lambda c: c.executescript(SCHEMA))

    async def ping(self) -> None:
        await self._run(lambda c: c.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        def close(c: sqlite3.Connection) -> None:
            c.close()
            self._conn = None
        if self._conn is not None:
            await self._run(close)
        self._thread.shutdown(wait=True)

    # Users

    async def create_user(self, user: Doc) -> None:
        await self._run(lambda c: c.execute("INSERT INTO users VALUES (?,?,?,?,?,?)", _user_row(user)))

    async def get_user(self, user_id: str) -> Doc | None:
        row = await self._run(lambda c: c.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone())
        return _user_out(row) if row else None

    async def get_user_by_email(self, email: str) -> Doc | None:
        row = await self._run(lambda c: c.execute("SELECT * FROM users WHERE email=?", (email,)).fetchone())
        return _user_out(row) if row else None

    async def update_user(self, user_id: str, changes: Doc) -> Doc | None:
        sets = ", ".join(f"{USER_COLUMNS[k]}=?" for k in changes)  # keys from our own whitelist
        values = [_to_db(k, v) for k, v in changes.items()]

        def update(c: sqlite3.Connection) -> sqlite3.Row | None:
            return c.execute(f"UPDATE users SET {sets} WHERE id=? RETURNING *", (*values, user_id)).fetchone()
        row = await self._run(update)
        return _user_out(row) if row else None

    async def insert_users(self, users: list[Doc]) -> set[str]:
        def insert(c: sqlite3.Connection) -> set[str]:
            inserted = set()
            with c:
                c.execute("BEGIN")
                for user in users:
                    cur = c.execute("INSERT OR IGNORE INTO users VALUES (?,?,?,?,?,?)", _user_row(user))
                    if cur.rowcount == 1:
                        inserted.add(user["email"])
            return inserted
        return await self._run(insert)

    async def user_ids_by_email(self, emails: Iterable[str]) -> dict[str, str]:
        wanted = list(emails)

        def find(c: sqlite3.Connection) -> dict[str, str]:
            found = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for row in c.execute(f"SELECT id, email FROM users WHERE email IN ({marks})", chunk):
                    found[row["email"]] = row["id"]
            return found
        return await self._run(find)

    # Tasks

    async def create_task(self, task: Doc) -> None:
        await self._run(lambda c: c.execute("INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?)", _task_row(task)))

    async def insert_tasks(self, tasks: list[Doc]) -> None:
        def insert(c: sqlite3.Connection) -> None:
            with c:
                c.execute("BEGIN")
                c.executemany("INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?)", map(_task_row, tasks))
        await self._run(insert)

    async def get_task(self, user_id: str, task_id: str) -> Doc | None:
        row = await self._run(lambda c: c.execute(
            "SELECT * FROM tasks WHERE id=? AND user_id=?", (task_id, user_id)).fetchone())
        return _task_out(row) if row else None

    async def list_tasks(self, user_id: str, *, status: str | None = None, due_before: datetime | None = None,
                         due_after: datetime | None = None, after: tuple[datetime, str] | None = None,
                         limit: int = 20, fields: Iterable[str] | None = None) -> list[Doc]:
        where, params = ["user_id=?"], list[object]([user_id])
        if status is not None:
            where.append("status=?")
            params.append(status)
        if due_before is not None:
            where.append("due_date < ?")
            params.append(to_ms(due_before))
        if due_after is not None:
            where.append("due_date >= ?")
            params.append(to_ms(due_after))
        if after is not None:
            created = to_ms(after[0])
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [created, created, after[1]]
        sql = (f"SELECT * FROM tasks WHERE {' AND '.join(where)} "
               "ORDER BY created_at DESC, id DESC LIMIT ?")
        rows = await self._run(lambda c: c.execute(sql, (*params, limit)).fetchall())
        tasks = [_task_out(r) for r in rows]
        if fields is not None:
            keep = set(fields) | {"id", "createdAt"}
            tasks = [{k: v for k, v in t.items() if k in keep} for t in tasks]
        return tasks

    async def update_task(self, user_id: str, task_id: str, changes: Doc) -> Doc | None:
        sets = ", ".join(f"{TASK_COLUMNS[k]}=?" for k in changes)  # keys from our own whitelist
        values = [_to_db(k, v) for k, v in changes.items()]
        row = await self._run(lambda c: c.execute(
            f"UPDATE tasks SET {sets} WHERE id=? AND user_id=? RETURNING *", (*values, task_id, user_id)
        ).fetchone())
        return _task_out(row) if row else None

    async def delete_task(self, user_id: str, task_id: str) -> bool:
        cur = await self._run(
            lambda c: c.execute("DELETE FROM tasks WHERE id=? AND user_id=?", (task_id, user_id)))
        return cur.rowcount == 1

    async def task_stats(self, user_id: str, now: datetime) -> Doc:
        def stats(c: sqlite3.Connection) -> Doc:
            counts = {r[0]: r[1] for r in c.execute(
                "SELECT status, COUNT(*) FROM tasks WHERE user_id=? GROUP BY status", (user_id,))}
            overdue = c.execute(
                "SELECT COUNT(*) FROM tasks WHERE user_id=? AND status != 'done' AND due_date < ?",
                (user_id, to_ms(now))).fetchone()[0]
            return {"counts": counts, "overdue": overdue}
        return await self._run(stats)

    # Outbox

    async def outbox_add(self, event_id: str, body: bytes, created_ms: int) -> None:
        await self._run(lambda c: c.execute("INSERT OR IGNORE INTO outbox VALUES (?,?,?)",
                                            (event_id, body, created_ms)))

    async def outbox_take(self, limit: int) -> list[tuple[str, bytes]]:
        rows = await self._run(lambda c: c.execute(
            "SELECT id, body FROM outbox ORDER BY created_at, id LIMIT ?", (limit,)).fetchall())
        return [(r["id"], bytes(r["body"])) for r in rows]

    async def outbox_remove(self, event_ids: list[str]) -> None:
        def remove(c: sqlite3.Connection) -> None:
            with c:
                c.execute("BEGIN")
                c.executemany("DELETE FROM outbox WHERE id=?", [(i,) for i in event_ids])
        await self._run(remove)

    async def outbox_count(self) -> int:
        return await self._run(lambda c: c.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
