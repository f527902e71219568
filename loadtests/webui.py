"""Locust's web UI (``loadgate ui``) with the scenario's users and shape.

    run_ui(scenario, 8089, console)     # until Ctrl-C
"""

from __future__ import annotations

import sys

from locust.env import Environment
from rich.console import Console

from loadtests.generator import Generator, load_user_class
from loadtests.interrupts import Interrupts
from loadtests.locust_shape import ScenarioShape
from loadtests.preparation import prepare_target, seed
from loadtests.scenario import Scenario


def hide_our_arguments_from_locust() -> None:
    """Show Locust's web UI an empty command line.

    It parses sys.argv with Locust's own parser to list extra options, and exits on ours
    (--web-port, --duration): our command line has been parsed already.
    """
    del sys.argv[1:]


def run_ui(scenario: Scenario, web_port: int, console: Console, web_host: str = "127.0.0.1") -> None:
    """The Locust web UI with the scenario's users and shape, until Ctrl-C."""
    interrupts = Interrupts().install()
    user_class = load_user_class(scenario.user_class)
    target = prepare_target(scenario, console, interrupts)
    try:
        accounts = seed(scenario, target, console, interrupts)
        env = Environment(user_classes=[user_class], shape_class=ScenarioShape(scenario), host=target.url)
        generator = Generator(env, scenario, user_class, "local", record=False)
        generator.apply(scenario, accounts, scenario.seed.password)
        runner = env.create_local_runner()
        hide_our_arguments_from_locust()
        web = env.create_web_ui(host=web_host, port=web_port)
        console.print(f"Locust web UI: http://{web_host}:{web_port}  (target {target.url}; Ctrl-C to quit)",
                      highlight=False)
        interrupts.event.wait()
        runner.quit()
        web.stop()
    finally:
        target.stop()
