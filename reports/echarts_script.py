"""The charting script report.html embeds: Apache ECharts, vendored from its npm package and
shipped in the wheel as package data, so a report is drawn with no network at build or view time.

    ECHARTS_VERSION, ECHARTS_FILE
    ('6.1.0', 'echarts.common.min.js')
    echarts_script().startswith("\\n/*\\n* Licensed to the Apache Software Foundation")
    True

Why this way: no PyPI package ships ECharts' own build (pyecharts points the page at a CDN, which
an offline report cannot reach), and Plotly's package ships a 4.6 MB script, most of the report's
5 MB budget. ECharts' "common" build (0.7 MB: line, bar, scatter and pie charts with tooltip,
legend, dataZoom, toolbox and marks) holds everything the report draws; the full build is 1.1 MB.
Its Apache-2.0 ``LICENSE`` and ``NOTICE`` (and the d3 licence the LICENSE names) sit beside it in
``reports/vendor/echarts/``. ``tests/reports/test_interactive.py`` checks the file against
``ECHARTS_SHA256``.

To move to another version: set ``ECHARTS_VERSION`` here, run ``scripts/vendor-echarts.sh`` (it
packs that version with npm and copies the script and its licences), and put the sha256 it prints
in ``ECHARTS_SHA256``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

ECHARTS_VERSION = "6.1.0"
ECHARTS_FILE = "echarts.common.min.js"
ECHARTS_SHA256 = "61f13280aba3161f77fc801bf5f9c786f55f10432153a0683fc5cc0700b013d5"
VENDOR_DIR = "vendor/echarts"
"""Inside the ``reports`` package."""


@cache
def echarts_script() -> str:
    """The vendored ECharts script, as text to inline in a ``<script>`` element."""
    return files("reports").joinpath(VENDOR_DIR, ECHARTS_FILE).read_text(encoding="utf-8")
