"""A worker (``loadgate worker``): runs the users the master assigns, records them, ships the records.

    run_worker(scenario, "127.0.0.1", 5557)    # until the master quits it; returns the exit code

What it ships, and the set-up it asks for first, are declared in ``loadtests.protocol``.
"""

from __future__ import annotations

import logging
import signal

import gevent
import locust.runners
from locust.env import Environment
from locust.runners import WORKER_REPORT_INTERVAL, WorkerRunner

from loadgate import runformat as rf
from loadtests.generator import Generator, load_user_class
from loadtests.locust_logging import warn_once
from loadtests.protocol import REPORT_KEY, SETUP_MESSAGE, SETUP_REQUEST, ProtocolError, Setup, WorkerReport
from loadtests.scenario import Scenario, validate_scenario

logger = logging.getLogger("loadgate")

MASTER_LOST_S = 5
"""A worker quits this long after the master's last heartbeat (one a second), not Locust's 60 s:
a master that died must not leave its workers loading the API unmeasured."""


def run_worker(scenario: Scenario, master_host: str, master_port: int) -> int:
    """A worker: run the users the master assigns, record them, ship the recordings; until quit."""
    user_class = load_user_class(scenario.user_class)
    locust.runners.MASTER_HEARTBEAT_TIMEOUT = MASTER_LOST_S  # read by the worker's timeout checker
    warn_once()  # the master re-targets every second: Locust's spawn-rate warning, once
    env = Environment(user_classes=[user_class])
    generator = Generator(env, scenario, user_class, "worker")
    generator.apply(scenario, ready=False)  # users wait for the master's accounts
    runner: WorkerRunner = env.create_worker_runner(master_host, master_port)
    health_rows: list[rf.GeneratorSample] = []

    def on_setup(environment, msg, **_kwargs) -> None:
        try:
            setup = Setup.from_message(msg.data)
        except ProtocolError as exc:
            logger.error("%s; quitting", exc)
            gevent.spawn(runner.quit)
            return
        index = max(runner.worker_index, 0)
        generator.monitor.process = f"worker-{index}"
        generator.apply(validate_scenario(setup.scenario, "(scenario from the master)"), setup.accounts,
                        setup.password, index, setup.worker_count)
        generator.calibrate("start")  # before the master starts the users: it waits for every set-up

    def on_stop(**_kwargs) -> None:
        generator.calibrate("end")  # the users are stopped; the next report ships it

    def on_report(client_id, data, **_kwargs) -> None:
        rows, health_rows[:] = list(health_rows), []
        floors, generator.calibrations = generator.calibrations, []
        data[REPORT_KEY] = WorkerReport(rec=generator.recorder.drain(), health=[r.model_dump() for r in rows],
                                        state=runner.state,
                                        calibration=[c.model_dump() for c in floors],
                                        process=generator.monitor.process,
                                        audit=[e.model_dump() for e in generator.ledger.drain()]).to_message()

    def shutdown() -> None:
        # SIGTERM (Kubernetes) / Ctrl-C: stop the users, let one more report ship what they
        # recorded, then tell the master we leave.
        runner.stop()
        gevent.sleep(WORKER_REPORT_INTERVAL + 0.5)
        env.events.quitting.fire(environment=env)
        runner.quit()

    runner.register_message(SETUP_MESSAGE, on_setup)
    runner.send_message(SETUP_REQUEST)
    env.events.report_to_master.add_listener(on_report)
    env.events.test_stop.add_listener(on_stop)
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, lambda: gevent.spawn(shutdown))
    monitor = gevent.spawn(generator.monitor.run, health_rows.append)
    runner.greenlet.join()
    monitor.kill()
    return 0
