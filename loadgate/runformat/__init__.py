"""The run directory: the one contract between the swarm that writes it and the analysis that reads it.

The bottom layer of loadgate: ``loadtests`` (the writer) and ``reports`` (the reader) both use these
definitions, and it imports neither. The layout is documented in ``docs/run-format.md``.

- ``schema``: file names, the format version, and the models of ``meta.json``, ``summary.json`` and
  the JSON-lines files;
- ``hlog``: latency histograms and their tagged interval logs;
- ``io``: atomic writes and reads that fail with one clear line;
- ``rundir``: the run directory as a whole (``RunWriter``, ``RunDir``);
- ``audit``: an auditing run's ledger, its store reads and the audit's result.
"""

from loadgate.runformat.audit import (
    AuditFinding,
    AuditResult,
    LedgerEntry,
    StoreAccount,
    ledger_files,
    read_ledger,
    read_store,
)
from loadgate.runformat.hlog import (
    HDR_DIGITS,
    HDR_HIGHEST_US,
    HDR_LOWEST_US,
    HdrHistogram,
    HlogAppender,
    IntervalHistogram,
    iter_hlog,
    merge,
    new_histogram,
    read_hlog,
    write_hlog,
)
from loadgate.runformat.io import RunFormatError, read_json_model, read_jsonl, write_atomic, write_json_atomic
from loadgate.runformat.rundir import RunDir, RunWriter, iter_runs, now
from loadgate.runformat.schema import (
    AUDIT,
    AUDIT_DIR,
    CORRECTED_LOG,
    FORMAT_VERSION,
    GENERATOR,
    INTERVAL_S,
    LOCUST_DIR,
    META,
    POOL_LOG,
    RAW_LOG,
    READABLE_VERSIONS,
    STORE_AFTER,
    STORE_BEFORE,
    SUMMARY,
    SUT,
    TIMELINE,
    TOTAL,
    Calibration,
    Drain,
    EndpointSummary,
    FaultRecord,
    GeneratorSample,
    Meta,
    Percentiles,
    QueueSummary,
    Summary,
    SutSample,
    TimelineRow,
    Topology,
    Validity,
    WorkerRecord,
    interval_start,
    is_dead_letter,
)

__all__ = [
    "AUDIT", "AUDIT_DIR", "STORE_AFTER", "STORE_BEFORE", "AuditFinding", "AuditResult", "LedgerEntry",
    "FaultRecord", "StoreAccount", "ledger_files", "read_ledger", "read_store",
    "CORRECTED_LOG", "FORMAT_VERSION", "POOL_LOG", "READABLE_VERSIONS", "Calibration", "Drain",
    "GENERATOR",
    "HDR_DIGITS", "HDR_HIGHEST_US", "HDR_LOWEST_US",
    "INTERVAL_S", "LOCUST_DIR", "META", "RAW_LOG", "SUMMARY", "SUT", "TIMELINE", "TOTAL",
    "EndpointSummary", "GeneratorSample", "HdrHistogram", "HlogAppender", "IntervalHistogram", "Meta",
    "Percentiles", "QueueSummary",
    "RunDir", "RunFormatError", "RunWriter", "Summary", "SutSample", "TimelineRow", "Topology", "Validity",
    "WorkerRecord",
    "interval_start", "is_dead_letter", "iter_hlog", "iter_runs", "merge", "new_histogram", "now",
    "read_hlog", "read_json_model",
    "read_jsonl", "write_atomic", "write_hlog", "write_json_atomic",
]
