"""Request and response bodies. Strict types: a JSON object where a string belongs (``{"$ne": null}``)
is a 422 naming the field, never something that could reach a query as an operator."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

Status = Literal["todo", "in_progress", "done"]
Priority = Literal["low", "medium", "high"]

# Whitespace as a JSON Schema pattern's \s means it (ECMAScript's), spelled out, so the schema and
# the checks here agree on every character (Python's \s and str.strip also take \x1c-\x1f, \x85).
SPACE_CLASS = r"\t-\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
SPACE = ("\t\n\v\f\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
         + "\u2028\u2029\u202f\u205f\u3000\ufeff")
EMAIL_PATTERN = rf"^[^@{SPACE_CLASS}]{{1,64}}@[^@{SPACE_CLASS}]{{1,255}}\.[^@.{SPACE_CLASS}]{{2,63}}$"
NOT_BLANK_PATTERN = rf"[^{SPACE_CLASS}]"
_EMAIL = re.compile(EMAIL_PATTERN)


def _email(value: str) -> str:
    value = value.strip(SPACE).lower()
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _utc(value: datetime) -> datetime:
    """Naive datetimes are UTC; aware ones are converted; both kept to the millisecond.

    A time whose UTC equivalent falls outside years 1-9999 (``0001-01-01T00:00:00+14:00``) is
    refused, a 422 naming the field, rather than an OverflowError.
    """
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the representable range once converted to UTC "
                         "(0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)") from None
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _stripped(value: str) -> str:
    """Surrounding whitespace dropped; a blank string refused."""
    value = value.strip(SPACE)
    if not value:
        raise ValueError("may not be blank")
    return value


def _schema_pattern(pattern: str) -> Any:
    """A pattern the OpenAPI schema states, checked here by the validator beside it."""
    return Field(json_schema_extra={"pattern": pattern})


# Lengths count what was sent (so the schema's maxLength holds); then whitespace is stripped.
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email),
                  _schema_pattern(rf"^[{SPACE_CLASS}]*" + EMAIL_PATTERN[1:-1] + rf"[{SPACE_CLASS}]*$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_stripped),
                 _schema_pattern(NOT_BLANK_PATTERN)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_stripped),
                  _schema_pattern(NOT_BLANK_PATTERN)]
Description = Annotated[str, StringConstraints(max_length=5000)]
_DATE_TIME_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}")


def _a_date_time_string(value: object) -> object:
    """A date and a time, as a string: lax parsing below would take ``0.5`` as epoch seconds."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_TIME_START.match(value):
        raise ValueError("not a date-time like 2031-02-03T04:05:06Z")
    return value


def _integral(value: object) -> object:
    """JSON Schema's integer: ``3.0`` is one, ``3.5``, ``true`` and ``"3"`` are not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Lax on purpose: a datetime arrives as a string, in JSON as in a query string.
UtcDatetime = Annotated[datetime, BeforeValidator(_a_date_time_string), Field(strict=False),
                        AfterValidator(_utc)]
JsonInt = Annotated[int, BeforeValidator(_integral)]


class Strict(BaseModel):
    """Strict types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Register(Strict):
    email: Email
    password: Password
    name: Name


class Login(Strict):
    # Not validated as an email: an unknown one simply fails to log in.
    email: Annotated[str, StringConstraints(min_length=1, max_length=320), AfterValidator(_stripped),
                     AfterValidator(str.lower), _schema_pattern(NOT_BLANK_PATTERN)]
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


def _not_null_in_schema(schema: dict) -> None:
    """The JSON schema of a field ``_refuse_null`` guards: it may be left out, but never null."""
    options = [option for option in schema.pop("anyOf") if option.get("type") != "null"]
    schema.update(options[0])
    schema.pop("default", None)


def omissible() -> Any:
    """The default of a partial update's field that may be omitted but not null (None: not sent)."""
    return Field(None, json_schema_extra=_not_null_in_schema)


class UserUpdate(Strict):
    name: Name | None = omissible()
    email: Email | None = omissible()

    _not_null = field_validator("name", "email", mode="before")(_refuse_null)


class TaskCreate(Strict):
    title: Title
    description: Description = ""
    status: Status = "todo"
    priority: Priority = "medium"
    dueDate: UtcDatetime | None = None


class TaskUpdate(Strict):
    """A partial update: only the fields sent change; ``dueDate: null`` clears the due date."""

    title: Title | None = omissible()
    description: Description | None = omissible()
    status: Status | None = omissible()
    priority: Priority | None = omissible()
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


class TaskFields(BaseModel):
    """A task with only the fields ``fields=`` asked for, and its ``id``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    userId: str | None = omissible()
    title: str | None = omissible()
    description: str | None = omissible()
    status: Status | None = omissible()
    priority: Priority | None = omissible()
    dueDate: datetime | None = None
    createdAt: datetime | None = omissible()
    updatedAt: datetime | None = omissible()


class TaskListQuery(BaseModel):
    """The query of ``GET /tasks`` (validated only on a cache miss: a hit was valid when filled)."""

    status: Status | None = None
    due_before: UtcDatetime | None = Field(None, description="Due strictly before this time.")
    due_after: UtcDatetime | None = Field(None, description="Due at or after this time.")
    limit: int = Field(20, ge=1, le=100, description="Tasks per page.")
    cursor: str | None = Field(None, max_length=200, description="The next_cursor of the previous page.")
    fields: str | None = Field(None, description="Comma-separated fields to return (id always).")


class TaskPage(BaseModel):
    items: list[TaskPublic | TaskFields] = Field(description="Whole tasks; with fields=, those fields.")
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

    users: JsonInt = Field(ge=1, le=MAX_SEED_USERS)
    tasks_per_user: JsonInt = Field(default=0, ge=0, le=MAX_SEED_TASKS_PER_USER,
                                    description=f"users x tasks_per_user may be at most {MAX_SEED_TASKS:,}.")
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
    draining: bool | None = None  # present, true, while the process is stopping
