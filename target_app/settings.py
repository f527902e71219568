"""The one settings object, read from the environment (pydantic-settings).

    >>> Settings(RATE_LIMIT="100/15minutes").rate_limit
    RateLimit(requests=100, seconds=900)
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Long enough that PyJWT does not warn about a short HMAC key; refused in production.
DEFAULT_JWT_SECRET = "insecure-development-secret-change-me-0123456789"

# OWASP's argon2id configurations of equal strength (Password Storage Cheat Sheet): (memory KiB,
# iterations), each with parallelism 1. Production refuses anything weaker than all of them.
OWASP_ARGON2_FLOOR = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RateLimit:
    """``requests`` allowed per window of ``seconds``."""

    requests: int
    seconds: int


def parse_rate_limit(text: str) -> RateLimit | None:
    """Parse ``"100/15minutes"``, ``"10/second"``, ``"5000/hour"``; ``"0"`` or ``""`` means no limit.

    >>> parse_rate_limit("100/15minutes")
    RateLimit(requests=100, seconds=900)
    >>> parse_rate_limit("0") is None
    True
    """
    if text.strip() in ("", "0"):
        return None
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a rate like '100/15minutes' or '10/second' (or '0' for none)")
    count, multiple, unit = match.groups()
    seconds = int(multiple or 1) * _UNITS[unit.lower()]
    if int(count) <= 0 or seconds <= 0:
        raise ValueError(f"{text!r}: requests and window must be positive")
    return RateLimit(int(count), seconds)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
"""cgroup v2: ``<quota> <period>`` or ``max <period>``."""
CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")
"""cgroup v1 (these machines, kubelets on v1): ``cpu.cfs_quota_us`` (-1: none), ``cpu.cfs_period_us``."""


def _cpu_quota(cpu_max: Path, v1: Path) -> float | None:
    """The CPU quota in CPUs from cgroup v2, else v1; None when there is none."""
    try:
        quota, period = cpu_max.read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((v1 / "cpu.cfs_quota_us").read_text())
        return None if quota_us < 0 else quota_us / int((v1 / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None


def usable_cpus(cpu_max: Path = CGROUP_CPU_MAX, v1: Path = CGROUP_V1_CPU) -> int:
    """CPUs this process may run on: its affinity, bounded by a cgroup CPU quota (a container's
    CPU limit, which the affinity does not show), v2 or v1."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cpu_quota(cpu_max, v1)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def _default_sqlite_path() -> str:
    return str(Path.home() / ".cache" / "loadgate" / "taskapi.sqlite3")


class Settings(BaseSettings):
    """Everything the API reads from the environment. Names are a contract with the harness."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    ENVIRONMENT: Literal["development", "production"] = "development"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARN", "WARNING", "ERROR"] = "INFO"

    # Store: MongoDB when MONGODB_URL is set, else embedded SQLite.
    MONGODB_URL: str | None = None
    MONGODB_DB: str = "taskapi"
    SQLITE_PATH: str = Field(default_factory=_default_sqlite_path)
    STORE_TIMEOUT_MS: int = Field(default=2000, gt=0)
    # Where the read-heavy queries (task lists, analytics) go on a replica set, and the pool.
    MONGODB_READ_PREFERENCE: Literal["primary", "primaryPreferred", "secondary", "secondaryPreferred",
                                     "nearest"] = "primary"
    MONGODB_MAX_STALENESS_SECONDS: int = Field(default=-1, ge=-1)  # -1: no limit; else >= 90
    MONGODB_MIN_POOL_SIZE: int = Field(default=0, ge=0)
    MONGODB_MAX_POOL_SIZE: int = Field(default=100, ge=0)  # 0: no limit

    # Cache: Redis when REDIS_URL is set, else in-process ("auto"); "none" disables caching.
    REDIS_URL: str | None = None
    CACHE_BACKEND: Literal["auto", "redis", "memory", "none"] = "auto"
    CACHE_TIMEOUT_MS: int = Field(default=500, gt=0)
    USER_CACHE_SECONDS: int = Field(default=24 * 3600, gt=0)
    TASK_CACHE_SECONDS: int = Field(default=3600, gt=0)
    ANALYTICS_CACHE_SECONDS: int = Field(default=30, gt=0)

    # Stopping: on SIGTERM keep serving this long, unready and closing each connection after its
    # answer, before the graceful shutdown (target_app/draining.py). 0: stop at once.
    SHUTDOWN_DRAIN_SECONDS: float = Field(default=0.0, ge=0, le=300)

    # Auth.
    JWT_SECRET: str = DEFAULT_JWT_SECRET
    ACCESS_TOKEN_MINUTES: int = Field(default=30, gt=0)

    # Password hashing: argon2id, by default OWASP's minimum (19 MiB, 2 iterations, 1 lane); see
    # docs/api.md for the cost per hash. Hashes run in HASH_POOL_SIZE threads (default: the CPUs
    # this process may use) with at most HASH_QUEUE_DEPTH waiting (default 8 per thread); past
    # that a sign-in is answered 503 at once rather than queued behind minutes of hashing.
    ARGON2_MEMORY_KIB: int = Field(default=19456, ge=8)
    ARGON2_TIME_COST: int = Field(default=2, ge=1)
    ARGON2_PARALLELISM: int = Field(default=1, ge=1)
    HASH_POOL_SIZE: int | None = Field(default=None, gt=0)
    HASH_QUEUE_DEPTH: int | None = Field(default=None, ge=0)

    # Rate limiting: "100/15minutes"; "0" or RATE_LIMIT_ENABLED=false disables it.
    RATE_LIMIT: str = "100/15minutes"
    RATE_LIMIT_ENABLED: bool = True

    # Circuit breakers: open after this many consecutive failures, probe again after the pause.
    BREAKER_FAILURES: int = Field(default=3, gt=0)
    BREAKER_RESET_SECONDS: float = Field(default=5.0, gt=0)

    # Events: RabbitMQ when AMQP_URL is set, else an in-process queue the API consumes itself.
    # The worker (`loadgate serve-worker`) mails through SMTP_URL (smtp://host:port); without it
    # emails are written to the log. See docs/queue.md.
    AMQP_URL: str | None = None
    AMQP_TIMEOUT_MS: int = Field(default=2000, gt=0)
    SMTP_URL: str | None = None
    MAIL_FROM: str = "taskapi@localhost"
    OUTBOX_DRAIN_SECONDS: float = Field(default=1.0, gt=0)
    QUEUE_STATS_SECONDS: float = Field(default=2.0, gt=0)
    WORKER_PREFETCH: int = Field(default=16, gt=0)
    WORKER_MAX_ATTEMPTS: int = Field(default=4, gt=0)
    WORKER_RETRY_BASE_SECONDS: float = Field(default=0.5, gt=0)
    WORKER_METRICS_PORT: int = Field(default=0, ge=0, le=65535)  # 0: the worker serves no /metrics
    WORKER_METRICS_HOST: str = "127.0.0.1"

    # POST /admin/seed exists only when this is set.
    SEED_TOKEN: str | None = None

    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For / X-Forwarded-Proto
    # name the client; from anyone else those headers are ignored. Default: none, so a caller
    # cannot pick the IP it is rate-limited as.
    TRUSTED_PROXIES: str = ""

    @field_validator("RATE_LIMIT")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        parse_rate_limit(value)
        return value

    @field_validator("TRUSTED_PROXIES")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                message = f"{item!r} is not an IP address or network (like 10.0.0.5 or 10.0.0.0/8)"
                raise ValueError(message) from None
        return value

    @field_validator("LOG_LEVEL", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.ENVIRONMENT == "production":
            if self.JWT_SECRET == DEFAULT_JWT_SECRET:
                raise ValueError("JWT_SECRET: set a secret of your own; the default is refused in production")
            if len(self.JWT_SECRET.encode()) < 32:
                raise ValueError("JWT_SECRET: use at least 32 bytes in production")
        if self.MONGODB_MAX_POOL_SIZE and self.MONGODB_MIN_POOL_SIZE > self.MONGODB_MAX_POOL_SIZE:
            raise ValueError("MONGODB_MIN_POOL_SIZE: larger than MONGODB_MAX_POOL_SIZE")
        if self.MONGODB_MAX_STALENESS_SECONDS != -1 and self.MONGODB_MAX_STALENESS_SECONDS < 90:
            raise ValueError("MONGODB_MAX_STALENESS_SECONDS: -1 (no limit) or at least 90 (MongoDB's floor)")
        if self.MONGODB_MAX_STALENESS_SECONDS != -1 and self.MONGODB_READ_PREFERENCE == "primary":
            raise ValueError("MONGODB_MAX_STALENESS_SECONDS: only with a read preference other than primary")
        if self.CACHE_BACKEND == "redis" and not self.REDIS_URL:
            raise ValueError("CACHE_BACKEND=redis needs REDIS_URL")
        return self

    @model_validator(mode="after")
    def _argon2_at_least_owasp_in_production(self) -> Settings:
        memory, time_cost = self.ARGON2_MEMORY_KIB, self.ARGON2_TIME_COST
        if self.ENVIRONMENT == "production" and not any(
                memory >= floor_m and time_cost >= floor_t for floor_m, floor_t in OWASP_ARGON2_FLOOR):
            raise ValueError(
                f"ARGON2_MEMORY_KIB={memory} with ARGON2_TIME_COST={time_cost} is weaker than OWASP's "
                "minimum (19456 KiB and 2 iterations, or an equal pair); refused in production")
        if self.ARGON2_MEMORY_KIB < 8 * self.ARGON2_PARALLELISM:
            raise ValueError("ARGON2_MEMORY_KIB: argon2 needs at least 8 KiB per lane (ARGON2_PARALLELISM)")
        return self

    @property
    def rate_limit(self) -> RateLimit | None:
        """The per-caller limit, or None when rate limiting is off."""
        return parse_rate_limit(self.RATE_LIMIT) if self.RATE_LIMIT_ENABLED else None

    @property
    def trusted_proxies(self) -> list[str]:
        """The addresses and networks of ``TRUSTED_PROXIES``; empty when none is trusted."""
        return _split(self.TRUSTED_PROXIES)

    @property
    def hash_pool_size(self) -> int:
        """Threads that hash passwords: HASH_POOL_SIZE, else the CPUs this process may run on."""
        return self.HASH_POOL_SIZE or usable_cpus()

    @property
    def hash_queue_depth(self) -> int:
        """Hashes that may wait for a thread before sign-ins are shed: HASH_QUEUE_DEPTH, else 8 per thread."""
        return self.HASH_QUEUE_DEPTH if self.HASH_QUEUE_DEPTH is not None else 8 * self.hash_pool_size

    @property
    def store_kind(self) -> str:
        """``mongodb`` or ``sqlite``."""
        return "mongodb" if self.MONGODB_URL else "sqlite"

    @property
    def queue_kind(self) -> str:
        """``rabbitmq`` or ``memory``."""
        return "rabbitmq" if self.AMQP_URL else "memory"

    @property
    def cache_kind(self) -> str:
        """``redis``, ``memory`` or ``none``."""
        if self.CACHE_BACKEND == "auto":
            return "redis" if self.REDIS_URL else "memory"
        return self.CACHE_BACKEND


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
