"""The API answers as its OpenAPI document says: schemathesis, every check, against a live server.

``loadgate serve`` on the embedded defaults (a fresh SQLite file and in-process cache), not the
session's Redis and FerretDB: the run then starts from the same empty store every time, so with
deterministic generation the same cases meet the same answers, and nothing else the suite does
(or a store timeout on a busy machine) can change the outcome. Settings are in
``conformance/schemathesis.toml``; ``conformance/hooks.py`` makes real list cursors.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from taskapi_helpers import PASSWORD, SEED_TOKEN

CONFORMANCE = Path(__file__).with_name("conformance")
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


def _token(url: str) -> str:
    seeded = httpx.post(f"{url}/admin/seed", headers={"X-Seed-Token": SEED_TOKEN}, json={
        "users": 1, "tasks_per_user": 3, "password": PASSWORD, "email_prefix": "conformance"})
    assert seeded.status_code == 200, seeded.text
    login = httpx.post(f"{url}/auth/login", json={"email": seeded.json()["users"][0]["email"],
                                                  "password": PASSWORD})
    return login.json()["access_token"]


def test_every_schemathesis_check_passes_on_every_operation(serve, tmp_path):
    url, _ = serve(SEED_TOKEN=SEED_TOKEN)
    env = os.environ | {"TASKAPI_TOKEN": _token(url), "SCHEMATHESIS_HOOKS": str(CONFORMANCE / "hooks.py")}
    result = subprocess.run(
        [SCHEMATHESIS, "--config-file", str(CONFORMANCE / "schemathesis.toml"), "--no-color", "run",
         f"{url}/openapi.json", "--checks", "all"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    summary = re.search(r"Test cases:\s*\n\s*(.+)", result.stdout)
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr
    assert summary and "generated" in summary.group(1) and "failure" not in summary.group(1), result.stdout
    print(f"schemathesis: {summary.group(1)}")  # the counts, shown with pytest -rP
