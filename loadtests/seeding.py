"""Seeding: accounts and tasks created in bulk before measurement, outside all statistics.

    emails = seed_accounts("http://127.0.0.1:8000", token, users=1000, tasks_per_user=10,
                           password="loadgate-pass-1", tag="a1b2c3")
    emails[0]
    # -> 'lg-a1b2c3-0-0@loadgate.test'

Uses ``POST /admin/seed`` (present when the API has a ``SEED_TOKEN``) with plain ``urllib``, not
Locust's client, so no seeding request ever reaches the request event or the histograms. Each
run seeds under its own email prefix, so runs against the same database do not collide.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable

from loadtests.target import TargetError

BATCH_USERS = 5_000
SEED_TIMEOUT_S = 600.0
TOKEN_ENV = ("LOADGATE_SEED_TOKEN", "SEED_TOKEN")


def seed_token_from_env() -> str | None:
    """A remote target's seed token: ``LOADGATE_SEED_TOKEN``, else ``SEED_TOKEN`` (as in k8s/)."""
    for name in TOKEN_ENV:
        if os.environ.get(name):
            return os.environ[name]
    return None


def seed_accounts(target: str, token: str, users: int, tasks_per_user: int, password: str, tag: str,
                  should_stop: Callable[[], bool] = lambda: False) -> list[str]:
    """Create ``users`` accounts (with their tasks) in batches; returns their emails."""
    emails: list[str] = []
    for batch, start in enumerate(range(0, users, BATCH_USERS)):
        if should_stop():
            break
        count = min(BATCH_USERS, users - start)
        body = {"users": count, "tasks_per_user": tasks_per_user, "password": password,
                "email_prefix": f"lg-{tag}-{batch}-"}
        emails += [u["email"] for u in _post(target, token, body)["users"]]
    return emails


def _post(target: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        target.rstrip("/") + "/admin/seed", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Seed-Token": token},
    )
    try:
        with urllib.request.urlopen(request, timeout=SEED_TIMEOUT_S) as resp:
            data = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        hint = {403: " (wrong seed token?)", 404: " (is SEED_TOKEN set on the API?)"}.get(exc.code, "")
        raise TargetError(f"{target}: POST /admin/seed answered {exc.code}{hint}: {detail}") from None
    except (OSError, ValueError) as exc:
        raise TargetError(f"{target}: POST /admin/seed failed: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("users"), list):
        raise TargetError(f"{target}: POST /admin/seed answered something else than {{users: [...]}}")
    return data
