"""Logging: one configuration for the web app and the scheduler process.

Every module logs through ``logging.getLogger(__name__)``; those loggers (and Flask's, the
libraries') propagate to the root logger, which has the one handler: stderr, timestamps in
ISO 8601 UTC, as text or as one JSON object a line for log collectors. The app factory calls
``init_app``, so `flask qcrm scheduler` and the web workers are configured alike.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
from typing import IO, Any

from flask import Flask
from flask.logging import default_handler

FORMATS = ("text", "json")
#: The attributes every LogRecord has; anything else on a record came in through ``extra``.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__
) | {"message", "asctime"}
#: Libraries that log routine steps at INFO (APScheduler: each job run; Alembic: its plugins on
#: every app start) stay at WARNING.
QUIET_LOGGERS = ("apscheduler", "alembic.runtime.plugins")

_applied: tuple[str, str, int] | None = None


class UtcFormatter(logging.Formatter):
    """Text lines: ``2026-12-02T17:13:00.123Z INFO qcrm.scheduler: message``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_timestamp(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the ``extra`` context fields and,
    for ``log.exception``, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": utc_timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, value)  # a context field never hides the four above
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def utc_timestamp(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_settings(level: str, log_format: str) -> tuple[str, str]:
    """The normalized level name and format; a typo stops the start with a clear message."""
    name = str(level).strip().upper()
    if name not in logging.getLevelNamesMapping():
        raise RuntimeError(f"LOG_LEVEL {level!r} is not a level (DEBUG, INFO, WARNING, ERROR)")
    log_format = str(log_format).strip().lower()
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT {log_format!r} is neither 'text' nor 'json'")
    return name, log_format


def configure_logging(
    level: str = "INFO", log_format: str = "text", stream: IO[str] | None = None
) -> None:
    """Give the root logger the one handler, with this level and format.

    A second call with the same settings changes nothing (tests and `flask` commands create
    the app more than once); loggers that exist already keep working.
    """
    global _applied
    level, log_format = check_settings(level, log_format)
    key = (level, log_format, id(stream))
    if _applied == key:
        return
    handler: dict[str, Any] = {
        "class": "logging.StreamHandler",
        "formatter": log_format,
        "stream": stream if stream is not None else "ext://sys.stderr",
    }
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "text": {
                    "()": UtcFormatter,
                    "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s",
                },
                "json": {"()": JsonFormatter},
            },
            "handlers": {"stderr": handler},
            "loggers": {name: {"level": "WARNING"} for name in QUIET_LOGGERS},
            "root": {"level": level, "handlers": ["stderr"]},
        }
    )
    # Flask gives the app's logger a handler of its own unless one is configured: drop it, or
    # the app's lines would come out twice
    logging.getLogger("qcrm").removeHandler(default_handler)
    _applied = key


def init_app(app: Flask) -> None:
    """Configure logging from LOG_LEVEL and LOG_FORMAT. Under TESTING the root logger's
    handlers are pytest's (its log capture), so they are left alone."""
    level, log_format = check_settings(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    if app.testing:
        return
    configure_logging(level, log_format)
