# ruff: noqa: E501 -- the HTML template reads better unwrapped
"""``report.html``: one self-contained file (charts as base64 PNG, inline CSS, no scripts, no
links out), so it reads the same offline, attached to a ticket, years later.

    >>> html = render_html(content)          # content: reports.report.ReportContent
    >>> "<img src=\\"data:image/png;base64," in html
    True
"""

from __future__ import annotations

import base64

import jinja2

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loadgate report: {{ c.run.name }}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1280px;
         padding: 1.5em; color: #1d2430; }
  h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { border-bottom: 1px solid #d8dde6; padding-bottom: .2em; margin-top: 2em; }
  table { border-collapse: collapse; margin: .6em 0 1.2em; font-variant-numeric: tabular-nums; }
  th, td { padding: .3em .7em; border-bottom: 1px solid #e6e9ef; text-align: right; vertical-align: top; }
  th { background: #f3f5f9; } td:first-child, th:first-child { text-align: left; }
  td.text, th.text { text-align: left; }
  tr.total td { font-weight: 600; border-top: 2px solid #aab3c2; }
  .verdict { display: inline-block; padding: .3em .9em; border-radius: 4px; font-weight: 700; font-size: 1.3em; color: #fff; }
  .GO { background: #1a7f37; } .WARN { background: #b7791f; } .NO-GO { background: #c62828; } .INVALID { background: #7b1fa2; }
  .pass { color: #1a7f37; } .warn { color: #b7791f; font-weight: 600; } .fail { color: #c62828; font-weight: 700; }
  .invalid { color: #7b1fa2; font-weight: 600; } .skipped { color: #888; }
  .reasons li { color: #7b1fa2; } .muted { color: #6b7280; } img { max-width: 100%; display: block; margin: .4em 0 1em; }
  dl.facts { display: grid; grid-template-columns: max-content auto; gap: .2em 1.2em; } dl.facts dt { color: #6b7280; }
  dl.facts dd { margin: 0; }
</style>
</head>
<body>
<h1>{{ c.run.meta.scenario_name }} · {{ c.run.name }}</h1>
{% if c.gate %}
<p><span class="verdict {{ c.gate.verdict }}">{{ c.gate.verdict }}</span>
   <span class="muted">against {{ c.gate.slo_file }}{% if c.gate.baseline_dir %}, baseline {{ c.gate.baseline_dir }}{% endif %}</span></p>
{% elif c.slo_note %}<p class="muted">{{ c.slo_note }}</p>{% endif %}

{% if c.gate %}
<h2>Verdict</h2>
{% if c.gate.reasons %}<ul class="reasons">{% for r in c.gate.reasons %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}
<table>
<tr><th>criterion</th><th>measured</th><th class="text">limit</th><th>baseline</th><th>delta</th><th class="text">result</th><th class="text">note</th></tr>
{% for r in c.criteria %}
<tr><td>{{ r.name }}</td><td>{{ r.measured }}</td><td class="text">{{ r.limit }}</td><td>{{ r.baseline }}</td>
<td>{{ r.delta }}</td><td class="text {{ r.result }}">{{ r.result|upper }}</td><td class="text">{{ r.note }}</td></tr>
{% endfor %}
</table>
{% endif %}

<h2>Run</h2>
<dl class="facts">
{% for label, value in c.facts %}<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}
<dt>validity</dt><dd>{% if c.run.summary.validity.valid %}<span class="pass">valid</span>{% else %}<span class="invalid">INVALID</span>
<ul class="reasons">{% for r in c.run.summary.validity.reasons %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}</dd>
</dl>

<h2>Endpoints</h2>
<p class="muted">Latency in ms from the merged HDR histograms (µs resolution, 3 significant digits);
cache hit ratio from the API's own counters. {{ samples_note }}</p>
<table>
<tr>{% for col in c.endpoint_columns %}<th{% if loop.first %} class="text"{% endif %}>{{ col }}</th>{% endfor %}</tr>
{% for row in c.endpoints %}
<tr{% if loop.last %} class="total"{% endif %}>{% for col in c.endpoint_columns %}<td>{{ row[col] }}</td>{% endfor %}</tr>
{% endfor %}
</table>

{% if c.comparison %}
<h2>Against the baseline</h2>
<p class="muted">Per-window percentiles compared with a Mann-Whitney U test (Holm-corrected) and the
Hodges-Lehmann shift with its {{ "%.0f"|format(c.comparison.confidence * 100) }}% interval; a regression is a
significant shift up of {{ "%.0f"|format(c.comparison.min_effect * 100) }}% or more.</p>
<table>
<tr><th>endpoint</th><th class="text">metric</th><th>baseline median</th><th>run median</th><th>shift</th><th>interval</th>
<th>p (Holm)</th><th>windows</th><th class="text">verdict</th></tr>
{% for s in c.shifts %}
<tr><td>{{ s.endpoint }}</td><td class="text">{{ s.metric }}</td><td>{{ s.baseline }}</td><td>{{ s.candidate }}</td><td>{{ s.shift }}</td>
<td>{{ s.interval }}</td><td>{{ s.p }}</td><td>{{ s.windows }}</td><td class="text">{{ s.verdict }}</td></tr>
{% endfor %}
</table>
{% endif %}

<h2>Charts</h2>
{% for title, png in c.charts %}
<h3>{{ title }}</h3>
<img alt="{{ title }}" src="data:image/png;base64,{{ png }}">
{% endfor %}

{% if c.capacity %}
<h2>Capacity</h2>
<ul>{% for line in c.capacity.lines() %}<li>{{ line }}</li>{% endfor %}</ul>
<table>
<tr><th>users</th><th>throughput (rps)</th><th>p95 (ms)</th><th>p99 (ms)</th><th>steady intervals</th></tr>
{% for s in c.capacity.steps %}
<tr><td>{{ "{:,}".format(s.users) }}</td><td>{{ "{:,.1f}".format(s.throughput) }}</td><td>{{ fmt_ms(s.p95) }}</td>
<td>{{ fmt_ms(s.p99) }}</td><td>{{ s.intervals }}</td></tr>
{% endfor %}
</table>
{% endif %}

<h2>The API's own metrics</h2>
{% for title, rows in c.sut.items() %}
<h3>{{ title }}</h3>
{% if rows %}
<table>
<tr>{% for col in rows[0] %}<th{% if loop.first %} class="text"{% endif %}>{{ col }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for col in row %}<td>{{ row[col] }}</td>{% endfor %}</tr>{% endfor %}
</table>
{% else %}<p class="muted">none recorded</p>{% endif %}
{% endfor %}

<p class="muted">Built by loadgate from the run directory alone ({{ c.run.path.name }}); rebuild with
<code>loadgate report {{ c.run.path.name }}</code>.</p>
</body>
</html>
"""


def data_uri_png(png: bytes) -> str:
    """The base64 payload of a PNG for an ``<img src="data:image/png;base64,...">``."""
    return base64.b64encode(png).decode("ascii")


def render_html(content) -> str:
    """The report as one HTML string (``content``: a :class:`reports.report.ReportContent`)."""
    from reports.tables import SAMPLES_NOTE, ms

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals["fmt_ms"] = ms
    env.globals["samples_note"] = SAMPLES_NOTE
    return env.from_string(TEMPLATE).render(c=content)
