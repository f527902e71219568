"""The master and its workers speak one declared, versioned message format."""

from __future__ import annotations

import pytest

from loadtests.protocol import PROTOCOL_VERSION, ProtocolError, Setup, WorkerReport


def test_a_worker_report_survives_the_round_trip():
    report = WorkerReport(rec={"raw": {}}, health=[{"t": 1.0}], state="running")
    assert WorkerReport.from_message(report.to_message()) == report


@pytest.mark.parametrize("message", [
    {"v": PROTOCOL_VERSION + 1, "rec": {}},                # a newer loadgate's worker
    {"rec": {}},                                            # an unversioned (older) worker
    [1, 2, 3],                                              # garbage
    {"v": PROTOCOL_VERSION},                                # no recordings
])
def test_a_report_the_master_cannot_read_is_refused_with_a_reason(message):
    with pytest.raises(ProtocolError):
        WorkerReport.from_message(message)


def test_a_set_up_of_another_version_is_refused():
    setup = Setup({"name": "smoke"}, ["a@x"], "pw", 2).to_message()
    assert Setup.from_message(setup).worker_count == 2
    with pytest.raises(ProtocolError):
        Setup.from_message({**setup, "v": PROTOCOL_VERSION + 1})
