"""report.html's interactive charts: Apache ECharts options built from the numbers the PNGs draw
(``reports.chartdata``), embedded in the page as JSON beside the ECharts script itself.

    option = latency(run, chartdata.latency(run))
    [s["id"] for s in option["series"]][:4]
    ['GET /tasks p50', 'GET /tasks p95', 'GET /tasks p99', 'POST /tasks p50']
    option["legend"]["selected"]          # Total shown, as in the PNG; an endpoint is a click away
    {'GET /tasks': False, 'POST /tasks': False, 'Total': True}

A point is ``[x, value, text]``: the value as computed (a latency is a whole number of µs, in ms)
and its text as the tables write it (``figures.format_ms``, ``tables.pct``), which the tooltip
shows, so a hovered figure reads exactly as the report's tables do. An option is plain JSON: where
ECharts needs a function, ``templates/charts.js`` makes it: the tooltip (each series names its row,
``lgLabel``), the x value in it (``lgXFormat``) and the spectrum's percentile labels
(``{"nines": true}``).

Each chart zooms into an interval (the slider under it, the mouse wheel, or the toolbox's box),
toggles endpoints from its legend, and shows the values of every visible series on hover.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from loadgate.runformat import TOTAL
from loadgate.runformat.figures import NONE, format_ms
from reports import chartdata
from reports.rundata import RunData
from reports.tables import pct

TOOLTIP_CLASS = "lg-tooltip"
"""The class of every chart's tooltip element (for people who style the page, and for tests)."""

PERCENTILE_LINES = {"p50": "dotted", "p95": "solid", "p99": "dashed"}
"""How a percentile's line is drawn: an endpoint's percentiles share its colour and legend entry."""


Text = Callable[[float], str]


def _rate(value: float) -> str:
    return f"{value:,.1f}"  # requests/s, as the endpoint table writes rps


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _points(x: Iterable[float], y: Iterable[float], text: Text, scale: float = 1.0) -> list[list[Any]]:
    """``[[x, y × scale, text(y)], ...]`` for ECharts (a ratio plotted as percent is written by
    ``pct`` from the ratio itself); NaN (nothing measured) is null, a gap in the line, and ``–``."""
    xs = np.round(np.asarray(x, dtype=float), 4).tolist()
    ys = np.asarray(y, dtype=float).tolist()
    return [[a, None, NONE] if math.isnan(b) else [a, b * scale, text(b)]
            for a, b in zip(xs, ys, strict=True)]


def _line(name: str, label: str, points: list, color: str | None = None, **extra: Any) -> dict[str, Any]:
    """A line series: ``name`` is its legend entry (series sharing it toggle together), ``label``
    its tooltip row."""
    series: dict[str, Any] = {
        "type": "line", "name": name, "id": label, "lgLabel": label, "data": points,
        "showSymbol": False, "connectNulls": False, "lineStyle": {"width": 1.2},
    }
    if color:
        series["color"] = color
    series.update(extra)
    return series


def _chart(x_name: str, y_axes: list[dict[str, Any]], series: list[dict[str, Any]], x_format: dict[str, Any],
           legend: list[str] | None = None, selected: dict[str, bool] | None = None,
           x_axis: dict[str, Any] | None = None) -> dict[str, Any]:
    """The option every chart shares: axis tooltip, scrolling legend, zoom by slider, wheel and box."""
    names = legend if legend is not None else list(dict.fromkeys(s["name"] for s in series))
    legend_option: dict[str, Any] = {"type": "scroll", "top": 0, "data": names}
    if selected is not None:
        legend_option["selected"] = selected
    option: dict[str, Any] = {
        "animation": False,  # hundreds of lines of 720 points: draw them at once
        "grid": {"left": 64, "right": 64, "top": 40, "bottom": 88},
        "legend": legend_option,
        "tooltip": {"trigger": "axis", "className": TOOLTIP_CLASS, "confine": True},
        "toolbox": {"right": 8, "top": 0, "feature": {"dataZoom": {"yAxisIndex": "none"}, "restore": {}}},
        # Zooming filters the points outside the interval, so the y axis fits the interval shown.
        "dataZoom": [{"type": "inside"}, {"type": "slider", "bottom": 8}],
        "xAxis": {"type": "value", "name": x_name, "nameLocation": "middle", "nameGap": 26,
                  "min": 0, "max": "dataMax", **(x_axis or {})},
        "yAxis": y_axes,
        "series": series,
        "lgXFormat": x_format,
    }
    if not any(point[1] is not None for s in series for point in s["data"]):
        option["title"] = {"text": "nothing recorded", "left": "center", "top": "middle",
                           "textStyle": {"color": "#808080", "fontWeight": "normal"}}
    return option


def _x_format(label: str) -> dict[str, Any]:
    """The tooltip's time since start: ``12:35`` on a minutes axis, ``50 s`` on a seconds one."""
    return {"elapsed": "min" if label.startswith("minutes") else "s"}


def _y_axis(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "value", "name": name, "nameLocation": "middle", "nameGap": 44, **extra}


def latency(run: RunData, series: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """p50 / p95 / p99 per interval for every endpoint and ``Total`` (plus Total's max), in ms on a
    log axis; only Total is shown at first, as in the PNG."""
    from reports.charts import endpoint_colors

    names = [n for n in series if n != TOTAL] + [TOTAL]
    colors = endpoint_colors(names[:-1])
    lines = []
    label = "seconds since start"
    for name in names:
        frame = series[name]
        x, label = chartdata.elapsed(run, frame.index.to_numpy())
        for col, dash in PERCENTILE_LINES.items():
            lines.append(_line(name, f"{name} {col}", _points(x, frame[col], format_ms), colors[name],
                               lineStyle={"width": 2 if name == TOTAL else 1.2, "type": dash}))
        if name == TOTAL:
            lines.append(_line(name, f"{TOTAL} max", _points(x, frame["max"], format_ms), "#808080",
                               lineStyle={"width": 1, "type": [1, 3]}))
    selected = {name: name == TOTAL for name in names}
    return _chart(label, [_y_axis("latency (ms)", type="log")], lines, _x_format(label), names, selected)


def _nines_axis() -> dict[str, Any]:
    return {"min": 0, "max": chartdata.NINES, "interval": 1, "axisLabel": {"lgFormat": {"nines": True}}}


def spectrum(run: RunData, spectrum: chartdata.Spectrum) -> dict[str, Any]:
    """Latency (ms, log axis) against percentile per endpoint and ``Total``: raw solid, corrected for
    coordinated omission dashed."""
    from reports.charts import endpoint_colors

    colors = endpoint_colors(run.raw.endpoints)
    lines = []
    for kind, dash in (("raw", "solid"), ("corrected", "dashed")):
        for name, line in (spectrum[kind] or {}).items():
            lines.append(_line(name, f"{name} {kind}", _points(chartdata.nines(line.index), line, format_ms),
                               colors[name], lineStyle={"width": 2 if name == TOTAL else 1.2, "type": dash}))
    return _chart("percentile", [_y_axis("latency (ms)", type="log")], lines, {"nines": True},
                  x_axis=_nines_axis())


def throughput(run: RunData, tl: pd.DataFrame) -> dict[str, Any]:
    """Requests per second (left axis) and users (right axis, a step: users hold until the next
    interval), with a mark where a load-generator process was lost."""
    x, label = chartdata.elapsed(run, tl.index.to_numpy())
    users = _line("users", "users", _points(x, tl["users"], _count), "#ff7f0e", step="end", yAxisIndex=1)
    lost = chartdata.elapsed(run, np.array(chartdata.workers_lost(run)))[0]
    if len(lost):
        users["markLine"] = {"symbol": "none", "label": {"formatter": "worker lost"},
                             "lineStyle": {"color": "#d62728", "type": "dashed"},
                             "data": [{"xAxis": round(float(v), 4)} for v in lost]}
    lines = [_line("requests/s", "requests/s", _points(x, tl["rps"], _rate), "#1f77b4"), users]
    axes = [_y_axis("requests/s", min=0), _y_axis("users", min=0, position="right")]
    return _chart(label, axes, lines, _x_format(label))


def errors(run: RunData, tl: pd.DataFrame) -> dict[str, Any]:
    """Failed requests per second (filled, left axis) and the error ratio in % (right axis)."""
    x, label = chartdata.elapsed(run, tl.index.to_numpy())
    lines = [
        _line("failures/s", "failures/s", _points(x, tl["failures_per_s"], _rate), "#d62728", step="end",
              areaStyle={"opacity": 0.5}),
        _line("error %", "error %", _points(x, tl["error_ratio"], lambda r: pct(r, 2), 100), "#000000",
              step="end", yAxisIndex=1),
    ]
    axes = [_y_axis("failures/s", min=0), _y_axis("error %", min=0, position="right")]
    return _chart(label, axes, lines, _x_format(label))


def cache(run: RunData, frame: pd.DataFrame) -> dict[str, Any]:
    """Hit ratio (%) per cache and for all caches together, between consecutive scrapes."""
    x, label = chartdata.elapsed(run, frame.index.to_numpy())
    lines = [_line(col, col, _points(x, frame[col], pct, 100)) for col in frame.columns if col != TOTAL]
    if TOTAL in frame:
        lines.append(_line("all caches", "all caches", _points(x, frame[TOTAL], pct, 100), "#000000",
                           lineStyle={"width": 2}))
    return _chart(label, [_y_axis("hit ratio (%)", min=0, max=100)], lines, _x_format(label))
