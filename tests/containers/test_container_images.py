"""The images, built for real by scripts/build-images.sh: what each carries, who it runs as, and
that a second build with the same inputs builds nothing."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from docker_stack import VERSION, docker, inspect

from loadgate.paths import ROOT

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
NOT_IN_THE_API = ("locust", "gevent", "pandas", "scipy", "matplotlib", "numpy", "jupyter_core",
                  "papermill", "nbconvert", "pytest", "hdrh")


def python_in(image: str, code: str) -> str:
    # As the API runs: a read-only root with tmpfs for /tmp and the metrics' multiprocess files.
    return docker("run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--tmpfs",
                  "/run/prometheus:uid=10001,gid=10001", "--entrypoint", "python3", image, "-c",
                  code).stdout.strip()


def test_build_images_tags_every_image_at_the_project_version(images):
    for tag in (images.api, images.harness, images.redis, images.ferretdb):
        assert tag.endswith(f":{VERSION}"), tag
        inspect("image", tag)
    # The names docker-compose.yml and k8s/ use are the same images.
    assert inspect("image", f"loadgate/api:{VERSION}")["Id"] == inspect("image", images.api)["Id"]
    assert inspect("image", f"loadgate/harness:{VERSION}")["Id"] == inspect("image", images.harness)["Id"]


def test_a_second_build_with_unchanged_inputs_builds_nothing(images):
    tags = (images.api, images.harness, images.redis, images.ferretdb)
    before = {t: inspect("image", t)["Id"] for t in tags}
    proc = subprocess.run([str(ROOT / "scripts/build-images.sh")], capture_output=True, text=True,
                          timeout=600, check=True)
    assert "building" not in proc.stderr, proc.stderr
    assert {t: inspect("image", t)["Id"] for t in before} == before


def test_api_image_adds_at_most_150_mb_to_its_base(images):
    added = inspect("image", images.api)["Size"] - inspect("image", images.python_base)["Size"]
    assert added <= 150e6, f"{images.api}: {added / 1e6:.0f} MB on top of {images.python_base}"


def test_api_image_carries_the_api_dependencies_and_none_of_the_harness(images):
    code = ("import importlib.util as u; "
            f"print(' '.join(m for m in {NOT_IN_THE_API!r} if u.find_spec(m)) or '-'); "
            "import fastapi, uvicorn, pymongo, redis, jwt, pwdlib, target_app.main")
    assert python_in(images.api, code) == "-"


def test_harness_image_carries_locust_reports_notebooks_and_the_shipped_scenarios(images):
    code = ("import locust, pandas, scipy, papermill, reports.gate; "
            "from loadgate.commands.running import scenario_path; from reports.notebook import NOTEBOOK; "
            "print(scenario_path('smoke').is_file(), NOTEBOOK.is_file())")
    assert python_in(images.harness, code) == "True True"


@pytest.mark.parametrize("which, user", [("api", "10001:10001"), ("harness", "10001:10001"),
                                         ("redis", "999:999"), ("ferretdb", "999:999")])
def test_every_image_runs_as_a_numeric_non_root_user(images, which, user):
    assert inspect("image", getattr(images, which))["Config"]["User"] == user


@pytest.mark.parametrize("which", ["api", "harness"])
def test_no_image_keeps_pip_or_the_build_ca_bundle(images, which):
    """The CA bundle reached pip as a build secret only: no file in the image is that bundle."""
    with open(CA_BUNDLE, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    proc = docker("run", "--rm", "--network", "none", "--entrypoint", "sh", getattr(images, which), "-c",
                  f"find / -xdev -type f -size {len(data)}c -exec sha256sum {{}} + 2>/dev/null; "
                  "python3 -m pip --version 2>&1 | head -1", check=False)
    assert digest not in proc.stdout
    assert "No module named pip" in proc.stdout


def test_the_shipped_dockerfiles_build_from_official_python_by_default():
    for name in ("Dockerfile", "Dockerfile.harness"):
        text = (ROOT / name).read_text()
        assert "ARG PYTHON_IMAGE=python:3.11" in text, name
        assert "# syntax=" not in text, f"{name}: a syntax image must be pulled from a registry"
