"""The task API's routes, as Locust names them (``METHOD /template``), for SLO files to name.

An SLO may name a route of the API that a run did not record (the run is then INVALID for it,
not the SLO file a typo). ``reports`` never imports ``target_app`` (it reads run directories
only), so the list is kept here and ``tests/reports/test_routes.py`` checks it against the live
app's OpenAPI: a route added to or removed from the API fails that test until it is listed here.
"""

KNOWN_ROUTES = frozenset(
    {
        "POST /auth/register",
        "POST /auth/login",
        "GET /users/me",
        "PATCH /users/me",
        "POST /tasks",
        "GET /tasks",
        "GET /tasks/{id}",
        "PATCH /tasks/{id}",
        "DELETE /tasks/{id}",
        "GET /analytics",
        "GET /health",
        "GET /ready",
    }
)
"""Every operation in the API's OpenAPI (``/metrics`` and the seed-only ``/admin`` are not in it)."""
