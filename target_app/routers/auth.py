"""Register and log in."""

from __future__ import annotations

from fastapi import APIRouter

from target_app.deps import PasswordsDep, RateLimitedByIp, ServicesDep, StoreDep
from target_app.logs import logger
from target_app.models import Login, Register, Token, UserPublic
from target_app.problems import CONFLICT_TYPE, Problem
from target_app.render import dumps, json_response, public_user
from target_app.store import Conflict
from target_app.store.base import StoreError, new_id, utcnow
from target_app.store.guarded import GuardedStore

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[RateLimitedByIp])


@router.post("/register", status_code=201, response_model=UserPublic)
async def register(body: Register, store: StoreDep, passwords: PasswordsDep):
    """Create an account; 409 if the email is taken."""
    now = utcnow()
    user = {"id": new_id(), "email": body.email, "name": body.name,
            "passwordHash": await passwords.hash(body.password), "createdAt": now, "updatedAt": now}
    try:
        await store.create_user(user)
    except Conflict:
        raise Problem(409, "An account with this email already exists.", type_=CONFLICT_TYPE) from None
    return json_response(dumps(public_user(user)), 201)


@router.post("/login", response_model=Token)
async def login(body: Login, store: StoreDep, services: ServicesDep, passwords: PasswordsDep):
    """Exchange email and password for a bearer access token (503 with Retry-After when too many
    sign-ins are being hashed already)."""
    user = await store.get_user_by_email(body.email)
    matches, rehashed = await passwords.verify(body.password, user["passwordHash"] if user else None)
    if user is None or not matches:
        raise Problem(401, "Incorrect email or password.", headers={"WWW-Authenticate": "Bearer"})
    if rehashed is not None:
        await _replace_hash(store, user["id"], rehashed)
    token, expires_in = services.tokens.issue(user["id"])
    return json_response(dumps({"access_token": token, "token_type": "bearer", "expires_in": expires_in}))


async def _replace_hash(store: GuardedStore, user_id: str, password_hash: str) -> None:
    """Store a hash made with today's parameters. The sign-in stands if this fails: the old hash
    still verifies, and the next sign-in tries again."""
    try:
        await store.update_user(user_id, {"passwordHash": password_hash})
    except StoreError as exc:
        logger.warning("password rehash not stored; kept the old hash", extra={"error": str(exc)})
