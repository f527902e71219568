"""The analysis: run directories in, numbers, charts and verdicts out. Reads run directories
only (never Locust, gevent or ``loadtests``), so any report can be rebuilt from a run alone.

- ``latency``: interval histograms as a sparse matrix; percentiles exactly as hdrh's.
- ``summary``: ``summary.json``, rebuilt from the logs.
- ``rundata``: a run directory opened for analysis, each part read once.
- ``slo``, ``gate``: SLO files and the GO / WARN / NO-GO / INVALID verdict.
- ``compare``: baseline against candidate, Mann-Whitney U and Hodges-Lehmann (Kayenta-style).
- ``charts``, ``html``, ``markdown``, ``tables``, ``report``: ``report.html`` and ``report.md``.
- ``capacity``, ``plan``: the Universal Scalability Law fit; workers and replicas for a load.
- ``notebook``: the capacity notebook, executed and rendered.
- ``sut``: the API's own counters; ``synthetic``: run directories with known contents.
"""
