"""``report.html``: one self-contained file (charts as base64 PNG, inline CSS, no scripts, no
links out), so it reads the same offline, attached to a ticket, years later.

The page is ``reports/templates/report.html.j2`` (package data), rendered with jinja2:

    html = render_html(content)          # content: reports.report.ReportContent
    assert '<img alt="Latency over time' in html
"""

from __future__ import annotations

import base64
from functools import cache

import jinja2

from loadgate.runformat.figures import SAMPLES_NOTE, format_ms

TEMPLATE = "report.html.j2"


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
    return env


def data_uri_png(png: bytes) -> str:
    """The base64 payload of a PNG for an ``<img src="data:image/png;base64,...">``."""
    return base64.b64encode(png).decode("ascii")


def render_html(content) -> str:
    """The report as one HTML string (``content``: a :class:`reports.report.ReportContent`)."""
    return _environment().get_template(TEMPLATE).render(c=content)
