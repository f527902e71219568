"""Password hashing: OWASP's argon2id parameters on purpose, old hashes upgraded at sign-in, and a
bounded hashing pool that sheds sign-ins with a fast 503 instead of starving the rest of the API."""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import pytest
from pwdlib import PasswordHash
from pydantic import ValidationError
from taskapi_helpers import PASSWORD, metric, running, seed_users, settings

from target_app.settings import Settings, usable_cpus
from target_app.store.base import new_id, utcnow

OWASP_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"
OLD_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"  # pwdlib's recommended(), the API's parameters before


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.org"


async def stored_hash(client: httpx.AsyncClient, email: str) -> str:
    user = await client.app.state.services.store.get_user_by_email(email)  # type: ignore[attr-defined]
    return user["passwordHash"]


async def user_with_an_old_hash(client: httpx.AsyncClient, password: str) -> str:
    """A user stored as the API stored them before: hashed with pwdlib's recommended() parameters."""
    email, now = new_email(), utcnow()
    old_hash = await asyncio.to_thread(PasswordHash.recommended().hash, password)
    user = {"id": new_id(), "email": email, "name": "Old", "passwordHash": old_hash, "createdAt": now,
            "updatedAt": now}
    await client.app.state.services.store.create_user(user)  # type: ignore[attr-defined]
    return email


def embedded(tmp_path, **overrides: object) -> Settings:
    """An API of the test's own on the embedded store and cache."""
    return settings(MONGODB_URL=None, REDIS_URL=None, CACHE_BACKEND="memory",
                    SQLITE_PATH=str(tmp_path / "taskapi.sqlite3"), **overrides)


# ---- parameters ---------------------------------------------------------------------------------

async def test_a_new_account_is_hashed_with_owasps_argon2id_parameters(api):
    email = new_email()
    body = {"email": email, "password": "s3cret-pass", "name": "Ada"}
    response = await api.post("/auth/register", json=body)
    assert response.status_code == 201
    assert (await stored_hash(api, email)).startswith(OWASP_PREFIX)


def test_production_refuses_argon2_parameters_weaker_than_owasps_minimum():
    with pytest.raises(ValidationError, match="ARGON2_MEMORY_KIB=12288 with ARGON2_TIME_COST=2"):
        Settings(ENVIRONMENT="production", JWT_SECRET="x" * 40, ARGON2_MEMORY_KIB=12288, ARGON2_TIME_COST=2)


def test_production_accepts_an_owasp_pair_that_trades_memory_for_iterations():
    assert Settings(ENVIRONMENT="production", JWT_SECRET="x" * 40, ARGON2_MEMORY_KIB=47104,
                    ARGON2_TIME_COST=1).ARGON2_TIME_COST == 1


def test_development_may_hash_below_the_floor():
    assert Settings(ARGON2_MEMORY_KIB=1024, ARGON2_TIME_COST=1).ARGON2_MEMORY_KIB == 1024


def test_the_hashing_pool_defaults_to_one_thread_per_cpu_and_a_queue_of_eight_per_thread():
    config = Settings()
    assert config.hash_pool_size == usable_cpus()
    assert config.hash_queue_depth == 8 * config.hash_pool_size


@pytest.mark.parametrize(("cpu_max", "cpus"),
                         [("100000 100000", 1), ("150000 100000", 2), ("max 100000", None)])
def test_a_container_cpu_limit_bounds_the_cpus_the_pool_counts(tmp_path, cpu_max, cpus):
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max + "\n")
    affinity = len(os.sched_getaffinity(0))
    assert usable_cpus(path, tmp_path / "no-v1") == min(affinity, cpus or affinity)


@pytest.mark.parametrize(("quota_us", "cpus"), [("100000", 1), ("150000", 2), ("-1", None)])
def test_a_cgroup_v1_cpu_limit_bounds_the_cpus_the_pool_counts(tmp_path, quota_us, cpus):
    (tmp_path / "cpu.cfs_quota_us").write_text(quota_us + "\n")
    (tmp_path / "cpu.cfs_period_us").write_text("100000\n")
    affinity = len(os.sched_getaffinity(0))
    assert usable_cpus(tmp_path / "no-v2", tmp_path) == min(affinity, cpus or affinity)


def test_without_a_cgroup_quota_file_the_pool_counts_the_cpus_of_the_affinity(tmp_path):
    assert usable_cpus(tmp_path / "absent", tmp_path / "absent-v1") == len(os.sched_getaffinity(0))


# ---- old hashes ---------------------------------------------------------------------------------

async def test_a_user_hashed_with_the_old_parameters_signs_in_and_is_rehashed_with_the_new(api):
    email = await user_with_an_old_hash(api, "old-style-pass")
    assert (await stored_hash(api, email)).startswith(OLD_PREFIX)
    response = await api.post("/auth/login", json={"email": email, "password": "old-style-pass"})
    assert response.status_code == 200
    assert (await stored_hash(api, email)).startswith(OWASP_PREFIX)
    again = await api.post("/auth/login", json={"email": email, "password": "old-style-pass"})
    assert again.status_code == 200  # the replacement verifies


async def test_a_wrong_password_leaves_an_old_hash_as_it_was(api):
    email = await user_with_an_old_hash(api, "old-style-pass")
    before = await stored_hash(api, email)
    response = await api.post("/auth/login", json={"email": email, "password": "not-the-pass"})
    assert response.status_code == 401
    assert await stored_hash(api, email) == before


# ---- bounded hashing, load shedding -------------------------------------------------------------

async def test_sign_ins_beyond_the_hashing_queue_are_refused_503_before_any_sign_in_is_answered(tmp_path):
    """One thread, one place in the queue, hashes of about half a second: of six sign-ins at once
    two are hashed, and the others are answered at once, before either of those is done."""
    config = embedded(tmp_path, HASH_POOL_SIZE=1, HASH_QUEUE_DEPTH=1, ARGON2_TIME_COST=20)
    async with running(config) as client:
        (user,) = await seed_users(client, 1)
        shed_before = await metric(client, "taskapi_password_hashing_shed_total", operation="verify")
        order: list[int] = []

        async def sign_in() -> httpx.Response:
            response = await client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
            order.append(response.status_code)
            return response

        responses = await asyncio.gather(*(sign_in() for _ in range(6)))
        shed = [r for r in responses if r.status_code == 503]
        assert sorted(order) == [200, 200, 503, 503, 503, 503]
        assert order[:4] == [503] * 4  # refused at once, not after waiting behind the hashes
        assert await metric(client, "taskapi_password_hashing_shed_total", operation="verify") == \
            shed_before + len(shed)


async def test_a_shed_sign_in_is_a_problem_with_retry_after_in_seconds(tmp_path):
    config = embedded(tmp_path, HASH_POOL_SIZE=1, HASH_QUEUE_DEPTH=0, ARGON2_TIME_COST=20)
    async with running(config) as client:
        (user,) = await seed_users(client, 1)
        body = {"email": user.email, "password": PASSWORD}
        _, refused = await asyncio.gather(client.post("/auth/login", json=body),
                                          client.post("/auth/login", json=body))
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:taskapi:problem:overloaded"
    assert int(refused.headers["retry-after"]) >= 1


async def test_while_sign_ins_fill_the_hashing_pool_cached_reads_are_answered_ahead_of_them(tmp_path):
    """Six sign-ins queue on one hashing thread; ten cached GET /tasks sent after them are all
    answered while most of those sign-ins are still waiting for their turn."""
    config = embedded(tmp_path, HASH_POOL_SIZE=1, HASH_QUEUE_DEPTH=16, ARGON2_TIME_COST=10)
    async with running(config) as client:
        (user,) = await seed_users(client, 1, tasks_per_user=5)
        assert (await client.get("/tasks", headers=user.headers)).status_code == 200  # now cached
        passwords = client.app.state.services.passwords  # type: ignore[attr-defined]
        body = {"email": user.email, "password": PASSWORD}
        sign_ins = [asyncio.create_task(client.post("/auth/login", json=body)) for _ in range(6)]
        async def all_admitted() -> None:  # every sign-in is hashing or queued
            while passwords.in_flight < len(sign_ins):
                await asyncio.sleep(0.001)
        await asyncio.wait_for(all_admitted(), 30)
        reads = [(await client.get("/tasks", headers=user.headers)).status_code for _ in range(10)]
        signed_in_meanwhile = sum(t.done() for t in sign_ins)
        assert [r.status_code for r in await asyncio.gather(*sign_ins)] == [200] * 6
    assert reads == [200] * 10
    assert signed_in_meanwhile < len(sign_ins) // 2
