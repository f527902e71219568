"""The capacity notebook executes under papermill and renders to HTML with the code hidden."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
from report_helpers import loadgate, write_slo

from reports.notebook import NOTEBOOK
from testsupport.synthetic import write_steps_run

SOURCE = Path(NOTEBOOK).with_suffix(".py")


def test_the_notebook_executes_and_renders_without_code(tmp_path):
    steps = write_steps_run(tmp_path, "steps", [1, 4, 8, 16, 32], lam=10, alpha=0.05, beta=0.001, step_s=20)
    slo = write_slo(tmp_path / "slo.yaml", "endpoints: {Total: {p95: 2000}}")
    out = tmp_path / "capacity.html"
    proc = loadgate("notebook", steps, "--slo", slo, "--out", out)
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert len(re.findall(r"<img [^>]*src=\"data:image/png;base64,", html)) == 4  # 3 run charts + the fit
    assert "USL fit" in html and "N* = " in html
    assert "RunData.open" not in html and "capacity_overview(" not in html  # code hidden
    assert not re.search(r'<script[^>]+src="http', html)


def test_the_py_percent_source_and_the_ipynb_hold_the_same_cells():
    source, paired = jupytext.read(SOURCE), jupytext.read(NOTEBOOK)
    assert [(c.cell_type, c.source) for c in source.cells] == [(c.cell_type, c.source) for c in paired.cells]
    assert any("parameters" in c.metadata.get("tags", []) for c in paired.cells)


def test_a_bad_run_directory_is_one_line_before_any_kernel_starts(tmp_path):
    proc = loadgate("notebook", tmp_path / "nope", "--out", tmp_path / "x.html")
    assert (
        proc.returncode == 2 and proc.stderr.startswith("loadgate: ") and len(proc.stderr.splitlines()) == 1
    )
    assert not (tmp_path / "x.html").exists()
