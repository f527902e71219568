"""The Dockerfiles and docker-compose.yml, checked as files against the Kubernetes manifests: what
they copy exists, the final images run as a non-root user from pinned bases, and they start the same
entry points, with the same images. tests/containers builds and runs them for real."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from k8s_manifests import container

from loadgate import swarm

ROOT = swarm.ROOT
DOCKERFILES = {"api": ROOT / "Dockerfile", "harness": ROOT / "Dockerfile.harness"}
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|build-essential|make|cmake|clang|cargo|rustc|python3-dev)\b")


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for kw, rest in self.instructions if kw == keyword]


def parse_dockerfile(path: Path) -> list[Stage]:
    """Stages of a Dockerfile: FROM image (ARG defaults substituted) and its instructions."""
    text = re.sub(r"\\\n", " ", path.read_text())
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key.strip()] = default.strip()
        elif keyword == "FROM":
            parts = rest.split()
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), ""), parts[0])
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else None
            stages.append(Stage(image, name))
        else:
            stages[-1].instructions.append((keyword, rest))
    return stages


def exec_form(rest: str) -> list[str]:
    assert rest.startswith("["), f"use the exec form: {rest}"
    return json.loads(rest)


def copy_sources(rest: str) -> list[str]:
    """Local source paths of a COPY (none for COPY --from=...)."""
    words = shlex.split(rest)
    if any(w.startswith("--from") for w in words):
        return []
    words = [w for w in words if not w.startswith("--")]
    return words[:-1]


def ignored(path: str) -> bool:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/")) for p in patterns)


def pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    _, _, tag = image.rpartition(":")
    return bool(tag) and "/" not in tag and tag != "latest" and re.match(r"^v?\d+\.\d+", tag) is not None


@pytest.fixture(scope="module")
def smoke(rendered):
    return rendered["smoke"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.parametrize("which", DOCKERFILES)
def test_dockerfile_is_multi_stage_on_a_pinned_slim_python(which):
    stages = parse_dockerfile(DOCKERFILES[which])
    assert len(stages) >= 2
    for stage in stages:
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", stage.image), stage.image


@pytest.mark.parametrize("which", DOCKERFILES)
def test_dockerfile_copies_only_paths_that_exist_and_are_not_ignored(which):
    for stage in parse_dockerfile(DOCKERFILES[which]):
        for rest in stage.all("COPY") + stage.all("ADD"):
            for source in copy_sources(rest):
                assert (ROOT / source).exists(), f"{which}: COPY {source}: no such path"
                assert not ignored(source), f"{which}: COPY {source} is excluded by .dockerignore"


@pytest.mark.parametrize("which", DOCKERFILES)
def test_final_stage_runs_as_a_non_root_user_without_build_tools(which):
    final = parse_dockerfile(DOCKERFILES[which])[-1]
    users = final.all("USER")
    assert users, f"{which}: final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"{which}: runs as root"
    assert user.isdigit(), f"{which}: a numeric USER lets Kubernetes check runAsNonRoot"
    for run in final.all("RUN"):
        assert not BUILD_TOOLS.search(run), f"{which}: build tools in the final image: {run}"
        assert "pip install" not in run, f"{which}: installs packages in the final stage"


@pytest.mark.parametrize("which", DOCKERFILES)
def test_dockerfile_user_matches_the_manifests(which, smoke):
    uid = int(parse_dockerfile(DOCKERFILES[which])[-1].all("USER")[-1].split(":")[0])
    workload = ("Deployment", "api") if which == "api" else ("Job", "locust-master")
    obj = next(o for o in smoke if (o["kind"], o["metadata"]["name"]) == workload)
    assert swarm.pod_spec(obj)["securityContext"]["runAsUser"] == uid


def test_api_image_starts_the_command_the_deployment_runs(smoke):
    final = parse_dockerfile(DOCKERFILES["api"])[-1]
    api = container(smoke, "Deployment", "api", "api")
    assert exec_form(final.all("ENTRYPOINT")[-1]) == api["command"] == ["loadgate"]
    assert exec_form(final.all("CMD")[-1]) == api["args"]
    assert str(api["ports"][0]["containerPort"]) in " ".join(final.all("EXPOSE"))


def test_harness_image_starts_loadgate_like_the_master_and_workers(smoke):
    final = parse_dockerfile(DOCKERFILES["harness"])[-1]
    entry = exec_form(final.all("ENTRYPOINT")[-1])
    assert entry == container(smoke, "Job", "locust-master", "master")["command"]
    assert entry == container(smoke, "Deployment", "locust-worker", "worker")["command"]
    assert {"5557", "8089"} <= set(" ".join(final.all("EXPOSE")).split())


def test_no_latest_anywhere_in_the_container_files():
    for path in (*DOCKERFILES.values(), ROOT / "docker-compose.yml"):
        assert not re.search(r":latest\b", path.read_text()), path.name


def test_compose_images_are_pinned_and_the_same_as_the_manifests(compose, rendered):
    k8s_images = {c["image"] for objects in rendered.values()
                  for o in objects for c in swarm.pod_containers(o)}
    for name, service in compose["services"].items():
        assert pinned(service["image"]), f"{name}: {service['image']}"
        assert service["image"] in k8s_images, f"{name}: {service['image']} differs from k8s/"


def test_compose_builds_our_images_from_our_dockerfiles_at_the_project_version(compose):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    builds = {s["image"]: s["build"]["dockerfile"] for s in compose["services"].values() if "build" in s}
    assert builds == {f"loadgate/api:{version}": "Dockerfile",
                      f"loadgate/harness:{version}": "Dockerfile.harness"}


def _flags(argv: list[str]) -> list[str]:
    return [a for a in argv if a.startswith("--")]


def test_compose_runs_the_same_entry_points_as_the_manifests(compose, smoke):
    services = compose["services"]
    api = container(smoke, "Deployment", "api", "api")
    master = container(smoke, "Job", "locust-master", "master")
    worker = container(smoke, "Deployment", "locust-worker", "worker")
    # Same subcommand and every flag the manifests pass; compose adds the host-network ones (ports).
    for service, c in (("api", api), ("master", master), ("worker", worker)):
        command = services[service]["command"]
        assert command[0] == c["args"][0], service
        assert set(_flags(c["args"])) <= set(_flags(command)), service
    for service, c in (("master", master), ("worker", worker)):
        command = services[service]["command"]
        assert command[1].startswith("/scenarios/") and c["args"][1].startswith("/scenarios/"), service


def test_compose_runs_every_service_on_the_host_network_bound_to_loopback(compose):
    for name, service in compose["services"].items():
        assert service.get("network_mode") == "host", name
        assert "ports" not in service, f"{name}: ports mean nothing on the host network"
        command = service.get("command", [])
        for flag in ("--host", "--bind", "--bind_ip", "--master-bind-host", "--web-host"):
            if flag in command:
                assert command[command.index(flag) + 1] == "127.0.0.1", f"{name}: {flag}"
        assert command or service["environment"].get("RABBITMQ_NODE_IP_ADDRESS") == "127.0.0.1", name
        for arg in command:
            if arg.startswith("--web.listen-address="):
                assert arg.split("=", 1)[1].startswith("127.0.0.1:"), f"{name}: {arg}"
        if "rabbitmq" in service["image"]:  # Erlang's own listeners too, not only AMQP
            env = service["environment"]
            assert env["ERL_EPMD_ADDRESS"] == "127.0.0.1" and "{127,0,0,1}" in env[
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"], name


def test_compose_checks_the_health_of_every_long_running_service(compose):
    for name in ("mongo", "redis", "api", "rabbitmq", "events-worker"):
        assert compose["services"][name]["healthcheck"]["test"][0] == "CMD", name


def test_compose_hardens_every_service_and_keeps_secrets_out(compose):
    for name, service in compose["services"].items():
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"SECRET|PASSWORD|TOKEN|AUTH", key):
                assert str(value).startswith("${"), f"{name}: {key} is written in"


def test_compose_redis_is_an_lru_cache_within_its_memory_limit(compose):
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    maxmemory_mb = int(command[command.index("--maxmemory") + 1].removesuffix("mb"))
    assert maxmemory_mb <= 0.8 * int(redis["mem_limit"].removesuffix("m"))


def test_the_events_worker_reads_what_the_api_reads(compose):
    services = compose["services"]
    api, worker = services["api"]["environment"], services["events-worker"]["environment"]
    shared = [k for k in api if k.startswith(("MONGODB_", "REDIS_", "AMQP_"))]
    assert "AMQP_URL" in shared and {k: worker[k] for k in shared} == {k: api[k] for k in shared}
    assert worker["AMQP_URL"] == "${AMQP_URL:-}"  # the same queue: RabbitMQ only when it is set
    assert compose["services"]["events-worker"]["command"][0] == "serve-worker"


def _defaults(text: str) -> str:
    """Compose's ``${VAR:-default}`` interpolation with every variable unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)


def test_compose_prometheus_scrapes_the_api_and_the_worker_and_receives_the_masters_writes(compose, tmp_path):
    services = compose["services"]
    config = tmp_path / "prometheus.yml"
    config.write_text(_defaults(compose["configs"]["prometheus"]["content"]))
    check = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    targets = {job["job_name"]: job["static_configs"][0]["targets"]
               for job in yaml.safe_load(config.read_text())["scrape_configs"]}
    api_port = _defaults(services["api"]["command"][services["api"]["command"].index("--port") + 1])
    worker = services["events-worker"]["command"]
    worker_port = _defaults(worker[worker.index("--metrics-port") + 1])
    assert targets == {"taskapi": [f"127.0.0.1:{api_port}"], "taskapi-worker": [f"127.0.0.1:{worker_port}"]}
    prometheus = services["prometheus"]["command"]
    assert "--web.enable-remote-write-receiver" in prometheus
    assert services["master"]["environment"]["LOADGATE_REMOTE_WRITE_URL"] == "${LOADGATE_REMOTE_WRITE_URL:-}"


def test_the_tests_local_override_swaps_only_the_backing_servers(compose):
    """compose.local.yml is no second description of the stack: it replaces what no registry gives
    here (mongo and redis) and the API's URL to FerretDB, nothing else."""
    local = yaml.safe_load((ROOT / "tests/containers/compose.local.yml").read_text())["services"]
    assert set(local) == {"mongo", "redis", "api"}
    assert set(local["mongo"]) <= {"image", "command", "healthcheck"}
    assert set(local["redis"]) == {"image"}
    assert local["api"] == {"environment": {"MONGODB_URL": local["api"]["environment"]["MONGODB_URL"]}}
    assert set(local) <= set(compose["services"])
