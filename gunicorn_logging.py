"""JSON log lines for gunicorn's own messages: `gunicorn --logger-class gunicorn_logging.JsonLogger`.

A top-level module on purpose: gunicorn's master imports the logger class before it
forks the gevent worker, and importing anything under `auction_app` there would load
pymongo, redis and ssl before wsgi.py monkey-patches them. This module imports only the
standard library and gunicorn. auction_app/logging_setup.py builds its formatter on the
one here, so gunicorn's lines and the app's look the same.
"""
from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timezone

from gunicorn import glogging

_REDACTIONS = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    # Magic-link tokens, session JWTs, any long URL-safe secret.
    (re.compile(r"[A-Za-z0-9_-]{32,}(\.[A-Za-z0-9_-]{16,}){0,2}"), "[secret]"),
    (re.compile(r"(?i)(code\W{0,3})\d{3}\s?\d{3}\b"), r"\1[code]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class BaseJsonFormatter(logging.Formatter):
    """time, level, logger, message (+ exception), one JSON object per line; subclasses add context."""

    def context(self, record: logging.LogRecord) -> dict:
        return {}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update(self.context(record))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record):
        return redact(super().format(record))


class JsonLogger(glogging.Logger):
    """gunicorn's own lines in JSON (text in development or with LOG_FORMAT=text).
    Access lines come from the app (with request id and user), so gunicorn's access log stays off."""

    def setup(self, cfg):
        super().setup(cfg)
        fmt = os.environ.get("LOG_FORMAT") or ("text" if os.environ.get("APP_ENV") == "development" else "json")
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(TextFormatter() if fmt == "text" else BaseJsonFormatter())
