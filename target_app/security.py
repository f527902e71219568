"""Passwords (argon2 through pwdlib) and access tokens (HS256 JWTs through PyJWT).

Hashing is deliberately slow (tens of milliseconds), so it runs in a thread, never on the event
loop. Verified tokens are remembered until they expire: a repeat request skips the HMAC and JSON
work, while a tampered token is a different string and is verified from scratch.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from pwdlib import PasswordHash

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    """Verified against when an email is unknown, so a login takes as long whether or not it exists."""
    return _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches ``password_hash`` (None: a user that does not exist)."""
    if password_hash is None:
        await asyncio.to_thread(lambda: _hasher.verify(password, _dummy_hash()))
        return False
    return await asyncio.to_thread(_hasher.verify, password, password_hash)


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
