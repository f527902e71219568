"""One's own profile."""

from __future__ import annotations


async def test_me_is_the_callers_profile_without_password(api, alice):
    response = await api.get("/users/me", headers=alice.headers)
    assert response.status_code == 200
    assert response.json().keys() == {"id", "email", "name", "createdAt", "updatedAt"}
    assert (response.json()["id"], response.json()["email"]) == (alice.id, alice.email)


async def test_patch_me_changes_the_name(api, alice):
    response = await api.patch("/users/me", json={"name": "  Grace  "}, headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["name"] == "Grace"


async def test_patch_me_to_a_taken_email_is_409(api, alice, bob):
    response = await api.patch("/users/me", json={"email": bob.email}, headers=alice.headers)
    assert response.status_code == 409
    assert response.json()["type"] == "urn:taskapi:problem:conflict"


async def test_patch_me_with_a_null_name_is_422_naming_name(api, alice):
    response = await api.patch("/users/me", json={"name": None}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


async def test_patch_me_cannot_set_other_fields(api, alice):
    response = await api.patch("/users/me", json={"passwordHash": "x"}, headers=alice.headers)
    assert response.status_code == 422
