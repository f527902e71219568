"""``report.html``: one self-contained file (inline CSS and scripts, charts as embedded data, no
links out), so it reads the same offline, attached to a ticket, years later.

The time series are interactive (ECharts, its script inlined from the wheel: ``reports.echarts_script``;
the charts' options as JSON, ``reports.interactive``); each keeps its PNG in a ``<noscript>`` for a
reader that runs no scripts, and a chart with no interactive form is a PNG. The page is
``reports/templates/report.html.j2`` (package data), rendered with jinja2:

    html = render_html(content)          # content: reports.report.ReportContent
    assert '<div class="chart" id="chart-1"' in html and '<img alt="Latency over time' in html
"""

from __future__ import annotations

import base64
from functools import cache
from importlib.resources import files

import jinja2
from markupsafe import Markup

from loadgate.runformat.figures import SAMPLES_NOTE, format_ms

TEMPLATE = "report.html.j2"
CHARTS_SCRIPT = "charts.js"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["fmt_ms"] = format_ms
    env.globals["samples_note"] = SAMPLES_NOTE
    # Compact and strict: NaN is no JSON (the options carry null for it), and key order is meaning.
    env.policies["json.dumps_kwargs"] = {"separators": (",", ":"), "allow_nan": False, "sort_keys": False}
    return env


def _scripts() -> dict[str, Markup]:
    """The scripts the page inlines: ECharts (pinned, from the wheel) and the one that draws the charts."""
    from reports.echarts_script import echarts_script

    charts_js = files("reports").joinpath("templates", CHARTS_SCRIPT).read_text(encoding="utf-8")
    # Both are files of this package (ECharts checked by its sha256): markup to insert as they are.
    return {"echarts": Markup(echarts_script()), "charts": Markup(charts_js)}


def data_uri_png(png: bytes) -> str:
    """The base64 payload of a PNG for an ``<img src="data:image/png;base64,...">``."""
    return base64.b64encode(png).decode("ascii")


def render_html(content) -> str:
    """The report as one HTML string (``content``: a :class:`reports.report.ReportContent`)."""
    return _environment().get_template(TEMPLATE).render(c=content, scripts=_scripts())
