"""``report.md``: the verdict and the per-endpoint table, short enough for a pull-request comment.

For example, ``render_markdown(content)`` (content: a ``reports.report.ReportContent``) begins
``### loadgate · smoke · 20261128-130000-smoke: **GO**``.
"""

from __future__ import annotations

from loadgate.runformat.figures import SAMPLES_NOTE

MAX_CRITERIA_ROWS = 12
"""More criteria than this and only the ones that did not pass are listed."""


TEXT_COLUMNS = {"criterion", "endpoint", "limit", "result", "note"}


def _table(columns: list[str], rows: list[dict[str, str]]) -> list[str]:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|")

    align = ["---" if c in TEXT_COLUMNS else "---:" for c in columns]
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return lines


def render_markdown(content) -> str:
    """The Markdown report (``content``: a :class:`reports.report.ReportContent`)."""
    run, gate = content.run, content.gate
    verdict = f": **{gate.verdict}**" if gate else ""
    out = [f"### loadgate · {run.meta.scenario_name} · {run.name}{verdict}", ""]
    summary = run.summary
    facts = dict(content.facts)
    line = f"commit `{facts.get('commit', '–')}` · {facts.get('duration')} · {facts.get('load model')}"
    if summary.validity.valid:
        line += " · valid run"
    elif not gate:  # with a gate, its reasons below say it
        line += " · **INVALID**: " + "; ".join(summary.validity.reasons)
    out += [line, ""]
    if "async backlog" in facts:
        out += [f"Async backlog: {facts['async backlog']}.", ""]
    for label in ("run figures", "audit"):  # durability: what the run lost, beside its verdict
        if label in facts:
            out += [f"{label}: {facts[label]}", ""]
    faults = [value for label, value in content.facts if label == "fault"]
    if faults:
        out += [f"- fault: {line}" for line in faults] + [""]
    if gate:
        out += [f"- **invalid**: {reason}" for reason in gate.reasons]
        if gate.reasons:
            out.append("")
        rows = content.criteria
        shown = rows if len(rows) <= MAX_CRITERIA_ROWS else [r for r in rows if r["result"] != "pass"]
        if shown:
            out += _table(["criterion", "measured", "limit", "baseline", "delta", "result"], shown)
        if len(shown) < len(rows):
            out.append(f"\n{len(rows) - len(shown)} more criteria passed.")
        out.append("")
    elif content.slo_note:
        out += [content.slo_note, ""]
    out += _table(content.endpoint_columns, content.endpoints)
    out += ["", f"Latency in ms (merged HDR histograms). {SAMPLES_NOTE} Charts: `report.html`."]
    return "\n".join(out) + "\n"
