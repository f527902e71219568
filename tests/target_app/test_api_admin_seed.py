"""POST /admin/seed: bulk accounts for load tests, behind a token, only when configured."""

from __future__ import annotations

import uuid

from taskapi_helpers import PASSWORD, SEED_TOKEN, running, settings


def seed_body(prefix: str, users: int = 2, tasks: int = 0) -> dict:
    return {"users": users, "tasks_per_user": tasks, "password": PASSWORD, "email_prefix": prefix}


async def test_seed_does_not_exist_without_a_seed_token(tmp_path):
    async with running(settings(SEED_TOKEN=None, SQLITE_PATH=str(tmp_path / "db"))) as client:
        response = await client.post("/admin/seed", headers={"X-Seed-Token": ""}, json=seed_body("x"))
    assert response.status_code == 404


async def test_seed_with_a_wrong_token_is_403(api):
    response = await api.post("/admin/seed", headers={"X-Seed-Token": "guess"}, json=seed_body("wrong"))
    assert response.status_code == 403


async def test_seed_without_a_token_is_403(api):
    assert (await api.post("/admin/seed", json=seed_body("none"))).status_code == 403


async def test_without_the_token_the_body_is_not_even_validated(api):
    too_much = seed_body("none", users=100_000, tasks=1000)
    response = await api.post("/admin/seed", headers={"X-Seed-Token": "guess"}, json=too_much)
    assert response.status_code == 403


async def test_seeded_users_can_log_in_and_own_their_tasks(api):
    prefix = f"s{uuid.uuid4().hex[:8]}-"
    seeded = (await api.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                             json=seed_body(prefix, users=2, tasks=3))).json()
    assert (seeded["created"], seeded["existing"], seeded["tasks"]) == (2, 0, 6)
    assert [u["email"] for u in seeded["users"]] == [f"{prefix}0@loadgate.test", f"{prefix}1@loadgate.test"]
    login = await api.post("/auth/login", json={"email": seeded["users"][1]["email"], "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = (await api.get("/tasks", headers=headers)).json()["items"]
    assert len(listed) == 3
    assert {t["userId"] for t in listed} == {seeded["users"][1]["id"]}


async def test_reseeding_a_prefix_skips_existing_users_and_lists_them(api):
    prefix = f"r{uuid.uuid4().hex[:8]}-"
    first = (await api.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                            json=seed_body(prefix, users=2, tasks=1))).json()
    again = (await api.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                            json=seed_body(prefix, users=3, tasks=1))).json()
    assert (again["created"], again["existing"], again["tasks"]) == (1, 2, 1)
    assert again["users"][:2] == first["users"]


async def test_seed_sizes_are_bounded(api):
    too_many = await api.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                              json=seed_body("big", users=100_001))
    too_much = await api.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN},
                              json=seed_body("big", users=100_000, tasks=21))
    assert [e["field"] for e in too_many.json()["errors"]] == ["users"]
    assert [e["field"] for e in too_much.json()["errors"]] == ["tasks_per_user"]
