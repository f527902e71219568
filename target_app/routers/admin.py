"""Bulk seeding for load tests: registering 100k users one argon2 hash at a time takes hours.

Mounted only when ``SEED_TOKEN`` is set; every call must carry it in ``X-Seed-Token``.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header

from target_app.deps import PasswordsDep, SettingsDep, StoreDep
from target_app.logs import logger
from target_app.models import SeedRequest, SeedResult
from target_app.problems import Problem
from target_app.render import dumps, json_response
from target_app.store.base import STATUSES, new_id, utcnow
from target_app.store.guarded import GuardedStore


async def require_seed_token(settings: SettingsDep,
                             x_seed_token: Annotated[str | None, Header()] = None) -> None:
    """403 unless ``X-Seed-Token`` is the configured token; checked before the body is validated."""
    expected = (settings.SEED_TOKEN or "").encode()
    if not x_seed_token or not hmac.compare_digest(x_seed_token.encode(), expected):
        raise Problem(403, "Missing or wrong X-Seed-Token.")


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_seed_token)])

SEED_DOMAIN = "loadgate.test"
USER_BATCH = 5_000
TASK_BATCH = 10_000
PRIORITIES = ("low", "medium", "high")


def seed_email(prefix: str, index: int) -> str:
    """The email of the ``index``-th seeded user with ``prefix``."""
    return f"{prefix}{index}@{SEED_DOMAIN}"


@router.post("/seed", response_model=SeedResult)
async def seed(body: SeedRequest, store: StoreDep, passwords: PasswordsDep):
    """Create ``users`` users sharing one password (hashed once) and their tasks, in bulk.

    Re-seeding a prefix is safe: existing emails are skipped (no tasks added for them) and
    listed with their ids, so the answer always names every requested user.
    """
    password_hash = await passwords.hash(body.password)
    now = utcnow()
    ids: dict[str, str] = {}
    created = tasks = 0
    for start in range(0, body.users, USER_BATCH):
        batch: list[dict[str, Any]] = [
            {"id": new_id(), "email": seed_email(body.email_prefix, i), "name": f"Load user {i}",
             "passwordHash": password_hash, "createdAt": now, "updatedAt": now}
            for i in range(start, min(start + USER_BATCH, body.users))]
        inserted = await store.insert_users(batch)
        new_users = [u for u in batch if u["email"] in inserted]
        ids.update({u["email"]: u["id"] for u in new_users})
        existing = [u["email"] for u in batch if u["email"] not in inserted]
        if existing:
            ids.update(await store.user_ids_by_email(existing))
        created += len(new_users)
        tasks += await _seed_tasks([u["id"] for u in new_users], body.tasks_per_user, store)
    emails = [seed_email(body.email_prefix, i) for i in range(body.users)]
    logger.info("seeded users", extra={"users_created": created, "users_existing": body.users - created,
                                       "tasks_created": tasks})
    return json_response(dumps({"users": [{"email": e, "id": ids[e]} for e in emails if e in ids],
                                "created": created, "existing": body.users - created, "tasks": tasks}))


async def _seed_tasks(user_ids: list[str], per_user: int, store: GuardedStore) -> int:
    """Varied tasks (every status and priority, some overdue), newest created last."""
    if not per_user:
        return 0
    now = utcnow()
    batch: list[dict] = []
    count = 0
    for user_id in user_ids:
        for k in range(per_user):
            created = now - timedelta(minutes=per_user - k)
            batch.append({"id": new_id(), "userId": user_id, "title": f"Seeded task {k}",
                          "description": "Created by POST /admin/seed.", "status": STATUSES[k % 3],
                          "priority": PRIORITIES[k % 3], "dueDate": now + timedelta(days=k % 7 - 2),
                          "createdAt": created, "updatedAt": created})
            if len(batch) >= TASK_BATCH:
                await store.insert_tasks(batch)
                count += len(batch)
                batch = []
    if batch:
        await store.insert_tasks(batch)
        count += len(batch)
    return count
