"""Registering, logging in, and which tokens open the door."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from taskapi_helpers import forge

SECRET = "test-secret-0123456789-0123456789-abcdef"  # taskapi_helpers.settings()


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@Example.ORG"


@pytest.fixture(scope="module")
async def registered(api):
    """One account made through /auth/register (argon2: made once for the module)."""
    email = new_email()
    response = await api.post("/auth/register",
                              json={"email": email, "password": "s3cret-pass", "name": "Ada"})
    assert response.status_code == 201, response.text
    return {"email": email, "password": "s3cret-pass", "user": response.json()}


async def test_register_answers_201_with_the_user_and_no_password(registered):
    user = registered["user"]
    assert set(user) == {"id", "email", "name", "createdAt", "updatedAt"}
    assert user["name"] == "Ada"


async def test_register_stores_the_email_lower_cased(registered):
    assert registered["user"]["email"] == registered["email"].lower()


async def test_registering_a_taken_email_is_409(api, registered):
    response = await api.post("/auth/register", json={"email": registered["email"].upper(),
                                                      "password": "another-pass", "name": "Eve"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "not-an-email", "password": "long-enough", "name": "A"}, "email"),
    ({"email": "a@example.org", "password": "short", "name": "A"}, "password"),
    ({"email": "a@example.org", "password": "long-enough"}, "name"),
    ({"email": "a@example.org", "password": 12345678, "name": "A"}, "password"),
])
async def test_an_invalid_registration_is_422_naming_the_field(api, body, field):
    response = await api.post("/auth/register", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert field in problem["detail"]


async def test_login_gives_a_bearer_token_that_opens_the_api(api, registered):
    response = await api.post("/auth/login", json={"email": registered["email"], "password": "s3cret-pass"})
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 30 * 60
    me = await api.get("/users/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json()["id"] == registered["user"]["id"]


async def test_login_with_a_wrong_password_is_401(api, registered):
    response = await api.post("/auth/login", json={"email": registered["email"], "password": "wrong-pass"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password."


async def test_login_with_an_unknown_email_is_the_same_401(api):
    response = await api.post("/auth/login", json={"email": new_email(), "password": "whatever-pass"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password."


async def test_a_request_without_a_token_is_401_problem(api):
    response = await api.get("/tasks")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


def claims(user_id: str, **overrides) -> dict:
    now = int(time.time())
    return {"sub": user_id, "type": "access", "iat": now, "exp": now + 600} | overrides


async def test_a_token_forged_with_the_right_secret_is_accepted(api, alice):
    """The control for the rejections below: the forging itself is sound."""
    token = forge(claims(alice.id), SECRET)
    assert (await api.get("/tasks", headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_a_tampered_token_is_401(api, alice, bob):
    header, payload, signature = alice.headers["Authorization"].removeprefix("Bearer ").split(".")
    other_payload = forge(claims(bob.id), "x" * 32).split(".")[1]
    tampered = f"{header}.{other_payload}.{signature}"
    response = await api.get("/tasks", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


async def test_an_expired_token_is_401(api, alice):
    token = forge(claims(alice.id, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), SECRET)
    response = await api.get("/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_an_alg_none_token_is_401(api, alice):
    token = forge(claims(alice.id), SECRET, algorithm="none")
    response = await api.get("/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_a_token_signed_with_another_secret_is_401(api, alice):
    token = forge(claims(alice.id), "another-secret-0123456789-0123456789")
    assert (await api.get("/tasks", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_a_token_without_expiry_is_401(api, alice):
    token = forge({"sub": alice.id, "type": "access", "iat": int(time.time())}, SECRET)
    assert (await api.get("/tasks", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_an_expired_token_is_refused_even_after_it_was_accepted(api, alice):
    token = forge(claims(alice.id, exp=int(time.time()) + 1), SECRET)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/tasks", headers=headers)).status_code == 200
    await asyncio.sleep(1.1)
    assert (await api.get("/tasks", headers=headers)).status_code == 401
