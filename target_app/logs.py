"""Structured JSON logs, one object per line, with the request id of the request being served.

Levels are ERROR, WARN, INFO and DEBUG (Python's WARNING is written as WARN).

    configure_logging("INFO")
    logging.getLogger("taskapi").info("started", extra={"store": "sqlite"})
    # -> {"ts": "...", "level": "INFO", "logger": "taskapi", "msg": "started", "store": "sqlite"}
"""

from __future__ import annotations

import logging
import sys
import time

import orjson

from target_app.context import request_id_var

logger = logging.getLogger("taskapi")

_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "ERROR"}
# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName",
                                                                    "color_message"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: ts, level, logger, msg, request_id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": _LEVEL_NAMES.get(record.levelname, record.levelname),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class _StderrHandler(logging.StreamHandler):
    """The handler ``configure_logging`` installs."""


def configure_logging(level: str) -> None:
    """Send the ``taskapi`` logger's records to stderr as JSON at ``level`` (WARN means WARNING)."""
    level = "WARNING" if level.upper() == "WARN" else level.upper()
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # Replace only our own handler (an app built again reconfigures); keep any others.
    logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, _StderrHandler)] + [handler]
    logger.setLevel(level)
    logger.propagate = False
