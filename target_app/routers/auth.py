"""Register and log in."""

from __future__ import annotations

from fastapi import APIRouter

from target_app.deps import RateLimitedByIp, ServicesDep, StoreDep
from target_app.models import Login, Register, Token, UserPublic
from target_app.problems import CONFLICT_TYPE, Problem
from target_app.render import dumps, json_response, public_user
from target_app.security import hash_password, verify_password
from target_app.store import Conflict
from target_app.store.base import new_id, utcnow

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[RateLimitedByIp])


@router.post("/register", status_code=201, response_model=UserPublic)
async def register(body: Register, store: StoreDep):
    """Create an account; 409 if the email is taken."""
    now = utcnow()
    user = {"id": new_id(), "email": body.email, "name": body.name,
            "passwordHash": await hash_password(body.password), "createdAt": now, "updatedAt": now}
    try:
        await store.create_user(user)
    except Conflict:
        raise Problem(409, "An account with this email already exists.", type_=CONFLICT_TYPE) from None
    return json_response(dumps(public_user(user)), 201)


@router.post("/login", response_model=Token)
async def login(body: Login, store: StoreDep, services: ServicesDep):
    """Exchange email and password for a bearer access token."""
    user = await store.get_user_by_email(body.email)
    matches = await verify_password(body.password, user["passwordHash"] if user else None)
    if user is None or not matches:
        raise Problem(401, "Incorrect email or password.", headers={"WWW-Authenticate": "Bearer"})
    token, expires_in = services.tokens.issue(user["id"])
    return json_response(dumps({"access_token": token, "token_type": "bearer", "expires_in": expires_in}))
