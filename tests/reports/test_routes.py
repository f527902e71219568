"""The routes an SLO may name are the API's own: ``reports.routes.KNOWN_ROUTES`` (kept in reports,
which never imports target_app) equals the operations of the live app's OpenAPI."""

from __future__ import annotations

from reports.routes import KNOWN_ROUTES
from target_app.main import create_app
from target_app.settings import Settings


def openapi_routes(settings: Settings) -> set[str]:
    """``METHOD /template`` of every operation in the app's OpenAPI, as Locust names endpoints."""
    paths = create_app(settings).openapi()["paths"]
    return {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}


def test_known_routes_are_exactly_the_routes_the_api_serves():
    # Without a seed token, as a load test meets the API: /admin/seed is set-up, not a measured route.
    assert openapi_routes(Settings(SEED_TOKEN=None)) == KNOWN_ROUTES


def test_health_and_readiness_are_named_as_the_api_serves_them():
    assert {"GET /health", "GET /ready"} <= KNOWN_ROUTES
    assert not {"GET /healthz", "GET /readyz"} & KNOWN_ROUTES
