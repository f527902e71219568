"""The capacity notebook: ``notebooks/capacity_report.py`` (jupytext py:percent, paired with its
``.ipynb``) executed by papermill and rendered to HTML with the code hidden.

    render_notebook(["runs/steps"], slo_file="scenarios/slo/capacity-steps.yaml", out="capacity.html")
    PosixPath('capacity.html')

The notebook calls the functions below and the rest of ``reports``; it holds no logic of its own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from loadgate.errors import InputError
from loadgate.paths import notebooks_dir
from loadgate.runformat import write_atomic
from reports.rundata import RunData

NOTEBOOK_DIR = notebooks_dir()
NOTEBOOK = NOTEBOOK_DIR / "capacity_report.ipynb"
KERNEL = "python3"
"""The kernel papermill starts. Its spec's ``python`` resolves to the interpreter running
loadgate (jupyter_client substitutes ``sys.executable``), i.e. the project's .venv."""


# ---- helpers the notebook calls (each returns something IPython displays) -----------------


def png(data: bytes):
    """A PNG for ``display``."""
    from IPython.display import Image

    return Image(data=data, format="png")


def run_overview(run: RunData, slo_file: str | None = None):
    """The verdict (if an SLO applies) and the per-endpoint table of one run, as Markdown."""
    from IPython.display import Markdown

    from reports.gate import evaluate
    from reports.markdown import render_markdown
    from reports.report import ReportContent, criteria_rows, resolve_slo
    from reports.tables import ENDPOINT_COLUMNS, endpoint_rows, run_facts

    slo, note = resolve_slo(run, slo_file)
    content = ReportContent(run, run_facts(run), ENDPOINT_COLUMNS, endpoint_rows(run.summary), slo_note=note)
    if slo is not None:
        content.gate = evaluate(run, slo)
        content.criteria = criteria_rows(content.gate)
    return Markdown(render_markdown(content))


def capacity_overview(runs: Sequence[RunData], slo_file: str | None = None):
    """The capacity analysis over all runs: (Markdown sentences, throughput-vs-concurrency PNG or None)."""
    from IPython.display import Markdown

    from reports.capacity import analyse
    from reports.charts import throughput_vs_concurrency
    from reports.slo import load_slo

    limit = load_slo(slo_file).absolute_limit("Total", "p95") if slo_file else None
    try:
        result = analyse(runs, p95_limit_ms=limit)
    except InputError as exc:
        return Markdown(f"*No capacity analysis: {exc}*"), None
    text = "\n".join(f"- {line}" for line in result.lines())
    chart = png(throughput_vs_concurrency(result.steps, result.fit, result.slo_break))
    return Markdown(text), chart


OFFLINE = "loadgate-offline.html.j2"
# nbconvert's lab template, without the scripts it loads from CDNs (require.js, MathJax, Mermaid):
# the notebook's outputs are Markdown and PNGs, and the HTML must read offline.
_OFFLINE = """{%- extends 'index.html.j2' -%}
{% block html_head_js %}{% endblock %}
{% block html_head_js_mathjax %}{% endblock %}
{% block html_head_js_mermaidjs %}{% endblock %}
"""


# ---- running it -----------------------------------------------------------------------------


def render_notebook(
    run_dirs: Sequence[Path | str],
    out: Path | str,
    slo_file: Path | str | None = None,
    kernel_name: str = KERNEL,
    notebook: Path = NOTEBOOK,
) -> Path:
    """Execute the notebook for ``run_dirs`` with papermill and write ``out`` as HTML, code hidden.

    The run directories and SLO file are checked first (bad input: one InputError, nothing written).
    """
    import jinja2
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    runs = [RunData.open(p) for p in run_dirs]
    if slo_file:
        from reports.slo import load_slo

        load_slo(slo_file)
    if not notebook.is_file():
        raise InputError(f"{notebook}: notebook missing (jupytext --sync notebooks/capacity_report.py)")
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="loadgate-nb-") as tmp:
        executed = Path(tmp) / "executed.ipynb"
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                kernel_name=kernel_name,
                progress_bar=False,
                parameters={
                    "run_dirs": [str(r.path.resolve()) for r in runs],
                    "slo_file": str(Path(slo_file).resolve()) if slo_file else None,
                },
                cwd=str(notebook.parent),
            )
        except papermill.PapermillExecutionError as exc:
            raise InputError(f"{notebook}: cell {exc.exec_count} failed: {exc.ename}: {exc.evalue}") from None
        exporter = HTMLExporter(
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            template_name="lab",
            extra_loaders=[jinja2.DictLoader({OFFLINE: _OFFLINE})],
            template_file=OFFLINE,
        )
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, body)
    return out
