"""CLI commands: ``loadgate swarm ...``, the Locust swarm on a Kubernetes cluster (k8s/).

    loadgate swarm render smoke --overlay smoke --workers 2   # manifests to stdout
    loadgate swarm apply baseline-1k --overlay 1k             # run it on the current context
    loadgate swarm status --wait                               # exit code = the verdict
    loadgate swarm fetch                                       # copy the run back, build the report
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from loadgate.errors import EXIT_USAGE, InputError

swarm_app = typer.Typer(
    name="swarm",
    help="Run the Locust swarm on Kubernetes: render k8s/ overlays and drive them with kubectl.",
    no_args_is_help=True,
)

Scenario = Annotated[str, typer.Argument(help="A scenario in scenarios/: 'smoke', 'baseline-1k.yaml', ...")]
Overlay = Annotated[str, typer.Option(
    "--overlay", "-o", help="k8s/overlays/NAME (smoke, 1k, 10k, 100k), or a kustomization directory.")]
Workers = Annotated[int | None, typer.Option(
    "--workers", "-w", min=1, help="Locust workers (default: the overlay's, from loadgate plan).")]
Context = Annotated[str | None, typer.Option("--context", help="kubectl context (default: the current one).")]
Namespace = Annotated[str, typer.Option("--namespace", "-n", help="Namespace of the stack.")]


def _fail(exc: InputError) -> typer.Exit:
    typer.echo(f"loadgate swarm: {exc}", err=True)
    return typer.Exit(EXIT_USAGE)


@swarm_app.command()
def render(scenario: Scenario, overlay: Overlay = "smoke", workers: Workers = None,
           namespace: Namespace = "loadgate") -> None:
    """Print the manifests for SCENARIO on an overlay (kubectl kustomize underneath)."""
    from loadgate import swarm

    try:
        sys.stdout.write(swarm.render(scenario, overlay, workers, namespace=namespace))
    except InputError as exc:
        raise _fail(exc) from None


@swarm_app.command()
def apply(scenario: Scenario, overlay: Overlay = "smoke", workers: Workers = None, context: Context = None,
          namespace: Namespace = "loadgate") -> None:
    """Render and apply: replaces a previous master Job, so the run starts afresh."""
    from loadgate import swarm

    try:
        cluster = swarm.Cluster(context, namespace)
        typer.echo(cluster.apply(swarm.render(scenario, overlay, workers, namespace=namespace)), nl=False)
    except InputError as exc:
        raise _fail(exc) from None
    typer.echo("started: follow with `loadgate swarm logs -f`, wait with `loadgate swarm status --wait`")


@swarm_app.command()
def status(context: Context = None, namespace: Namespace = "loadgate",
           wait: Annotated[bool, typer.Option(help="Wait for the master; exit with its verdict.")] = False,
           timeout: Annotated[float, typer.Option(help="Seconds to wait at most.")] = 4 * 3600) -> None:
    """Where the run is; with --wait, block until the master ends and exit with the verdict code."""
    from loadgate import swarm

    try:
        cluster = swarm.Cluster(context, namespace)
        state = cluster.wait(timeout) if wait else cluster.master_state()
    except InputError as exc:
        raise _fail(exc) from None
    typer.echo(state.describe())
    if wait:  # wait() returns only a finished master, whose exit code is known
        raise typer.Exit(state.exit_code if state.exit_code is not None else 1)


@swarm_app.command()
def logs(component: Annotated[str, typer.Argument(help="locust-master, locust-worker, api, mongodb, redis.")]
         = "locust-master",
         follow: Annotated[bool, typer.Option("--follow", "-f")] = False,
         tail: Annotated[int, typer.Option(help="Lines per pod.")] = 200,
         context: Context = None, namespace: Namespace = "loadgate") -> None:
    """Logs of every pod of a component, each line prefixed with its pod."""
    from loadgate import swarm

    try:
        cluster = swarm.Cluster(context, namespace)
    except InputError as exc:
        raise _fail(exc) from None
    args = ["logs", "-l", f"app.kubernetes.io/name={component}", "--prefix", f"--tail={tail}",
            "--max-log-requests=200", *(["--follow"] if follow else [])]
    raise typer.Exit(cluster.stream(*args))


@swarm_app.command()
def fetch(out: Annotated[Path, typer.Option("--out", help="Where to put the run directory.")] = Path("runs"),
          run: Annotated[str | None, typer.Option(help="Run id (default: the newest complete run).")] = None,
          report: Annotated[bool, typer.Option(help="Build the report with `loadgate report`.")] = True,
          context: Context = None, namespace: Namespace = "loadgate") -> None:
    """Copy a run directory back from the cluster (kubectl cp), then build its report locally."""
    import subprocess

    from loadgate import swarm

    try:
        local = swarm.Cluster(context, namespace).fetch(out, run)
    except InputError as exc:
        raise _fail(exc) from None
    typer.echo(f"fetched {local}")
    if report:
        slo = swarm.local_slo(local)
        # The run names its SLO by its path in the pod; judge it by this checkout's copy.
        args = ["--slo", str(slo)] if slo else []
        built = subprocess.run([sys.executable, "-m", "loadgate.cli", "report", str(local), *args])
        raise typer.Exit(built.returncode)


@swarm_app.command("sync-scenarios")
def sync_scenarios() -> None:
    """Rewrite k8s/base/scenarios/ from scenarios/: the copies plain `kubectl apply -k` ships."""
    from loadgate import swarm

    try:
        written = swarm.sync_scenarios()
    except InputError as exc:
        raise _fail(exc) from None
    typer.echo(f"wrote {len(written)} files in k8s/base/scenarios/")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the loadgate app."""
    app.add_typer(swarm_app)
