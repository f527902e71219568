"""The durability audit: an auditing run's ledger checked against the store read after the run.

    result = build_audit(RunDir.open("runs/20261202-080000-resilience"))
    result.lost_writes, result.phantom_writes, result.stale_reads
    # -> (0, 0, 0)
    write_audit("runs/20261202-080000-resilience")      # audit.json, atomically

- **lost write**: a write the ledger holds as acknowledged whose effect is not in the store (the
  task is absent, or holds other values, or an acknowledged delete left it in place), and no
  unknown-outcome write of that task explains it. A seeded task gone or changed without any write
  of the journeys counts too: seeding was acknowledged.
- **phantom write**: a task in the store after the run that was neither there after seeding nor
  created by an acknowledged or unknown-outcome write (an unknown create is matched by its unique
  title).
- **stale read**: recorded by the journeys themselves (``op: read, outcome: stale``).

An unknown outcome (a 503, a timeout) may or may not have been applied: the task it touched may
hold either state, and such differences are counted apart (``explained_by_unknown``), never as
lost. Figures are None (not measured) when the store could not be read whole before and after
the run, or the run's writer was killed (its ledger then misses what was in flight).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from loadgate.runformat import (
    AUDIT,
    AuditFinding,
    AuditResult,
    LedgerEntry,
    Meta,
    RunDir,
    StoreAccount,
    ledger_files,
    read_json_model,
    read_ledger,
    read_store,
    write_json_atomic,
)
from loadgate.runformat.audit import FINDINGS_KEPT

FIELDS = ("title", "description", "status", "priority", "dueDate")
"""The task fields a journey writes and the audit compares."""
RUN_FIGURES = ("lost_writes", "phantom_writes", "stale_reads")
"""The run figures (``summary.json``'s ``run_figures``) an audit measures."""

State = dict[str, Any] | None
"""A task's compared fields, or None: absent."""


def audits(meta: Meta) -> bool:
    """Whether the run was an auditing one (``audit: true`` in its scenario)."""
    return bool(meta.scenario.get("audit"))


def _tasks(accounts: list[StoreAccount]) -> dict[str, tuple[str, dict]]:
    return {t["id"]: (a.user, t) for a in accounts for t in a.tasks if isinstance(t.get("id"), str)}


def _fields(task: dict, names: tuple[str, ...] | list[str] = FIELDS) -> dict[str, Any]:
    return {k: task.get(k) for k in names}


def _matches(expected: State, found: dict | None) -> bool:
    if expected is None or found is None:
        return expected is None and found is None
    return all(found.get(k) == v for k, v in expected.items())


def _states(start: State, writes: list[LedgerEntry]) -> tuple[list[State], bool]:
    """What the store may hold for one task after its acknowledged writes, and whether an
    unknown-outcome write touched it. The last acknowledged state, or one of writes that were in
    flight together with the last (their order in the store is not known)."""
    acks = sorted((w for w in writes if w.outcome == "ack"), key=lambda w: w.done)
    unknown = any(w.outcome == "unknown" for w in writes)
    state, after = start, []
    for w in acks:
        if w.op == "delete":
            state = None
        elif w.op == "create":
            state = dict(w.values)
        else:
            state = {**(state or {}), **w.values}
        after.append((w, state))
    if not after:
        return [start], unknown
    last = after[-1][0]
    return [s for w, s in after if w.done >= last.t] or [state], unknown


def build_audit(run: RunDir) -> AuditResult:
    """The audit of an auditing run, from its ``audit/`` files (see the module's docstring)."""
    problems = []
    before, after = read_store(run.path, after=False), read_store(run.path, after=True)
    entries = [e for path in ledger_files(run.path) for e in read_ledger(path)]
    writes = [e for e in entries if e.op != "read"]
    stale = [e for e in entries if e.outcome == "stale"]
    result = AuditResult(
        measured=False,
        acknowledged_writes=sum(e.outcome == "ack" for e in writes),
        unknown_writes=sum(e.outcome == "unknown" for e in writes),
    )
    if not run.meta.complete:
        problems.append("the run's writer was killed: writes in flight then are missing from the ledger")
    for name, accounts in (("after seeding", before), ("after the run", after)):
        if accounts is None:
            problems.append(f"the store was not read {name}")
        elif not all(a.ok for a in accounts):
            bad = next(a for a in accounts if not a.ok)
            problems.append(f"the store was not read whole {name}: {sum(not a.ok for a in accounts)} "
                            f"account(s) unread ({bad.user}: {bad.error})")
    result.problems = problems
    result.stale_reads = len(stale) if run.meta.complete else None
    result.findings = [AuditFinding(kind="stale", user=e.user, task=e.task, t=e.t,
                                    expected={**(e.expected or {}), "updatedAt": e.expected_updated_at},
                                    found={**e.values, "updatedAt": e.updated_at})
                       for e in stale[:FINDINGS_KEPT]]
    if before is None or after is None:
        return result
    result.accounts = len(after)
    seeded, present = _tasks(before), _tasks(after)
    result.tasks_before, result.tasks_after = len(seeded), len(present)
    by_task: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in writes:
        if e.task is not None:
            by_task[e.task].append(e)
    unknown_titles = {e.values.get("title") for e in writes
                      if e.op == "create" and e.outcome == "unknown" and e.task is None}
    lost, phantom, explained = [], [], 0
    for task_id in sorted(set(by_task) | set(seeded)):
        start = _fields(seeded[task_id][1]) if task_id in seeded else None
        states, unknown = _states(start, by_task.get(task_id, []))
        found = present.get(task_id, (None, None))[1]
        if any(_matches(s, found) for s in states):
            continue
        if unknown:
            explained += 1
            continue
        ledger = by_task.get(task_id, [])
        user = ledger[0].user if ledger else seeded[task_id][0]
        expected = states[-1]
        lost.append(AuditFinding(
            kind="lost", user=user, task=task_id, t=max((w.done for w in ledger), default=None),
            expected=expected, found=_fields(found, list(expected or FIELDS)) if found else None,
            note="an acknowledged delete left it in place" if expected is None else
            "absent" if found is None else "other values"))
    for task_id, (user, task) in sorted(present.items()):
        if task_id in seeded or task_id in by_task:
            continue
        if task.get("title") in unknown_titles:
            explained += 1  # a create whose answer never came, applied all the same
            continue
        phantom.append(AuditFinding(kind="phantom", user=user, task=task_id, found=_fields(task),
                                    note="in the store, but neither seeded nor written by the run"))
    result.lost_writes, result.phantom_writes = len(lost), len(phantom)
    result.explained_by_unknown = explained
    result.findings = lost[:FINDINGS_KEPT] + phantom[:FINDINGS_KEPT] + result.findings
    result.measured = not problems
    if problems:
        result.lost_writes = result.phantom_writes = None
    return result


def load_audit(run: RunDir) -> AuditResult | None:
    """``audit.json`` if written, else the audit built now; None for a run that did not audit."""
    if (run.path / AUDIT).exists():
        return read_json_model(run.path / AUDIT, AuditResult)
    return build_audit(run) if audits(run.meta) else None


def run_figures(audit: AuditResult | None) -> dict[str, float | None]:
    """The audit's figures for ``summary.json``'s ``run_figures`` (empty when the run did not audit)."""
    if audit is None:
        return {}
    return {name: (None if getattr(audit, name) is None else float(getattr(audit, name)))
            for name in RUN_FIGURES}


def write_audit(path: Path | str) -> AuditResult | None:
    """Build ``audit.json`` for an auditing run directory and write it there; None if it did not audit."""
    run = RunDir.open(path)
    if not audits(run.meta):
        return None
    result = build_audit(run)
    write_json_atomic(run.path / AUDIT, result)
    return result
