"""The MongoDB store (pymongo's ``AsyncMongoClient``), written to also run on FerretDB.

FerretDB limits shape the queries: aggregation uses only ``$sum`` / ``$count`` with one
accumulator per ``$group``; ``find_one_and_update`` is used without a projection; nothing needs a
transaction (every write touches one document, or is an unordered bulk insert).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pymongo
from bson import ObjectId
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)

from target_app.store import pool
from target_app.store.base import Conflict, Doc, StoreUnavailable, is_id
from target_app.store.pool import PoolMetrics

DUPLICATE_KEY = 11000
BULK_TIMEOUT_S = 600  # seeding writes millions of documents; per-request timeouts do not apply

# The plan's indexes: the list query, status counts, the email lookup, and due-date queries.
TASK_INDEXES = ([("userId", 1), ("createdAt", -1)], [("userId", 1), ("status", 1)],
                [("dueDate", 1), ("userId", 1)])


@contextmanager
def _translated() -> Iterator[None]:
    """Turn pymongo's errors into the store's: unreachable or timed out → ``StoreUnavailable``."""
    try:
        yield
    except DuplicateKeyError as exc:
        raise Conflict("duplicate key") from exc
    except ConnectionFailure as exc:
        raise StoreUnavailable(f"MongoDB unreachable: {exc}") from exc
    except OperationFailure as exc:
        # FerretDB reports a unique-index clash in findAndModify as an InternalError, not 11000.
        if "UNIQUE constraint failed" in str(exc):
            raise Conflict("duplicate key") from exc
        if exc.timeout:
            raise StoreUnavailable(f"MongoDB timed out: {exc}") from exc
        raise
    except PyMongoError as exc:
        if exc.timeout:
            raise StoreUnavailable(f"MongoDB timed out: {exc}") from exc
        raise


def _oid(value: str) -> ObjectId | None:
    return ObjectId(value) if is_id(value) else None


def _user_out(doc: dict[str, Any]) -> Doc:
    return {"id": str(doc["_id"]), "email": doc["email"], "name": doc.get("name", ""),
            "passwordHash": doc["passwordHash"], "createdAt": doc["createdAt"], "updatedAt": doc["updatedAt"]}


def _user_in(user: Doc) -> dict[str, Any]:
    doc = {k: v for k, v in user.items() if k != "id"}
    doc["_id"] = ObjectId(user["id"])
    return doc


def _task_out(doc: dict[str, Any]) -> Doc:
    out: Doc = {"id": str(doc["_id"])}
    for key, value in doc.items():
        if key == "userId":
            out["userId"] = str(value)
        elif key != "_id":
            out[key] = value
    return out


def _task_in(task: Doc) -> dict[str, Any]:
    doc = {k: v for k, v in task.items() if k not in ("id", "userId")}
    doc["_id"] = ObjectId(task["id"])
    doc["userId"] = ObjectId(task["userId"])
    return doc


class MongoStore:
    """Users and tasks in a MongoDB database (``users`` and ``tasks`` collections)."""

    kind = "mongodb"

    def __init__(self, url: str, database: str, *, timeout_ms: int = 2000,
                 read_preference: str = "primary", max_staleness_seconds: int = -1,
                 min_pool_size: int = 0, max_pool_size: int = 100) -> None:
        # timeoutMS bounds every operation, server selection included, so a dead server fails
        # fast and the breaker can open; bulk seeding widens it locally with pymongo.timeout().
        self._client: AsyncMongoClient = AsyncMongoClient(
            url, tz_aware=True, timeoutMS=timeout_ms, serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms, appname="taskapi", minPoolSize=min_pool_size,
            maxPoolSize=max_pool_size, event_listeners=[PoolMetrics()])
        self._db = self._client[database]
        self._users = self._db["users"]
        self._tasks = self._db["tasks"]
        # The plan's read-heavy paths (lists, analytics) may read from secondaries; single-task
        # reads and every write stay on the primary, so a read after one's own write sees it.
        self._task_reads = self._tasks.with_options(
            read_preference=pool.read_preference(read_preference, max_staleness_seconds))
        self.read_preference = read_preference
        self._outbox = self._db["outbox"]

    async def setup(self) -> None:
        with _translated():
            await self._users.create_index([("email", 1)], unique=True)
            for keys in TASK_INDEXES:
                await self._tasks.create_index(keys)
            await self._outbox.create_index([("createdAt", 1)])

    async def ping(self) -> None:
        with _translated():
            await self._db.command("ping")

    async def close(self) -> None:
        await self._client.close()

    # Users

    async def create_user(self, user: Doc) -> None:
        with _translated():
            await self._users.insert_one(_user_in(user))

    async def get_user(self, user_id: str) -> Doc | None:
        oid = _oid(user_id)
        if oid is None:
            return None
        with _translated():
            doc = await self._users.find_one({"_id": oid})
        return _user_out(doc) if doc else None

    async def get_user_by_email(self, email: str) -> Doc | None:
        with _translated():
            doc = await self._users.find_one({"email": email})
        return _user_out(doc) if doc else None

    async def update_user(self, user_id: str, changes: Doc) -> Doc | None:
        oid = _oid(user_id)
        if oid is None:
            return None
        with _translated():
            doc = await self._users.find_one_and_update(
                {"_id": oid}, {"$set": changes}, return_document=ReturnDocument.AFTER)
        return _user_out(doc) if doc else None

    async def insert_users(self, users: list[Doc]) -> set[str]:
        if not users:
            return set()
        rejected: set[int] = set()
        with pymongo.timeout(BULK_TIMEOUT_S), _translated():
            try:
                await self._users.insert_many([_user_in(u) for u in users], ordered=False)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                rejected = {e["index"] for e in errors}
        return {u["email"] for i, u in enumerate(users) if i not in rejected}

    async def user_ids_by_email(self, emails: Iterable[str]) -> dict[str, str]:
        wanted = list(emails)
        found: dict[str, str] = {}
        with pymongo.timeout(BULK_TIMEOUT_S), _translated():
            for start in range(0, len(wanted), 1000):
                cursor = self._users.find({"email": {"$in": wanted[start:start + 1000]}}, {"email": 1})
                async for doc in cursor:
                    found[doc["email"]] = str(doc["_id"])
        return found

    # Tasks

    async def create_task(self, task: Doc) -> None:
        with _translated():
            await self._tasks.insert_one(_task_in(task))

    async def insert_tasks(self, tasks: list[Doc]) -> None:
        if tasks:
            with pymongo.timeout(BULK_TIMEOUT_S), _translated():
                await self._tasks.insert_many([_task_in(t) for t in tasks], ordered=False)

    async def get_task(self, user_id: str, task_id: str) -> Doc | None:
        oid, uid = _oid(task_id), _oid(user_id)
        if oid is None or uid is None:
            return None
        with _translated():
            doc = await self._tasks.find_one({"_id": oid, "userId": uid})
        return _task_out(doc) if doc else None

    async def list_tasks(self, user_id: str, *, status: str | None = None, due_before: datetime | None = None,
                         due_after: datetime | None = None, after: tuple[datetime, str] | None = None,
                         limit: int = 20, fields: Iterable[str] | None = None) -> list[Doc]:
        uid = _oid(user_id)
        if uid is None:
            return []
        query: dict[str, Any] = {"userId": uid}
        if status is not None:
            query["status"] = status
        due: dict[str, datetime] = {}
        if due_before is not None:
            due["$lt"] = due_before
        if due_after is not None:
            due["$gte"] = due_after
        if due:
            query["dueDate"] = due
        if after is not None:
            created, last_id = after
            query["$or"] = [{"createdAt": {"$lt": created}},
                            {"createdAt": created, "_id": {"$lt": ObjectId(last_id)}}]
        projection = None
        if fields is not None:
            projection = {f: 1 for f in fields if f != "id"} | {"createdAt": 1}
        with _translated():
            cursor = self._task_reads.find(query, projection).sort(
                [("createdAt", -1), ("_id", -1)]).limit(limit)
            return [_task_out(doc) async for doc in cursor]

    async def update_task(self, user_id: str, task_id: str, changes: Doc) -> Doc | None:
        oid, uid = _oid(task_id), _oid(user_id)
        if oid is None or uid is None:
            return None
        with _translated():
            doc = await self._tasks.find_one_and_update(
                {"_id": oid, "userId": uid}, {"$set": changes}, return_document=ReturnDocument.AFTER)
        return _task_out(doc) if doc else None

    async def delete_task(self, user_id: str, task_id: str) -> bool:
        oid, uid = _oid(task_id), _oid(user_id)
        if oid is None or uid is None:
            return False
        with _translated():
            result = await self._tasks.delete_one({"_id": oid, "userId": uid})
        return result.deleted_count == 1

    async def task_stats(self, user_id: str, now: datetime) -> Doc:
        uid = _oid(user_id)
        if uid is None:
            return {"counts": {}, "overdue": 0}
        # Two pipelines, each FerretDB-safe: one $sum accumulator per $group, and a $count stage.
        by_status: list[dict[str, Any]] = [{"$match": {"userId": uid}},
                                           {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        overdue: list[dict[str, Any]] = [
            {"$match": {"userId": uid, "status": {"$ne": "done"}, "dueDate": {"$lt": now}}},
            {"$count": "n"}]
        with _translated():
            groups, late = await asyncio.gather(self._aggregate(by_status), self._aggregate(overdue))
        return {"counts": {g["_id"]: int(g["n"]) for g in groups},
                "overdue": int(late[0]["n"]) if late else 0}

    async def _aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cursor = await self._task_reads.aggregate(pipeline)
        return await cursor.to_list()

    # Outbox (one document per event, keyed by the event's id)

    async def outbox_add(self, event_id: str, body: bytes, created_ms: int) -> None:
        with _translated():
            await self._outbox.update_one({"_id": event_id},
                                          {"$setOnInsert": {"body": body, "createdAt": created_ms}},
                                          upsert=True)

    async def outbox_take(self, limit: int) -> list[tuple[str, bytes]]:
        with _translated():
            docs = await self._outbox.find({}).sort([("createdAt", 1), ("_id", 1)]).limit(limit).to_list()
        return [(d["_id"], bytes(d["body"])) for d in docs]

    async def outbox_remove(self, event_ids: list[str]) -> None:
        if event_ids:
            with _translated():
                await self._outbox.delete_many({"_id": {"$in": event_ids}})

    async def outbox_count(self) -> int:
        with _translated():
            return await self._outbox.count_documents({})
