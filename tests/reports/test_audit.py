"""The durability audit from a run directory's ledger and store reads: what counts as lost, phantom
and stale, what an unknown outcome explains, and how the gate judges the figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadgate import runformat as rf
from loadgate.errors import EXIT_INVALID, EXIT_NO_GO
from reports.audit import build_audit, write_audit
from reports.gate import gate
from reports.slo import SloError, parse_slo
from reports.summary import write_summary
from testsupport.synthetic import START, Endpoint, write_run

USER = "lg-x-0-0@loadgate.test"
SEEDED = {"id": "a" * 24, "title": "Seeded", "description": "", "status": "todo", "priority": "low",
          "dueDate": None}


def _task(task_id: str, **values) -> dict:
    return {"id": task_id, "title": f"Load task {task_id}", "description": "d", "status": "todo",
            "priority": "high", "dueDate": None, **values}


def _entry(op: str, outcome: str, task: str | None, t: float, **values) -> rf.LedgerEntry:
    return rf.LedgerEntry(t=START + t, done=START + t + 0.01, user=USER, op=op, outcome=outcome, task=task,
                          status=0 if outcome == "unknown" else 200, values=values)


def _create(task_id: str, t: float) -> rf.LedgerEntry:
    return _entry("create", "ack", task_id, t, **{k: v for k, v in _task(task_id).items() if k != "id"})


def _audited_run(tmp_path: Path, ledger: list[rf.LedgerEntry], after: list[dict],
                 before: list[dict] | None = None, complete: bool = True) -> Path:
    path = write_run(tmp_path, "audited", {"GET /tasks": Endpoint(rps=20, median_ms=5)}, duration_s=20)
    meta = json.loads((path / rf.META).read_text())
    meta["scenario"]["audit"] = True
    if not complete:
        meta["ended_at"] = None
    (path / rf.META).write_text(json.dumps(meta))
    (path / rf.AUDIT_DIR).mkdir()
    (path / rf.AUDIT_DIR / "local.jsonl").write_text("".join(e.model_dump_json() + "\n" for e in ledger))
    for name, tasks in ((rf.STORE_BEFORE, [SEEDED] if before is None else before), (rf.STORE_AFTER, after)):
        (path / name).write_text(rf.StoreAccount(t=START, user=USER, tasks=tasks).model_dump_json() + "\n")
    return path


def _slo(tmp_path: Path, **run_limits) -> Path:
    doc = {"endpoints": {"Total": {"error_rate": "5%"}}, **({"run": run_limits} if run_limits else {})}
    path = tmp_path / "slo.json"
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


def test_a_ledger_the_store_agrees_with_audits_clean(tmp_path):
    b = "b" * 24
    ledger = [_create(b, 1), _entry("update", "ack", b, 2, status="done"),
              _entry("update", "ack", SEEDED["id"], 3, status="in_progress")]
    after = [{**SEEDED, "status": "in_progress"}, _task(b, status="done")]
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, ledger, after)))
    assert result.measured and (result.lost_writes, result.phantom_writes, result.stale_reads) == (0, 0, 0)
    assert result.acknowledged_writes == 3 and result.tasks_before == 1 and result.tasks_after == 2


def test_an_acknowledged_create_absent_from_the_store_is_a_lost_write(tmp_path):
    b = "b" * 24
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, [_create(b, 1)], [SEEDED])))
    assert result.lost_writes == 1 and result.phantom_writes == 0
    finding = next(f for f in result.findings if f.kind == "lost")
    assert finding.task == b and finding.found is None and finding.note == "absent"
    assert finding.expected["title"] == f"Load task {b}"


def test_an_acknowledged_update_the_store_does_not_hold_is_lost_with_both_versions(tmp_path):
    b = "b" * 24
    ledger = [_create(b, 1), _entry("update", "ack", b, 2, status="done")]
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, ledger, [SEEDED, _task(b)])))
    finding = next(f for f in result.findings if f.kind == "lost")
    assert result.lost_writes == 1
    assert finding.expected["status"] == "done" and finding.found["status"] == "todo"


def test_an_acknowledged_delete_that_left_the_task_is_a_lost_write(tmp_path):
    b = "b" * 24
    ledger = [_create(b, 1), _entry("delete", "ack", b, 2)]
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, ledger, [SEEDED, _task(b)])))
    assert result.lost_writes == 1


def test_a_seeded_task_gone_without_a_write_is_lost(tmp_path):
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, [], [])))
    assert result.lost_writes == 1


def test_an_unknown_outcome_explains_either_state_and_is_never_lost(tmp_path):
    b, c = "b" * 24, "c" * 24
    ledger = [_create(b, 1), _entry("delete", "unknown", b, 2),          # applied after its 503
              _create(c, 3), _entry("update", "unknown", c, 4, status="done"),  # not applied
              _entry("create", "unknown", None, 5, title="Load task late")]     # applied, id never seen
    after = [SEEDED, _task(c), _task("d" * 24, title="Load task late")]
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, ledger, after)))
    assert (result.lost_writes, result.phantom_writes) == (0, 0)
    assert result.unknown_writes == 3 and result.explained_by_unknown == 2


def test_a_task_nobody_wrote_is_a_phantom_write(tmp_path):
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, [], [SEEDED, _task("e" * 24)])))
    assert result.phantom_writes == 1 and result.lost_writes == 0


def test_writes_in_flight_together_may_land_in_either_order(tmp_path):
    b = "b" * 24
    first = _entry("update", "ack", b, 2, status="done")
    second = _entry("update", "ack", b, 2.005, status="in_progress")  # sent before the first answered
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, [_create(b, 1), first, second],
                                                     [SEEDED, _task(b, status="done")])))
    assert result.lost_writes == 0


def test_stale_reads_are_counted_with_both_versions(tmp_path):
    b = "b" * 24
    stale = rf.LedgerEntry(t=START + 3, done=START + 3.01, user=USER, op="read", outcome="stale", task=b,
                           status=200, values={"status": "todo"}, updated_at="2023-11-14T22:13:21Z",
                           expected={"status": "done"}, expected_updated_at="2023-11-14T22:13:22Z")
    ledger = [_create(b, 1), _entry("update", "ack", b, 2, status="done"), stale]
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, ledger, [SEEDED, _task(b, status="done")])))
    assert result.stale_reads == 1
    finding = next(f for f in result.findings if f.kind == "stale")
    assert finding.expected["status"] == "done" and finding.found["status"] == "todo"


def test_a_run_whose_writer_was_killed_is_not_measured(tmp_path):
    result = build_audit(rf.RunDir.open(_audited_run(tmp_path, [], [SEEDED], complete=False)))
    assert not result.measured and result.lost_writes is None and result.stale_reads is None
    assert any("killed" in p for p in result.problems)


def test_an_unread_store_is_not_measured(tmp_path):
    path = _audited_run(tmp_path, [], [SEEDED])
    (path / rf.STORE_AFTER).write_text(
        rf.StoreAccount(t=START, user=USER, ok=False, error="/auth/login: 503").model_dump_json() + "\n")
    result = build_audit(rf.RunDir.open(path))
    assert not result.measured and result.lost_writes is None
    assert "1 account(s) unread" in result.problems[0] and "503" in result.problems[0]


def test_a_line_a_killed_writer_left_unfinished_is_not_read(tmp_path):
    path = _audited_run(tmp_path, [_create("b" * 24, 1)], [SEEDED])
    with open(path / rf.AUDIT_DIR / "local.jsonl", "a") as f:
        f.write('{"t": 1700000002, "done": 17')
    assert len(rf.read_ledger(path / rf.AUDIT_DIR / "local.jsonl")) == 1


def test_the_summary_carries_the_audit_figures(tmp_path):
    path = _audited_run(tmp_path, [_create("b" * 24, 1)], [SEEDED])
    summary = write_summary(path)
    audited = ("lost_writes", "phantom_writes", "stale_reads")
    audit = {k: v for k, v in summary.run_figures.items() if k in audited}
    assert audit == {"lost_writes": 1.0, "phantom_writes": 0.0, "stale_reads": 0.0}
    assert json.loads((path / rf.AUDIT).read_text())["lost_writes"] == 1


def test_an_auditing_run_is_held_to_zero_lost_writes_without_its_slo_naming_them(tmp_path):
    path = _audited_run(tmp_path, [_create("b" * 24, 1)], [SEEDED])
    write_summary(path)
    result = gate(path, _slo(tmp_path))
    rows = {r.name: r for r in result.criteria}
    assert rows["run lost_writes"].result == "fail" and rows["run lost_writes"].endpoint == "run"
    assert rows["run stale_reads"].result == "pass"
    assert result.verdict == "NO-GO" and result.exit_code == EXIT_NO_GO


def test_an_slo_may_allow_what_the_default_refuses(tmp_path):
    path = _audited_run(tmp_path, [_create("b" * 24, 1)], [SEEDED])
    write_summary(path)
    result = gate(path, _slo(tmp_path, lost_writes={"fail": 5, "warn": 0}))
    assert [r.result for r in result.criteria if r.endpoint == "run"] == ["warn", "pass"]


def test_an_unmeasured_run_figure_is_invalid_never_a_pass(tmp_path):
    path = _audited_run(tmp_path, [], [SEEDED], complete=False)
    write_summary(path)
    result = gate(path, _slo(tmp_path))
    assert {r.result for r in result.criteria if r.endpoint == "run"} == {"invalid"}
    assert result.exit_code == EXIT_INVALID


def test_a_run_that_does_not_audit_gets_no_audit_criteria(tmp_path):
    path = write_run(tmp_path, "plain", {"GET /tasks": Endpoint(rps=20, median_ms=5)}, duration_s=20)
    assert write_audit(path) is None and not (path / rf.AUDIT).exists()
    write_summary(path)
    assert [r for r in gate(path, _slo(tmp_path)).criteria if r.endpoint == "run"] == []


@pytest.mark.parametrize(("run", "message"), [
    ({"lost_write": 0},
     "run.lost_write: unknown run figure (one of lost_writes, phantom_writes, "
     "stale_reads, queue_lag_max, drain_seconds)"),
    ({"lost_writes": ">= 1"}, "run.lost_writes: '>= 1': lost_writes is bounded with '<=' or '<'"),
    ({"stale_reads": "<= +10%"},
     "run.stale_reads: a run figure's limit is absolute, not relative to a baseline"),
    ({"lost_writes": {"fail": -1}}, "run.lost_writes.fail: -1: a limit is a finite number, not negative"),
])
def test_a_bad_run_criterion_is_one_line_naming_file_and_key(run, message):
    with pytest.raises(SloError) as exc:
        parse_slo({"endpoints": {"Total": {"p95": 100}}, "run": run}, Path("slo.yaml"))
    assert str(exc.value) == f"slo.yaml: {message}"
