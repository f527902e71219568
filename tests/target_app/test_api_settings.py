"""Settings from the environment: rate limits, production safety."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from target_app.main import create_app
from target_app.settings import RateLimit, Settings, get_settings, parse_rate_limit


@pytest.mark.parametrize(("text", "expected"), [
    ("100/15minutes", RateLimit(100, 900)),
    ("10/second", RateLimit(10, 1)),
    ("5000/hour", RateLimit(5000, 3600)),
    ("3/2days", RateLimit(3, 172800)),
])
def test_rate_limits_parse(text, expected):
    assert parse_rate_limit(text) == expected


def test_a_rate_limit_of_zero_means_none():
    assert Settings(RATE_LIMIT="0").rate_limit is None


def test_rate_limiting_can_be_switched_off():
    assert Settings(RATE_LIMIT="100/minute", RATE_LIMIT_ENABLED=False).rate_limit is None


def test_a_malformed_rate_limit_is_refused_naming_the_setting():
    with pytest.raises(ValidationError, match="RATE_LIMIT"):
        Settings(RATE_LIMIT="lots")


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MONGODB_URL", "mongodb://db.example:27017")
    monkeypatch.setenv("RATE_LIMIT", "7/minute")
    settings = Settings()
    assert (settings.store_kind, settings.rate_limit) == ("mongodb", RateLimit(7, 60))


def test_without_urls_the_embedded_store_and_cache_are_chosen():
    settings = Settings(MONGODB_URL=None, REDIS_URL=None)
    assert (settings.store_kind, settings.cache_kind) == ("sqlite", "memory")


def test_production_with_the_default_secret_refuses_to_start(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="JWT_SECRET"):
            create_app()  # what uvicorn calls
    finally:
        get_settings.cache_clear()


def test_production_with_a_short_secret_refuses_to_start():
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(ENVIRONMENT="production", JWT_SECRET="short")


def test_production_with_a_real_secret_starts():
    assert create_app(Settings(ENVIRONMENT="production", JWT_SECRET="x" * 40)).title == "Task API"
