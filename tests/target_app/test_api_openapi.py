"""The OpenAPI document says what the API does: errors, nulls, whitespace, methods, cursors."""

from __future__ import annotations

import base64
import re

import orjson
import pytest
from taskapi_helpers import PASSWORD, SEED_TOKEN

from target_app.models import NOT_BLANK_PATTERN, TaskCreate
from target_app.routers.tasks import parse_fields

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
async def document(api) -> dict:
    return (await api.get("/openapi.json")).json()


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


async def test_every_error_response_is_documented_as_problem_json(document):
    errors = {(name, status): list(response.get("content", {}))
              for name, operation in operations(document)
              for status, response in operation["responses"].items()
              if status >= "400" and name != "GET /ready"}
    assert errors and all(types == [PROBLEM_JSON] for types in errors.values()), errors


@pytest.mark.parametrize(("operation", "statuses"), [
    ("GET /tasks", {"401", "422", "429", "503"}),
    ("GET /tasks/{id}", {"401", "404", "429", "503"}),
    ("PATCH /tasks/{id}", {"400", "401", "404", "422", "429", "503"}),
    ("PATCH /users/me", {"400", "401", "404", "409", "422", "429", "503"}),
    ("POST /auth/register", {"400", "409", "422", "429", "503"}),
    ("POST /auth/login", {"400", "401", "422", "429", "503"}),
    ("POST /admin/seed", {"400", "403", "422", "503"}),
])
async def test_an_operation_documents_the_errors_it_answers(document, operation, statuses):
    documented = dict(operations(document))[operation]["responses"]
    assert {status for status in documented if status >= "400"} == statuses


async def test_authenticated_operations_declare_the_bearer_scheme(document):
    secured = {name for name, operation in operations(document)
               if operation.get("security") == [{"bearer": []}]}
    assert secured == {"GET /users/me", "PATCH /users/me", "POST /tasks", "GET /tasks", "GET /tasks/{id}",
                       "PATCH /tasks/{id}", "DELETE /tasks/{id}", "GET /analytics"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _nullable(schema: dict) -> bool:
    return any(option.get("type") == "null" for option in schema.get("anyOf", []))


async def test_partial_updates_are_nullable_in_the_schema_only_where_the_api_takes_null(document):
    schemas = document["components"]["schemas"]
    task = {name: _nullable(prop) for name, prop in schemas["TaskUpdate"]["properties"].items()}
    user = {name: _nullable(prop) for name, prop in schemas["UserUpdate"]["properties"].items()}
    assert task == {"title": False, "description": False, "status": False, "priority": False, "dueDate": True}
    assert user == {"name": False, "email": False}


async def test_patch_with_a_null_priority_is_422_naming_priority(api, alice):
    task = (await api.post("/tasks", json={"title": "t"}, headers=alice.headers)).json()
    response = await api.patch(f"/tasks/{task['id']}", json={"priority": None}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["priority"]


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/tasks/65f0c0ffee0000000000abcd", "GET, PATCH, DELETE"),
    ("DELETE", "/tasks", "GET, POST"),
    ("PUT", "/users/me", "GET, PATCH"),
    ("GET", "/auth/login", "POST"),
])
async def test_a_405_allows_every_method_of_the_path(api, method, path, allow):
    response = await api.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.parametrize("value", ["\x1c", "\x85", "\u2003", " \t", "x"])
def test_the_schema_and_the_api_agree_on_what_is_blank(value):
    """Schema patterns are ECMAScript's: their whitespace is not Python's (\\x1c, \\x85)."""
    accepted = True
    try:
        TaskCreate(title=value)
    except ValueError:
        accepted = False
    assert accepted == bool(re.search(NOT_BLANK_PATTERN, value))


async def test_a_title_is_measured_as_sent_as_the_schema_says(api, alice):
    response = await api.post("/tasks", json={"title": " " + "x" * 200}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["title"]


@pytest.mark.parametrize("fields", ["title", " title , ,status,", "title status", ",", "title,\x1c", "Title"])
async def test_the_fields_pattern_accepts_what_the_api_accepts(document, fields):
    parameters = dict(operations(document))["GET /tasks"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "fields")["schema"]["pattern"]
    try:
        parse_fields(fields)
        accepted = True
    except Exception:
        accepted = False
    assert accepted == bool(re.search(pattern, fields))


@pytest.mark.parametrize("due", [0, 1.5, True])
async def test_a_number_is_not_a_due_date(api, alice, due):
    response = await api.post("/tasks", json={"title": "t", "dueDate": due}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["dueDate"]


@pytest.mark.parametrize("due", ["0.5", "1700000000", "2031-02-03", "2031-02-03T04:05Z"])
async def test_a_due_filter_must_be_a_date_and_time(api, alice, due):
    response = await api.get("/tasks", params={"due_after": due}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["due_after"]


async def test_a_cursor_past_year_9999_is_422_naming_cursor(api, alice):
    cursor = base64.urlsafe_b64encode(orjson.dumps([2**52, "65f0c0ffee0000000000abcd"])).decode().rstrip("=")
    response = await api.get("/tasks", params={"cursor": cursor}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


async def test_seed_counts_may_be_integral_numbers_as_json_schema_integers_are(api):
    body = {"users": 1.0, "tasks_per_user": 0.0, "password": PASSWORD, "email_prefix": "integral"}
    response = await api.post("/admin/seed", headers={"X-Seed-Token": SEED_TOKEN}, json=body)
    assert response.status_code == 200, response.text
