"""Scenario files (``scenarios/*.yaml``): one validated format for every load test.

    scenario = load_scenario("scenarios/smoke.yaml")
    scenario.model, scenario.users, scenario.duration
    # -> ('closed', 20, 25.0)
    load_scenario("scenarios/broken.yaml")
    # -> InputError: scenarios/broken.yaml: rate: must be greater than 0

A bad file raises one :class:`~loadgate.errors.InputError` naming the file, the key and the
problem; the CLI prints that line and exits 2. Pure logic: importing this module does not import
Locust or gevent.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from loadgate.errors import InputError

ACTIONS: dict[str, str] = {
    "browse": "GET /tasks: the first page of the user's task list (the cache-friendly path)",
    "filter": "GET /tasks?status=..: the list filtered by a status",
    "open_task": "GET /tasks/{id}: one task the user has seen",
    "create_task": "POST /tasks: a new task",
    "update_status": "PATCH /tasks/{id}: move a task to in_progress",
    "complete_task": "PATCH /tasks/{id}: mark a task done",
    "delete_task": "DELETE /tasks/{id}: delete a task this user created (creates one if none)",
    "analytics": "GET /analytics: the user's dashboard",
    "view_profile": "GET /users/me",
    "update_profile": "PATCH /users/me: rename",
}
"""The journey steps a simulated user picks from, by weight (``mix``); each is one request."""

DEFAULT_MIX: dict[str, float] = {
    "browse": 40, "filter": 8, "open_task": 20, "create_task": 8, "update_status": 6,
    "complete_task": 5, "delete_task": 3, "analytics": 5, "view_profile": 3, "update_profile": 2,
}

DEFAULT_USER_CLASS = "loadtests.journeys:TaskApiUser"

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_seconds(value: Any) -> float:
    """A duration in seconds from a number or a string such as ``"90s"``, ``"10m"``, ``"1h30m"``.

    parse_seconds("1m30s"), parse_seconds(2.5), parse_seconds("250ms")
    # -> (90.0, 2.5, 0.25)
    """
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds or a duration like '90s', '10m', '2h'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            text += "s"
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"{value!r} is not a duration like '90s', '10m', '2h'")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise ValueError("must be a number of seconds or a duration like '90s', '10m', '2h'")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("must not be negative")
    return seconds


Seconds = Annotated[float, BeforeValidator(parse_seconds)]
Fraction = Annotated[float, Field(ge=0, le=1, description="a fraction of the peak (users or rate)")]


MAX_USERS = 1_000_000
"""Most users one run may simulate (ten times the shipped swarm-100k); beyond, spawning never ends."""
MAX_RATE = 1_000_000.0
"""Most journeys per second one run may start."""
MAX_SEED_USERS = 1_000_000
MAX_SEEDED_TASKS = 20_000_000
"""Seeding goes in batches through POST /admin/seed: beyond these it would run for hours."""


class _Strict(BaseModel):
    # No NaN or infinity anywhere: ``rate: .inf`` is no rate a run can keep.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ThinkTime(_Strict):
    """Closed model: seconds a user waits between two requests, uniform in [min, max]."""

    min: Seconds = 5.0
    max: Seconds = 7.0

    @property
    def mean(self) -> float:
        return (self.min + self.max) / 2


class Seed(_Strict):
    """Accounts and tasks created through ``POST /admin/seed`` before measurement starts."""

    users: int | None = Field(None, ge=0, le=MAX_SEED_USERS,
                              description="accounts; default: one per simulated user")
    tasks_per_user: int = Field(10, ge=0, le=10_000)
    password: str = Field("loadgate-pass-1", min_length=8)


class Constant(_Strict):
    """The peak from the start (after ``ramp_up``) to the end."""

    kind: Literal["constant"] = "constant"
    ramp_up: Seconds = 0.0


class Ramp(_Strict):
    """Linear from ``start`` to ``end`` (fractions of the peak) over ``over`` seconds, then held."""

    kind: Literal["ramp"]
    start: Fraction = 0.0
    end: Fraction = 1.0
    over: Seconds | None = None


class Steps(_Strict):
    """A staircase for capacity curves: each level held for ``step`` seconds.

    ``ramp`` seconds at the start of each step move linearly from the previous level, so new
    users (and their sign-ins) arrive spread out rather than in one burst.
    """

    kind: Literal["steps"]
    levels: list[Fraction] = Field(min_length=1)
    step: Seconds = Field(gt=0)
    ramp: Seconds = 0.0


class Spike(_Strict):
    """``base`` load, a jump to the peak at ``at`` seconds held for ``hold``, then ``base`` again."""

    kind: Literal["spike"]
    base: Fraction = 0.2
    at: Seconds
    hold: Seconds = 30.0
    ramp_up: Seconds = 0.0


class Soak(_Strict):
    """A long plateau at ``level`` after ``ramp_up``: leaks, cache churn, slow drift."""

    kind: Literal["soak"]
    level: Fraction = 1.0
    ramp_up: Seconds = 60.0


Shape = Annotated[Constant | Ramp | Steps | Spike | Soak, Field(discriminator="kind")]


class Fault(_Strict):
    """A fault injected ``at`` seconds after measurement began (``faults:``, local targets only).

    ``api`` and ``worker`` are processes the run started; ``redis`` and ``store`` the process
    listening on the 127.0.0.1 port of the local API's ``REDIS_URL`` / ``MONGODB_URL``. ``pause``
    stops the process (SIGSTOP) for ``for`` seconds, then continues it; ``kill`` is SIGKILL and the
    process stays down; ``restart`` (the API only) kills it and starts it again after ``for``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True,
                              serialize_by_alias=True)

    at: Seconds
    action: Literal["kill", "pause", "restart"]
    target: Literal["api", "worker", "redis", "store"]
    for_: Seconds | None = Field(None, alias="for", gt=0)

    @property
    def label(self) -> str:
        """``pause store at 20s for 5s``."""
        return f"{self.action} {self.target} at {self.at:g}s" + (f" for {self.for_:g}s" if self.for_ else "")


class Scenario(_Strict):
    """One load test: where, how many, in what shape, doing what, for how long."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    target: str = Field("local", description="'local' (start the API) or the API's base URL")
    env: dict[str, str] = Field(default_factory=dict, description="environment of a local target")
    api_workers: int = Field(1, ge=1, description="local target: API worker processes")
    api_replicas: int = Field(1, ge=1, le=64, description="local target: API processes behind nginx")
    slo: str | None = Field(None, description="SLO file, relative to the scenario file")
    duration: Seconds | None = Field(None, gt=0)
    model: Literal["closed", "open"] = "closed"
    users: int = Field(ge=1, le=MAX_USERS,
                       description="closed: peak concurrent users; open: most journeys in flight")
    rate: float | None = Field(None, gt=0, le=MAX_RATE,
                               description="open: peak arrivals, journeys per second")
    think_time: ThinkTime | None = None
    shape: Shape = Constant()
    mix: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MIX))
    seed: Seed = Seed()
    connections: int | None = Field(
        None, ge=1, description="shared HTTP connections per generator process (default: one per user)"
    )
    timeout: Seconds = Field(30.0, gt=0, description="per-request network timeout")
    drain_timeout: Seconds = Field(
        60.0, le=3600, description="after the load stops, how long to wait for the API's event backlog "
                                   "to empty (when it publishes events); 0: do not wait")
    user_class: str = Field(DEFAULT_USER_CLASS, pattern=r"^[\w.]+:\w+$")
    audit: bool = Field(False, description="keep a ledger of the writes and check the store after the run")
    faults: list[Fault] = Field(default_factory=list, description="faults injected (local target)")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        if value != "local" and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be 'local' or an http(s):// URL")
        return value.rstrip("/")

    @field_validator("mix")
    @classmethod
    def _mix(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(ACTIONS))
        if unknown:
            raise ValueError(f"unknown action {unknown[0]!r} (known: {', '.join(ACTIONS)})")
        if any(w < 0 or not math.isfinite(w) for w in value.values()):
            raise ValueError("weights must be finite and not negative")
        if sum(value.values()) <= 0:
            raise ValueError("weights sum to zero: give at least one action a positive weight")
        return value

    # ---- resolved views -------------------------------------------------------------------

    @property
    def think(self) -> ThinkTime:
        """The think time in force (closed model); the default is 5-7 s."""
        return self.think_time or ThinkTime()

    @property
    def seed_users(self) -> int:
        """Accounts to seed: by default one per simulated user, so users never share one."""
        return self.users if self.seed.users is None else self.seed.users

    @property
    def expected_interval_s(self) -> float:
        """Closed model: the interval between one user's requests that CO correction assumes."""
        return self.think.mean

    @property
    def planned_rps(self) -> float:
        """Requests per second at the peak: users over think time (closed), or the rate (open)."""
        if self.model == "open":
            return float(self.rate or 0.0)
        return self.users / max(self.think.mean, 1e-3)

    def slo_path(self, scenario_file: Path | None) -> Path | None:
        """The SLO file, resolved against the scenario file's folder."""
        if self.slo is None:
            return None
        base = scenario_file.parent if scenario_file else Path.cwd()
        return (base / self.slo).resolve()

    def with_overrides(self, **changes: Any) -> Scenario:
        """A copy with command-line overrides applied and validated (``None`` means unchanged).

        ``users`` scales the peak; in the open model ``rate`` scales with it.
        """
        data = self.model_dump(exclude_none=True)
        changes = {k: v for k, v in changes.items() if v is not None}
        if "users" in changes and self.model == "open" and self.rate:
            data["rate"] = self.rate * changes["users"] / self.users
        data.update(changes)
        if data.get("target", "local") != "local":  # another server: local-only settings lapse
            data.pop("env", None)
            data.pop("api_workers", None)
            data.pop("api_replicas", None)
        return validate_scenario(data, "(command line)", truncate="duration" in changes)


def _describe(err: ErrorDetails) -> tuple[str, str]:
    loc = [str(p) for p in err["loc"]]
    # Discriminated unions put the chosen tag in the path (shape.steps.levels); drop it.
    if len(loc) >= 2 and loc[0] == "shape" and loc[1] in {"constant", "ramp", "steps", "spike", "soak"}:
        del loc[1]
    # Custom validators prefix "Value error, "; parse_seconds messages are already phrased.
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif msg.startswith("Input should be"):
        msg = "must be" + msg[len("Input should be"):]
    return ".".join(loc) or "(document)", msg


def _check(s: Scenario, truncate: bool = False) -> list[tuple[str, str]]:
    """Rules that involve more than one key (``truncate``: a shorter duration is deliberate)."""
    problems = []
    if s.seed_users * s.seed.tasks_per_user > MAX_SEEDED_TASKS:
        problems.append(("seed.tasks_per_user", f"{s.seed_users * s.seed.tasks_per_user:,} tasks to seed; "
                                                f"at most {MAX_SEEDED_TASKS:,}"))
    if s.model == "open" and s.rate is None:
        problems.append(("rate", "required when model is 'open' (journeys per second)"))
    if s.model == "closed" and s.rate is not None:
        problems.append(("rate", "only for model 'open'; a closed model's rate follows from "
                                 "users and think_time"))
    if s.model == "open" and s.think_time is not None:
        problems.append(("think_time", "only for model 'closed'; in the open model arrivals set the pace"))
    if s.think_time is not None and s.think_time.min > s.think_time.max:
        problems.append(("think_time.min",
                         f"{s.think_time.min:g}s is greater than max {s.think_time.max:g}s"))
    if s.env and s.target != "local":
        problems.append(("env", "only applies to target 'local' (the API this run starts)"))
    if s.api_workers != 1 and s.target != "local":
        problems.append(("api_workers", "only applies to target 'local' (the API this run starts)"))
    if s.api_replicas != 1 and s.target != "local":
        problems.append(("api_replicas", "only applies to target 'local' (the API this run starts)"))
    problems += _fault_problems(s)
    if s.audit and not s.seed_users:
        problems.append(("audit", "needs seeded accounts (seed.users > 0): the audit reads the store "
                                  "through them"))
    if s.duration is None and not isinstance(s.shape, Steps):
        problems.append(("duration", "required key is missing"))
    if isinstance(s.shape, Steps) and s.duration is not None and not truncate:
        need = len(s.shape.levels) * s.shape.step
        if s.duration + 1e-9 < need:
            problems.append(("duration", f"{s.duration:g}s is shorter than the {len(s.shape.levels)} "
                                         f"steps of {s.shape.step:g}s ({need:g}s)"))
    if isinstance(s.shape, Steps) and s.shape.ramp >= s.shape.step:
        problems.append(("shape.ramp", f"{s.shape.ramp:g}s leaves nothing of each {s.shape.step:g}s step"))
    if isinstance(s.shape, Spike) and s.duration is not None and s.shape.at >= s.duration:
        problems.append(("shape.at", f"{s.shape.at:g}s is not before the end of the run ({s.duration:g}s)"))
    return problems


def _fault_problems(s: Scenario) -> list[tuple[str, str]]:
    """What a scenario's faults cannot do (the processes themselves are checked when the run starts)."""
    problems: list[tuple[str, str]] = []
    if s.faults and s.target != "local":
        problems.append(("faults", "only for target 'local': a run faults only processes on this machine, "
                                   f"not {s.target}"))
    for i, f in enumerate(s.faults):
        where = f"faults[{i}]"
        if f.action == "pause" and f.for_ is None:
            problems.append((f"{where}.for", "required for action 'pause' (how long the process stays "
                                             "stopped)"))
        if f.action == "restart" and f.target != "api":
            why = "a killed worker is not restarted" if f.target == "worker" else \
                "a run never restarts a process it did not start"
            problems.append((f"{where}.action", f"restart is for target 'api' only: {why}"))
        if f.action == "kill" and f.for_ is not None:
            problems.append((f"{where}.for", "not for action 'kill': a killed process stays down "
                                             "(action 'restart' brings the API back)"))
        if s.duration is not None and f.at + (f.for_ or 0) >= s.duration:
            problems.append((f"{where}.at", f"{f.label} does not end before the end of the run "
                                            f"({s.duration:g}s)"))
    return problems


def validate_scenario(data: Any, source: str, truncate: bool = False) -> Scenario:
    """Validate a parsed document; any problem becomes one InputError line naming ``source``.

    ``truncate`` accepts a duration shorter than a staircase (a command-line override).
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: (document): must be a mapping of keys to values")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        where, msg = _describe(exc.errors()[0])
        raise InputError(f"{source}: {where}: {msg}") from None
    problems = _check(scenario, truncate)
    if problems:
        raise InputError(f"{source}: {problems[0][0]}: {problems[0][1]}")
    if scenario.duration is None:  # steps: the staircase sets the length
        assert isinstance(scenario.shape, Steps)
        scenario = scenario.model_copy(update={"duration": len(scenario.shape.levels) * scenario.shape.step})
    return scenario


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file; its SLO file, if named, must exist."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such scenario file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to be a scenario") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(document)"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"{path}: {where}: {problem}") from None
    scenario = validate_scenario(data, str(path))
    slo = scenario.slo_path(path)
    if slo is not None and not slo.is_file():
        raise InputError(f"{path}: slo: {scenario.slo} does not exist (looked for {slo})")
    return scenario
