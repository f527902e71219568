"""The analysis: run directories in, numbers, charts and verdicts out. Reads run directories
only (never Locust, gevent or ``loadtests``), so any report can be rebuilt from a run alone.

- ``latency``: interval histograms as a sparse matrix; percentiles exactly as hdrh's.
- ``summary``: ``summary.json``, rebuilt from the logs.
- ``rundata``: a run directory opened for analysis, each part read once.
- ``metrics``, ``routes``: what an SLO may bound, and which routes it may name.
- ``slo``: SLO files, parsed and checked; ``criteria``: the run's figures judged row by row;
  ``gate``: the GO / WARN / NO-GO / INVALID verdict and ``verdict.json``; ``junit``: ``junit.xml``.
- ``compare``: baseline against candidate, Mann-Whitney U and Hodges-Lehmann (Kayenta-style).
- ``chartdata`` (each chart's numbers, computed once), ``charts`` (drawn as PNG), ``interactive``
  (drawn as ECharts options), ``echarts_script`` (the pinned ECharts build in ``vendor/echarts/``),
  ``html`` (with ``templates/report.html.j2`` and ``templates/charts.js``), ``markdown``,
  ``tables``, ``report`` (the list of charts): ``report.html`` and ``report.md``.
- ``plateaus``, ``usl``, ``slo_break``, ``capacity``: held levels of users, the Universal
  Scalability Law fitted over them, where the p95 breaks its SLO, and what it all says;
  ``backtest``: the model's own out-of-sample error on held-out top levels;
  ``plan``: workers and replicas for a load.
- ``notebook``: the capacity notebook, executed and rendered.
- ``sut``: the API's own counters (increases from ``loadgate.runformat.counters``).

How figures are shown (milliseconds, the minimum samples behind a percentile) is defined once, in
``loadgate.runformat.figures``; console printing lives with the CLI (``loadgate.console``).
"""
