"""Request and response bodies. Strict types: a JSON object where a string belongs (``{"$ne": null}``)
is a 422 naming the field, never something that could reach a query as an operator."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

Status = Literal["todo", "in_progress", "done"]
Priority = Literal["low", "medium", "high"]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _utc(value: datetime) -> datetime:
    """Naive datetimes are UTC; aware ones are converted; both kept to the millisecond."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
# Lax on purpose: FastAPI validates parsed JSON, where a datetime can only arrive as a string.
UtcDatetime = Annotated[datetime, Field(strict=False), AfterValidator(_utc)]


class Strict(BaseModel):
    """Strict types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Register(Strict):
    email: Email
    password: Password
    name: Name


class Login(Strict):
    # Not validated as an email: an unknown one simply fails to log in.
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1,
                                            max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserPublic(BaseModel):
    id: str
    email: str
    name: str
    createdAt: datetime
    updatedAt: datetime


def _refuse_null(cls, value: object) -> object:
    """In a partial update an omitted field stays as it is; an explicit null is an error."""
    if value is None:
        raise ValueError("may not be null")
    return value


class UserUpdate(Strict):
    name: Name | None = None
    email: Email | None = None

    _not_null = field_validator("name", "email", mode="before")(_refuse_null)


class TaskCreate(Strict):
    title: Title
    description: Description = ""
    status: Status = "todo"
    priority: Priority = "medium"
    dueDate: UtcDatetime | None = None


class TaskUpdate(Strict):
    """A partial update: only the fields sent change; ``dueDate: null`` clears the due date."""

    title: Title | None = None
    description: Description | None = None
    status: Status | None = None
    priority: Priority | None = None
    dueDate: UtcDatetime | None = None

    _not_null = field_validator("title", "description", "status", "priority", mode="before")(_refuse_null)


class TaskPublic(BaseModel):
    id: str
    userId: str
    title: str
    description: str
    status: Status
    priority: Priority
    dueDate: datetime | None
    createdAt: datetime
    updatedAt: datetime


class TaskListQuery(BaseModel):
    """The query of ``GET /tasks`` (validated only on a cache miss: a hit was valid when filled)."""

    status: Status | None = None
    due_before: UtcDatetime | None = Field(None, description="Due strictly before this time.")
    due_after: UtcDatetime | None = Field(None, description="Due at or after this time.")
    limit: int = Field(20, ge=1, le=100, description="Tasks per page.")
    cursor: str | None = Field(None, max_length=200, description="The next_cursor of the previous page.")
    fields: str | None = Field(None, description="Comma-separated fields to return (id always).")


class TaskPage(BaseModel):
    items: list[TaskPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last.")


class StatusCounts(BaseModel):
    todo: int
    in_progress: int
    done: int


class Analytics(BaseModel):
    counts: StatusCounts
    total: int
    overdue: int
    completion_rate: float = Field(description="done / total, 0 when there are no tasks.")


MAX_SEED_USERS = 100_000
MAX_SEED_TASKS_PER_USER = 1000
MAX_SEED_TASKS = 2_000_000


class SeedRequest(Strict):
    """Seed ``users`` users named ``{email_prefix}{i}@loadgate.test``, each with ``tasks_per_user`` tasks."""

    users: int = Field(ge=1, le=MAX_SEED_USERS)
    tasks_per_user: int = Field(default=0, ge=0, le=MAX_SEED_TASKS_PER_USER)
    password: Password
    email_prefix: Annotated[str, StringConstraints(to_lower=True,
                                                   pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,40}$")]

    @field_validator("tasks_per_user")
    @classmethod
    def _bounded_total(cls, value: int, info: ValidationInfo) -> int:
        users = info.data.get("users", 0)
        if users * value > MAX_SEED_TASKS:
            raise ValueError(f"users * tasks_per_user may be at most {MAX_SEED_TASKS} per call")
        return value


class SeededUser(BaseModel):
    email: str
    id: str


class SeedResult(BaseModel):
    users: list[SeededUser]
    created: int
    existing: int
    tasks: int


class Health(BaseModel):
    status: Literal["ok"]
    store: str
    cache: str
    queue: str = Field(description="rabbitmq, or memory (the embedded in-process queue)")


class Readiness(BaseModel):
    ready: bool
    store: Literal["ok", "unreachable"]
    cache: Literal["ok", "unreachable", "none"]
