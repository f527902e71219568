"""User classes for the harness's own tests, loaded by ``loadgate run`` subprocesses through a
scenario's ``user_class: harness_users:<Class>`` (the tests put this folder on PYTHONPATH).

Not a test module: it imports Locust, so pytest must never import it (its name does not match
``test_*.py``), and only the ``loadgate`` subprocesses do.
"""

from __future__ import annotations

from loadtests.journeys import LoadgateUser

NOMINAL_HEADER = "X-Nominal-Us"


class PlainUser(LoadgateUser):
    """One request per step, ``GET /``: for servers that are not the task API."""

    def act(self, action: str, intended: float | None) -> None:
        self.call("GET", "/", "/", intended)


class NominalLatencyUser(LoadgateUser):
    """Records, for each request, the service time the test server says it applied.

    Through Locust's own path: the value replaces the measured time in the request's metadata
    before Locust fires the ``request`` event, so our recorder and Locust's statistics receive
    the same numbers and only their precision differs.
    """

    def act(self, action: str, intended: float | None) -> None:
        with self.client.get("/exact", name="/exact", catch_response=True) as response:
            nominal = response.headers.get(NOMINAL_HEADER) if response.headers else None
            if nominal is None:
                response.failure(f"no {NOMINAL_HEADER} header")
            else:
                response.request_meta["response_time"] = int(nominal) / 1000.0
