"""The messages between the master and its workers, declared once, with a version.

Locust carries our payload inside its own stats report (``report_to_master`` on the worker,
``worker_report`` on the master), under one key:

    report = WorkerReport(rec=recorder.drain(), health=[...], state="running")
    data[REPORT_KEY] = report.to_message()                        # on the worker
    WorkerReport.from_message(data[REPORT_KEY])                   # on the master
    # -> WorkerReport(rec=..., health=[...], state='running', version=1)

Before the test starts, each worker asks for its set-up (``SETUP_REQUEST``) once its handler is
registered, and the master answers with a ``Setup`` (``SETUP_MESSAGE``): a message sent on connect
could arrive before the handler is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPORT_KEY = "loadgate"
SETUP_MESSAGE = "loadgate_setup"
SETUP_REQUEST = "loadgate_setup_request"
PROTOCOL_VERSION = 2
"""Bumped when a field changes meaning; a master refuses reports of another version. 2: ``rec``
holds the time on the wire in ``raw`` and the pool waits in ``pool``; ``calibration`` rows."""


class ProtocolError(ValueError):
    """A worker's message this master cannot read (another loadgate version, or garbage)."""


@dataclass
class WorkerReport:
    """What a worker ships with each Locust report.

    ``rec`` is its recorder's drained interval histograms (``loadtests.recorder``), ``health`` its
    generator samples (``GeneratorSample`` dicts) since the last report, ``state`` Locust's runner
    state (``stopped`` in the report that follows the users' stop).
    """

    rec: dict[str, Any]
    health: list[dict[str, Any]] = field(default_factory=list)
    state: str = ""
    calibration: list[dict[str, Any]] = field(default_factory=list)
    """``Calibration`` dicts measured since the last report (at set-up, after the users stop)."""
    process: str = ""
    """``worker-<n>``: the name its ledger file takes in the run directory."""
    audit: list[dict[str, Any]] = field(default_factory=list)
    """``LedgerEntry`` dicts added since the last report (``audit: true``)."""
    version: int = PROTOCOL_VERSION

    def to_message(self) -> dict[str, Any]:
        return {"v": self.version, "rec": self.rec, "health": self.health, "state": self.state,
                "calibration": self.calibration, "process": self.process, "audit": self.audit}

    @classmethod
    def from_message(cls, data: Any) -> WorkerReport:
        if not isinstance(data, dict):
            raise ProtocolError(f"worker report is a {type(data).__name__}, not a mapping")
        version = data.get("v")
        if version != PROTOCOL_VERSION:
            raise ProtocolError(f"worker report version {version!r}; this master reads {PROTOCOL_VERSION}")
        try:
            return cls(rec=data["rec"], health=list(data.get("health", ())), state=str(data.get("state", "")),
                       calibration=list(data.get("calibration", ())), process=str(data.get("process", "")),
                       audit=list(data.get("audit", ())), version=version)
        except KeyError as exc:
            raise ProtocolError(f"worker report lacks {exc}") from None


@dataclass
class Setup:
    """The master's answer to a worker's set-up request: the scenario as resolved and the accounts."""

    scenario: dict[str, Any]
    accounts: list[str]
    password: str
    worker_count: int
    version: int = PROTOCOL_VERSION

    def to_message(self) -> dict[str, Any]:
        return {"v": self.version, "scenario": self.scenario, "accounts": self.accounts,
                "password": self.password, "worker_count": self.worker_count}

    @classmethod
    def from_message(cls, data: Any) -> Setup:
        if not isinstance(data, dict) or data.get("v") != PROTOCOL_VERSION:
            got = data.get("v") if isinstance(data, dict) else type(data).__name__
            raise ProtocolError(f"set-up message version {got!r}; this worker reads {PROTOCOL_VERSION}")
        return cls(scenario=data["scenario"], accounts=list(data["accounts"]), password=data["password"],
                   worker_count=max(1, int(data["worker_count"])))
