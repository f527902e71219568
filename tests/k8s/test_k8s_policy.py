"""Rules every rendered overlay keeps: hardened pods, pinned images, no secrets, least traffic,
disruption budgets, and sizes that are `loadgate plan`'s answer for the overlay's inputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from k8s_manifests import command_line, container, find, resolve_env

from loadgate import swarm

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|KEY|AUTH", re.IGNORECASE)
VERSION = tomllib.loads((swarm.ROOT / "pyproject.toml").read_text())["project"]["version"]


def workloads(objects):
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS]


def containers(objects, init=True):
    """(workload, container) for every container of every workload."""
    return [(o, c) for o in workloads(objects) for c in swarm.pod_containers(o, init=init)]


def label(obj):
    return f"{obj['kind']}/{obj['metadata']['name']}"


def cpu(value) -> float:
    text = str(value)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def memory(value) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", str(value))
    return int(float(match.group(1)) * units.get(match.group(2), 1))


# --- pods: non-root, read-only, no privileges, bounded -------------------------------------------

def test_every_container_runs_as_a_non_root_user(overlay):
    name, objects = overlay
    for obj, c in containers(objects):
        pod = swarm.pod_spec(obj).get("securityContext", {})
        ctx = {**pod, **c.get("securityContext", {})}
        where = f"{name}: {label(obj)}/{c['name']}"
        assert ctx.get("runAsNonRoot") is True, where
        assert isinstance(ctx.get("runAsUser"), int) and ctx["runAsUser"] > 0, where
        assert ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault", where


def test_every_container_has_a_read_only_root_and_no_privileges(overlay):
    name, objects = overlay
    for obj, c in containers(objects):
        ctx = c.get("securityContext", {})
        where = f"{name}: {label(obj)}/{c['name']}"
        assert ctx.get("readOnlyRootFilesystem") is True, where
        assert ctx.get("allowPrivilegeEscalation") is False, where
        assert ctx.get("capabilities", {}).get("drop") == ["ALL"], where
        assert not ctx.get("privileged"), where


def test_no_pod_gets_a_service_account_token(overlay):
    name, objects = overlay
    for obj in workloads(objects):
        assert swarm.pod_spec(obj).get("automountServiceAccountToken") is False, f"{name}: {label(obj)}"


def test_every_container_has_requests_and_limits_within_them(overlay):
    name, objects = overlay
    for obj, c in containers(objects):
        res = c.get("resources", {})
        where = f"{name}: {label(obj)}/{c['name']}"
        for kind in ("cpu", "memory"):
            assert kind in res.get("requests", {}) and kind in res.get("limits", {}), f"{where}: {kind}"
        assert cpu(res["requests"]["cpu"]) <= cpu(res["limits"]["cpu"]), where
        assert memory(res["requests"]["memory"]) <= memory(res["limits"]["memory"]), where


def test_long_running_containers_have_liveness_and_readiness_probes(overlay):
    name, objects = overlay
    for obj, c in containers([o for o in objects if o["kind"] in LONG_RUNNING], init=False):
        assert "livenessProbe" in c and "readinessProbe" in c, f"{name}: {label(obj)}/{c['name']}"


def test_the_master_is_ready_when_workers_can_connect(overlay):
    name, objects = overlay
    master = container(objects, "Job", "locust-master", "master")
    assert master["readinessProbe"]["tcpSocket"]["port"] == "locust"


def test_the_api_has_the_planned_probes_and_resources(overlay):
    _, objects = overlay
    api = container(objects, "Deployment", "api", "api")
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert (api["livenessProbe"]["initialDelaySeconds"], api["livenessProbe"]["periodSeconds"]) == (30, 10)
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert (api["readinessProbe"]["initialDelaySeconds"], api["readinessProbe"]["periodSeconds"]) == (5, 5)
    assert api["resources"] == {"requests": {"cpu": "500m", "memory": "512Mi"},
                                "limits": {"cpu": "1", "memory": "1Gi"}}
    env = {e["name"] for e in api["env"]}
    assert {"MONGODB_URL", "MONGODB_DB", "REDIS_URL", "JWT_SECRET", "ENVIRONMENT", "RATE_LIMIT", "SEED_TOKEN",
            "LOG_LEVEL", "PROMETHEUS_MULTIPROC_DIR"} <= env
    mounts = {m["mountPath"] for m in api["volumeMounts"]}
    assert next(e["value"] for e in api["env"] if e["name"] == "PROMETHEUS_MULTIPROC_DIR") in mounts


# --- images ------------------------------------------------------------------------------------

def test_every_image_is_pinned_to_a_version(overlay):
    name, objects = overlay
    for _, c in containers(objects):
        image = c["image"]
        repo, _, tag = image.rpartition(":") if "@" not in image else (image, "", "digest")
        assert repo and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and (tag == "digest" or re.match(r"^v?\d+\.\d+", tag)), f"{name}: {image}"


def test_our_images_carry_the_project_version(overlay):
    name, objects = overlay
    ours = {c["image"] for _, c in containers(objects) if c["image"].startswith("loadgate/")}
    assert ours == {f"loadgate/api:{VERSION}", f"loadgate/harness:{VERSION}"}, name


# --- secrets -----------------------------------------------------------------------------------

def test_no_secret_objects_are_shipped(overlay):
    name, objects = overlay
    assert not [o for o in objects if o["kind"] == "Secret"], f"{name}: Secrets are created out of band"


def test_secret_looking_settings_come_from_secret_refs(overlay):
    name, objects = overlay
    for obj, c in containers(objects):
        for env in c.get("env", []):
            where = f"{name}: {label(obj)} {env['name']}"
            if SECRETISH.search(env["name"]):
                assert "secretKeyRef" in env.get("valueFrom", {}), f"{where} is written in"
            # Credentials in a URL may only come through $(VAR) references.
            assert not re.search(r"://[^/@$]*:[^/@$(]+@", env.get("value", "")), f"{where}: credentials"
    for cm in (o for o in objects if o["kind"] == "ConfigMap" and not o["metadata"]["name"].startswith(
            ("loadgate-scenarios", "loadgate-slo", "mongodb-scripts"))):
        secretish = [k for k in cm.get("data", {}) if SECRETISH.search(k)]
        assert not secretish, f"{name}: ConfigMap {cm['metadata']['name']} holds {secretish}"


def secret_keys(objects) -> set[tuple[str, str]]:
    """(Secret, key) for every key the pods read, from env and from volumes."""
    keys = set()
    for _, c in containers(objects):
        for env in c.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                keys.add((ref["name"], ref["key"]))
    for obj in workloads(objects):
        for volume in swarm.pod_spec(obj).get("volumes", []):
            if "secret" in volume:
                keys |= {(volume["secret"]["secretName"], item["key"]) for item in volume["secret"]["items"]}
    return keys


def test_every_secret_key_read_is_in_the_documented_create_command(overlay):
    name, objects = overlay
    documented = (swarm.ROOT / "docs/kubernetes.md").read_text()
    commands = {}
    for match in re.finditer(r"kubectl create secret generic (\S+)((?:[^\n]*\\\n)*[^\n]*)", documented):
        commands[match.group(1)] = match.group(2)
    assert secret_keys(objects), name
    for secret, key in secret_keys(objects):
        assert secret in commands, f"{name}: docs/kubernetes.md does not create {secret}"
        assert f"--from-literal={key}=" in commands[secret], f"{name}: {secret} lacks {key} in the docs"


# --- network -----------------------------------------------------------------------------------

def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_allows(peers: list[dict], labels: dict) -> bool:
    # Peers here are pods of the same namespace (podSelector only); others are not the stack.
    return any("namespaceSelector" not in p and "ipBlock" not in p
               and _selects(p.get("podSelector", {}), labels) for p in peers)


def allowed(policies: list[dict], src: dict, dst: dict, port: int) -> bool:
    """Whether pods labelled ``src`` may open TCP ``port`` on pods labelled ``dst``."""
    def direction(pod, kind, peer_labels):
        rules = [r for p in policies
                 if kind in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], pod)
                 for r in p["spec"].get(kind.lower(), [])]
        key = "from" if kind == "Ingress" else "to"
        return any(_peer_allows(r.get(key, []), peer_labels) and
                   any(pp.get("port") == port for pp in r.get("ports", [])) for r in rules)
    return direction(dst, "Ingress", src) and direction(src, "Egress", dst)


def pod_labels(objects, kind, name):
    return find(objects, kind, name)["spec"]["template"]["metadata"]["labels"]


NEEDED = [  # (from, to, port): the traffic the stack needs
    (("Deployment", "locust-worker"), ("Job", "locust-master"), 5557),
    (("Deployment", "locust-worker"), ("Deployment", "api"), 8000),
    (("Job", "locust-master"), ("Deployment", "api"), 8000),
    (("Deployment", "api"), ("StatefulSet", "mongodb"), 27017),
    (("Deployment", "api"), ("Deployment", "redis"), 6379),
    (("StatefulSet", "mongodb"), ("StatefulSet", "mongodb"), 27017),
    (("Job", "mongodb-init"), ("StatefulSet", "mongodb"), 27017),
]
FORBIDDEN = [
    (("Deployment", "locust-worker"), ("StatefulSet", "mongodb"), 27017),
    (("Deployment", "locust-worker"), ("Deployment", "redis"), 6379),
    (("Job", "locust-master"), ("StatefulSet", "mongodb"), 27017),
    (("Deployment", "api"), ("Job", "locust-master"), 5557),
    (("Deployment", "redis"), ("Deployment", "api"), 8000),
]


def test_network_policies_deny_by_default_and_allow_dns(overlay):
    name, objects = overlay
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and
            set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and
            not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert deny, f"{name}: no default-deny policy"
    dns = [r for p in policies if p["spec"]["podSelector"] == {} for r in p["spec"].get("egress", [])
           if {(pp["protocol"], pp["port"]) for pp in r.get("ports", [])} >= {("UDP", 53), ("TCP", 53)}]
    assert dns, f"{name}: no DNS egress for all pods"


@pytest.mark.parametrize(("src", "dst", "port"), NEEDED)
def test_network_policies_allow_the_traffic_the_stack_needs(overlay, src, dst, port):
    name, objects = overlay
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert allowed(policies, pod_labels(objects, *src), pod_labels(objects, *dst), port), name


@pytest.mark.parametrize(("src", "dst", "port"), FORBIDDEN)
def test_network_policies_deny_everything_else(overlay, src, dst, port):
    name, objects = overlay
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert not allowed(policies, pod_labels(objects, *src), pod_labels(objects, *dst), port), f"{name}"


EVENTS_NEEDED = [  # with the events component: the API and the workers reach the broker, the workers the data
    (("Deployment", "api"), ("StatefulSet", "rabbitmq"), 5672),
    (("Deployment", "events-worker"), ("StatefulSet", "rabbitmq"), 5672),
    (("Deployment", "events-worker"), ("StatefulSet", "mongodb"), 27017),
    (("Deployment", "events-worker"), ("Deployment", "redis"), 6379),
]
EVENTS_FORBIDDEN = [
    (("Deployment", "locust-worker"), ("StatefulSet", "rabbitmq"), 5672),
    (("Job", "locust-master"), ("StatefulSet", "rabbitmq"), 5672),
    (("Deployment", "events-worker"), ("Deployment", "api"), 8000),
]
PLAN_TIERS = ("1k", "10k", "100k")


def has_events(objects) -> bool:
    return any(o["kind"] == "StatefulSet" and o["metadata"]["name"] == "rabbitmq" for o in objects)


def test_the_plan_tiers_run_the_message_queue_and_smoke_runs_without_it(overlay):
    name, objects = overlay
    assert has_events(objects) == (name in PLAN_TIERS), name


def assert_flows(name: str, objects: list[dict], flows, allow: bool) -> None:
    """Each (from, to, port) of ``flows`` is allowed (or denied) by the overlay's policies."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    for src, dst, port in flows:
        assert allowed(policies, pod_labels(objects, *src), pod_labels(objects, *dst), port) == allow, \
            f"{name}: {src[1]} -> {dst[1]}:{port}"


@pytest.mark.parametrize(("flows", "allow"), [(EVENTS_NEEDED, True), (EVENTS_FORBIDDEN, False)])
def test_network_policies_of_the_message_queue(overlay, flows, allow):
    name, objects = overlay
    assert_flows(name, objects, flows if has_events(objects) else [], allow)


def test_the_api_publishes_to_rabbitmq_and_the_workers_consume_with_the_apis_settings(overlay):
    name, objects = overlay
    if not has_events(objects):
        return
    secrets = {key: f"<{key[0]}/{key[1]}>" for key in secret_keys(objects)}
    api = resolve_env(container(objects, "Deployment", "api", "api"), objects, secrets)
    worker_c = container(objects, "Deployment", "events-worker", "worker")
    worker = resolve_env(worker_c, objects, secrets)
    assert api["AMQP_URL"] == "amqp://<loadgate-rabbitmq/username>:<loadgate-rabbitmq/password>@rabbitmq:5672/"
    shared = [k for k in api if k.startswith(("MONGODB_", "REDIS_", "AMQP_"))]
    assert {k: worker.get(k) for k in shared} == {k: api[k] for k in shared}, name
    assert command_line(worker_c, worker)[:2] == ["loadgate", "serve-worker"]
    assert worker_c["image"] == container(objects, "Deployment", "api", "api")["image"]
    # The kubelet probes the pod's address: the worker's metrics must not listen on loopback only.
    assert worker["WORKER_METRICS_HOST"] == "0.0.0.0"
    port = worker_c["args"][worker_c["args"].index("--metrics-port") + 1]
    assert worker_c["readinessProbe"]["httpGet"]["port"] in ("metrics", int(port))


def test_read_heavy_paths_read_from_secondaries_with_a_staleness_bound(overlay):
    name, objects = overlay
    api = resolve_env(container(objects, "Deployment", "api", "api"), objects,
                      {key: "x" for key in secret_keys(objects)})
    assert api["MONGODB_READ_PREFERENCE"] == "secondaryPreferred", name
    assert int(api["MONGODB_MAX_STALENESS_SECONDS"]) >= 90  # the driver's minimum
    assert 0 < int(api["MONGODB_MIN_POOL_SIZE"]) <= int(api["MONGODB_MAX_POOL_SIZE"])


MONITORING_NEEDED = [  # with the prometheus component: scrapes per pod, the master's remote write
    (("Deployment", "prometheus"), ("Deployment", "api"), 8000),
    (("Deployment", "prometheus"), ("Deployment", "events-worker"), 9101),
    (("Job", "locust-master"), ("Deployment", "prometheus"), 9090),
]
MONITORING_FORBIDDEN = [
    (("Deployment", "locust-worker"), ("Deployment", "prometheus"), 9090),
    (("Deployment", "prometheus"), ("StatefulSet", "mongodb"), 27017),
    (("Deployment", "prometheus"), ("Job", "locust-master"), 5557),
]


def has_prometheus(objects) -> bool:
    return any(o["kind"] == "Deployment" and o["metadata"]["name"] == "prometheus" for o in objects)


@pytest.mark.parametrize(("flows", "allow"), [(MONITORING_NEEDED, True), (MONITORING_FORBIDDEN, False)])
def test_network_policies_of_prometheus(overlay, flows, allow):
    name, objects = overlay
    assert has_prometheus(objects) == (name in PLAN_TIERS), name
    assert_flows(name, objects, flows if has_prometheus(objects) else [], allow)


def test_prometheus_scrapes_every_pod_and_the_master_writes_to_it(overlay, tmp_path):
    name, objects = overlay
    if not has_prometheus(objects):
        return
    config_map = find(objects, "ConfigMap", "prometheus-config")["data"]
    (tmp_path / "prometheus.yml").write_text(config_map["prometheus.yml"])
    check = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    config = yaml.safe_load(config_map["prometheus.yml"])
    scraped = {}
    for job in config["scrape_configs"]:
        for sd in job["dns_sd_configs"]:
            for dns in sd["names"]:  # a headless Service selecting the pods, on their metrics port
                service = find(objects, "Service", dns.split(".")[0])
                assert service["spec"]["clusterIP"] == "None", dns
                assert {p["port"] for p in service["spec"]["ports"]} == {sd["port"]}
                scraped[service["spec"]["selector"]["app.kubernetes.io/name"]] = sd["port"]
    assert scraped == {"api": 8000, "events-worker": 9101}
    args = container(objects, "Deployment", "prometheus", "prometheus")["args"]
    assert "--web.enable-remote-write-receiver" in args
    master = container(objects, "Job", "locust-master", "master")
    env = {e["name"]: e.get("value") for e in master["env"]}
    assert env["LOADGATE_REMOTE_WRITE_URL"] == "http://prometheus:9090/api/v1/write"


# --- availability --------------------------------------------------------------------------------

def test_every_workload_but_the_init_job_has_a_disruption_budget(overlay):
    name, objects = overlay
    budgets = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    for obj in workloads(objects):
        if obj["metadata"]["name"] == "mongodb-init":
            continue
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert any(_selects(b["spec"]["selector"], labels) for b in budgets), f"{name}: {label(obj)}"


def test_mongodb_is_a_three_member_replica_set_on_persistent_volumes(overlay):
    name, objects = overlay
    sts = find(objects, "StatefulSet", "mongodb")
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    service = find(objects, "Service", sts["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    args = container(objects, "StatefulSet", "mongodb", "mongod")["args"]
    assert "--replSet=rs0" in args and "--keyFile=/keyfile/key" in args


def test_the_init_job_creates_the_planned_indexes(overlay):
    _, objects = overlay
    scripts = find(objects, "ConfigMap", "mongodb-scripts")["data"]
    assert 'load("/scripts/create-indexes.js")' in scripts["init-replicaset.js"]
    indexes = re.findall(r'\["(\w+)", (\{[^}]*\}), (\{[^}]*\})\]', scripts["create-indexes.js"])
    found = {(coll, keys.replace(" ", ""), opts.replace(" ", "")) for coll, keys, opts in indexes}
    assert found == {("tasks", "{userId:1,createdAt:-1}", "{}"), ("tasks", "{userId:1,status:1}", "{}"),
                     ("tasks", "{dueDate:1,userId:1}", "{}"), ("users", "{email:1}", "{unique:true}")}


def test_redis_is_a_cache_that_evicts_before_its_memory_limit(overlay):
    name, objects = overlay
    redis = container(objects, "Deployment", "redis", "redis")
    args = redis["args"]
    assert args[args.index("--maxmemory-policy") + 1] == "allkeys-lru"
    maxmemory = memory(args[args.index("--maxmemory") + 1].replace("mb", "Mi").replace("gb", "Gi"))
    limit = memory(redis["resources"]["limits"]["memory"])
    assert 0.5 * limit <= maxmemory <= 0.8 * limit, f"{name}: maxmemory {maxmemory} vs limit {limit}"
    assert args[args.index("--save") + 1] == ""


def test_the_master_job_reports_its_verdict_once(overlay):
    name, objects = overlay
    job = find(objects, "Job", "locust-master")
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    master = container(objects, "Job", "locust-master", "master")
    assert master["args"][:2] == ["master", "/scenarios/$(SCENARIO)"]
    assert master["args"][master["args"].index("--slo") + 1] == "/scenarios/slo/$(SLO)"
    runs = next(v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "runs")
    assert runs["persistentVolumeClaim"]["claimName"] == "loadgate-runs"
    ports = {p["port"] for p in find(objects, "Service", "locust-master")["spec"]["ports"]}
    assert ports == {5557, 8089}


def test_the_overlay_scenario_and_its_slo_ship_in_the_configmaps(overlay):
    name, objects = overlay
    run = find(objects, "ConfigMap", "loadgate-run")["data"]
    assert run["SCENARIO"] in find(objects, "ConfigMap", "loadgate-scenarios").get("data", {}), name
    assert run["SLO"] in find(objects, "ConfigMap", "loadgate-slo").get("data", {}), name


def test_the_api_autoscales_on_cpu(overlay):
    name, objects = overlay
    hpa = find(objects, "HorizontalPodAutoscaler", "api")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}


# --- sizing --------------------------------------------------------------------------------------

def sizes(objects) -> dict:
    run = find(objects, "ConfigMap", "loadgate-run")["data"]
    hpa = find(objects, "HorizontalPodAutoscaler", "api")["spec"]
    return {
        "locust_workers": find(objects, "Deployment", "locust-worker")["spec"]["replicas"],
        "expect_workers": int(run["EXPECT_WORKERS"]),
        "api_replicas": find(objects, "Deployment", "api")["spec"]["replicas"],
        "hpa_min": hpa["minReplicas"],
        "hpa_max": hpa["maxReplicas"],
    }


def plan_inputs(name: str) -> dict:
    return yaml.safe_load((swarm.ROOT / "k8s/overlays" / name / "plan.yaml").read_text())


def test_the_master_expects_every_worker_and_the_hpa_starts_at_the_planned_replicas(overlay):
    name, objects = overlay
    s = sizes(objects)
    assert s["expect_workers"] == s["locust_workers"], name
    assert s["hpa_min"] == s["api_replicas"] and s["hpa_max"] >= s["hpa_min"], name


def test_the_overlay_counts_are_the_ones_its_plan_documents(overlay):
    name, objects = overlay
    s, expect = sizes(objects), plan_inputs(name)["expect"]
    assert s["locust_workers"] == expect["locust_workers"], name
    assert s["api_replicas"] == expect["api_replicas"], name


def test_the_overlay_counts_are_what_loadgate_plan_answers(overlay):
    name, objects = overlay
    inputs = plan_inputs(name)
    args = ["--users", inputs["users"], "--rpm", inputs["rpm"], "--worker-users", inputs["worker_users"],
            "--worker-rps", inputs["worker_rps"], "--replica-rps", inputs["replica_rps"],
            "--headroom", inputs["headroom"], "--json"]
    proc = subprocess.run([sys.executable, "-m", "loadgate.cli", "plan", *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"loadgate plan failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
    plan = json.loads(proc.stdout)
    s = sizes(objects)
    assert (s["locust_workers"], s["api_replicas"]) == (plan["locust_workers"], plan["api_replicas"]), name
