"""Passwords (argon2id through pwdlib) and access tokens (HS256 JWTs through PyJWT).

Hashing is deliberately slow (tens of milliseconds of CPU), so it never runs on the event loop:
:class:`Passwords` runs it in a pool of its own threads (argon2-cffi releases the GIL) and lets
only a bounded number of hashes wait for one. Past that, a sign-in is answered 503 with
Retry-After at once: a burst of sign-ins cannot queue minutes of CPU in front of every other
request, and the client learns to come back instead of timing out.

Verified tokens are remembered until they expire: a repeat request skips the HMAC and JSON
work, while a tampered token is a different string and is verified from scratch.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from target_app import metrics
from target_app.problems import Problem
from target_app.settings import Settings

ALGORITHM = "HS256"
OVERLOADED_TYPE = "urn:taskapi:problem:overloaded"
T = TypeVar("T")


def password_hasher(settings: Settings) -> PasswordHash:
    """argon2id with the configured parameters. A hash made with other parameters (older, or
    pwdlib's defaults) still verifies, and ``verify_and_update`` hands back its replacement."""
    argon2 = Argon2Hasher(time_cost=settings.ARGON2_TIME_COST, memory_cost=settings.ARGON2_MEMORY_KIB,
                          parallelism=settings.ARGON2_PARALLELISM)
    return PasswordHash((argon2,))


class HashingBusy(Problem):
    """Every hashing thread is busy and the queue is full: 503, come back after ``retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(503, "Too many sign-ins at once; the request was not carried out. Retry shortly.",
                         type_=OVERLOADED_TYPE, headers={"Retry-After": str(retry_after)})


class Passwords:
    """Hashes and verifies passwords in ``pool_size`` threads, with at most ``queue_depth`` waiting.

        passwords = Passwords(password_hasher(settings), pool_size=2, queue_depth=16)
        stored = await passwords.hash("s3cret-pass")
        ok, rehashed = await passwords.verify("s3cret-pass", stored)  # rehashed: None, or the new hash

    A call beyond the bound raises :class:`HashingBusy` without waiting, counted in
    ``taskapi_password_hashing_shed_total``.
    """

    def __init__(self, hasher: PasswordHash, *, pool_size: int, queue_depth: int) -> None:
        self._hasher = hasher
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="taskapi-hash")
        self.pool_size = pool_size
        self.capacity = pool_size + queue_depth
        self._admitted = 0  # running or waiting; released by the worker thread when a call ends
        self._lock = threading.Lock()
        self._mean_s = 0.05  # running mean of one call, for Retry-After; replaced by measurements
        self._dummy: str | None = None

    @property
    def in_flight(self) -> int:
        """Calls running or waiting for a thread."""
        return self._admitted

    async def hash(self, password: str) -> str:
        """An argon2id hash of ``password`` with the configured parameters."""
        return await self._run("hash", self._hasher.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """Whether ``password`` matches, and a replacement hash when the stored one has other parameters.

        ``password_hash`` None (no such user) verifies against a dummy hash all the same, so a
        sign-in takes as long whether or not the email exists.
        """
        if password_hash is None:
            if self._dummy is None:
                self._dummy = await self.hash("not-a-real-password")
            await self._run("verify", self._hasher.verify, "not-the-password", self._dummy)
            return False, None
        return await self._run("verify", self._hasher.verify_and_update, password, password_hash)

    def retry_after(self) -> int:
        """Seconds until the full queue has drained, at the measured pace (at least 1)."""
        return max(1, math.ceil(self.capacity * self._mean_s / self.pool_size))

    def close(self) -> None:
        """Stop the threads; calls still waiting are cancelled."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, operation: str, fn: Callable[..., T], *args: object) -> T:
        with self._lock:
            admitted = self._admitted < self.capacity
            if admitted:
                self._admitted += 1
        if not admitted:
            metrics.count_hashing_shed(operation)
            raise HashingBusy(self.retry_after())
        future = self._executor.submit(self._timed, fn, *args)
        future.add_done_callback(self._release)  # also when cancelled before it ran
        return await asyncio.wrap_future(future)

    def _timed(self, fn: Callable[..., T], *args: object) -> T:
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self._mean_s += (time.perf_counter() - started - self._mean_s) * 0.2

    def _release(self, _future: Future) -> None:
        with self._lock:
            self._admitted -= 1


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None."""
    scheme, _, token = authorization.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid access token speaks for."""

    user_id: str
    expires_at: float


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired, or not one of ours."""


class TokenService:
    """Issues and checks access tokens signed with the configured secret."""

    def __init__(self, secret: str, minutes: int, *, cache_size: int = 50_000) -> None:
        self._secret = secret
        self.lifetime = timedelta(minutes=minutes)
        self._verified: dict[str, Principal] = {}
        self._cache_size = cache_size

    def issue(self, user_id: str) -> tuple[str, int]:
        """A signed token for ``user_id`` and its lifetime in seconds."""
        now = datetime.now(UTC)
        claims = {"sub": user_id, "type": "access", "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), int(self.lifetime.total_seconds())

    def check(self, token: str) -> Principal:
        """The principal of a valid token; ``InvalidToken`` otherwise (only HS256 is accepted)."""
        principal = self._verified.get(token)
        if principal is not None:
            if principal.expires_at > time.time():
                return principal
            del self._verified[token]
            raise InvalidToken("token expired")
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM],
                                options={"require": ["exp", "sub", "iat"]})
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
        if claims.get("type") != "access" or not isinstance(claims["sub"], str):
            raise InvalidToken("invalid token")
        principal = Principal(claims["sub"], float(claims["exp"]))
        if len(self._verified) >= self._cache_size:
            self._verified.clear()  # crude but bounded; refills with the tokens still in use
        self._verified[token] = principal
        return principal
