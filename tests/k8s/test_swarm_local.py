"""The rendered smoke overlay, run on this machine: the API, master and worker commands and
environments are taken from the manifests as the kubelet would run them, with only the addresses
made local (the API on Redis + FerretDB on 127.0.0.1, the master at 127.0.0.1) and the volumes
made directories. Two workers, as `loadgate swarm render smoke --workers 2` asks."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from k8s_manifests import command_line, container, resolve_env

from loadgate import swarm
from loadgate.errors import VERDICT_EXIT_CODES
from testsupport import servers

WORKERS = 2
RUN_TIMEOUT_S = 600  # the smoke scenario plus start-up, seeding and the gate
# INVALID is a verdict too: on a small shared machine the generator may be the bottleneck.
VERDICT_CODES = {code: verdict for verdict, code in VERDICT_EXIT_CODES.items()}

TEST_SECRETS = {
    ("loadgate-api", "jwt-secret"): secrets.token_hex(32),
    ("loadgate-api", "seed-token"): secrets.token_hex(16),
    ("loadgate-mongodb", "app-username"): "taskapi",
    ("loadgate-mongodb", "app-password"): secrets.token_hex(16),
    ("loadgate-redis", "password"): secrets.token_hex(16),
}


def local(argv: list[str], volumes: dict[str, Path]) -> list[str]:
    """The container's command line on this machine: our loadgate, volume paths as directories."""
    assert argv[0] == "loadgate", argv
    out = [str(Path(sys.executable).parent / "loadgate")]
    for arg in argv[1:]:
        for mount, directory in volumes.items():
            if arg == mount or arg.startswith(mount + "/"):
                arg = str(directory) + arg[len(mount):]
        out.append(arg)
    return out


def set_option(argv: list[str], flag: str, value: str) -> list[str]:
    i = argv.index(flag)
    return [*argv[:i + 1], value, *argv[i + 2:]]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the API exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url}/ready did not answer 200 in {timeout:.0f}s")


@pytest.mark.slow
def test_the_rendered_smoke_swarm_runs_locally_and_ends_in_a_verdict(tmp_path, redis_url, mongodb_url):
    objects = swarm.load_objects(swarm.render("smoke", overlay="smoke", workers=WORKERS))
    scenarios = tmp_path / "scenarios"  # what the stage-scenarios init container lays out
    shutil.copytree(swarm.ROOT / "scenarios", scenarios)
    runs = tmp_path / "runs"
    runs.mkdir()
    metrics = tmp_path / "prometheus"
    metrics.mkdir()
    logs = {}
    procs: list[subprocess.Popen] = []

    def start(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        logs[name] = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(argv, env={**os.environ, **env}, cwd=tmp_path,
                                stdout=logs[name], stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        # The API, with the Deployment's command and environment; stores and address made local.
        api = container(objects, "Deployment", "api", "api")
        env = resolve_env(api, objects, TEST_SECRETS)
        env.update(MONGODB_URL=mongodb_url, REDIS_URL=redis_url, PROMETHEUS_MULTIPROC_DIR=str(metrics))
        port = servers.free_port()
        argv = set_option(set_option(local(command_line(api, env), {}), "--host", "127.0.0.1"),
                          "--port", str(port))
        api_proc = start("api", argv, env)
        target = f"http://127.0.0.1:{port}"
        wait_ready(target, api_proc)

        # The master, with the Job's command and environment; the target is the local API.
        master = container(objects, "Job", "locust-master", "master")
        env = resolve_env(master, objects, TEST_SECRETS)
        assert env["EXPECT_WORKERS"] == str(WORKERS)
        env["TARGET_URL"] = target
        volumes = {"/scenarios": scenarios, "/runs": runs}
        argv = set_option(local(command_line(master, env), volumes), "--web-host", "127.0.0.1")
        argv += ["--master-bind-host", "127.0.0.1", "--web-port", "0"]  # listen on loopback only
        master_proc = start("master", argv, env)

        # The workers, with the Deployment's command and environment; the master is local.
        worker = container(objects, "Deployment", "locust-worker", "worker")
        env = resolve_env(worker, objects, TEST_SECRETS)
        env["MASTER_HOST"] = "127.0.0.1"
        for i in range(WORKERS):
            start(f"worker-{i}", local(command_line(worker, env), {"/scenarios": scenarios}), env)

        try:
            code = master_proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the master did not finish in {RUN_TIMEOUT_S}s")
        log = (tmp_path / "master.log").read_text(errors="replace")[-3000:]
        assert code in VERDICT_CODES, f"master exit {code} is no verdict:\n{log}"

        done = [d for d in runs.iterdir() if not d.name.startswith(".")]
        assert len(done) == 1, f"not one complete run directory: {[d.name for d in runs.iterdir()]}"
        meta = json.loads((done[0] / "meta.json").read_text())
        assert meta["workers"] == WORKERS
        assert meta["target"] == target
        # The gate ran against the SLO the manifests name, and the exit code is its verdict.
        verdict = json.loads((done[0] / "verdict.json").read_text())
        assert verdict["verdict"] == VERDICT_CODES[code]
        assert Path(verdict["slo_file"]).resolve() == (scenarios / "slo/smoke.yaml").resolve()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for handle in logs.values():
            handle.close()
