"""Logs an operator can search: one JSON object per line, from web and workers.

Each line has `time`, `level`, `logger`, `message`, and when known `request_id`
(taken from the X-Request-ID header or made, echoed back), `user_id`,
`auction_id`, `task` and `task_id`. LOG_FORMAT=text gives the classic one-line
text instead (the default on a developer's machine).

Kept quiet on purpose: Celery's "received"/"succeeded" lines for the tasks that
run every second (the lot-clock sweep) and beat's "Sending due task" for them
are dropped, and probe/metrics requests are not access-logged, so an idle stack
writes a few lines a minute. Failures are always logged.

Log text never carries sign-in tokens, codes or whole email addresses: the
redacting filter masks them whatever a library chose to print.
"""
from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

from gunicorn_logging import BaseJsonFormatter, TextFormatter, redact  # noqa: F401  (redact: public here too)

# Tasks that run every second or so: their routine start/finish lines are noise.
QUIET_TASKS = frozenset({"workers.timers.sweep_auctions"})
QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

# Celery task context for worker log lines (set in task_prerun, cleared in task_postrun).
_task: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("auction_task", default=None)

class JsonFormatter(BaseJsonFormatter):
    def context(self, record: logging.LogRecord) -> dict:
        entry = _context()
        for key in ("auction_id", "user_id", "status", "method", "path", "duration_ms", "remote_addr"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        return entry


class QuietFilter(logging.Filter):
    """Drops Celery's routine per-run lines for the every-second tasks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not record.name.startswith("celery"):
            return True
        args = record.args
        if isinstance(args, dict):
            return args.get("name") not in QUIET_TASKS
        if isinstance(args, tuple) and any(a in QUIET_TASKS for a in args if isinstance(a, str)):
            return False
        return True


def _context() -> dict:
    found: dict = {}
    if has_request_context():
        found["request_id"] = getattr(g, "request_id", None) or request.headers.get(REQUEST_ID_HEADER)
        state = request.environ.get("auction.request_state")
        user = state.get("_auth_user", None) if hasattr(state, "get") else None
        if isinstance(user, dict) and user.get("_id"):
            found["user_id"] = str(user["_id"])
        if request.view_args and request.view_args.get("auction_id"):
            found["auction_id"] = str(request.view_args["auction_id"])
    task = _task.get()
    if task:
        found["task"], found["task_id"] = task[0], task[1]
        if task[2]:
            found["auction_id"] = task[2]
    return {k: v for k, v in found.items() if v}


def make_handler(fmt: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(QuietFilter())
    return handler


def configure(fmt: str = "json", level: str = "INFO") -> None:
    """Root logging: one handler on stderr with the chosen format. Safe to call again."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_auction", False):
            root.removeHandler(existing)
    handler = make_handler(fmt)
    handler._auction = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings become log lines in the same format


def init_app(app: Flask, role: str) -> None:
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    if role == "worker":
        _init_celery_logging(app)
        return

    @app.before_request
    def _request_id():
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        g._log_started = time.perf_counter()

    access = logging.getLogger("auction_app.access")

    @app.after_request
    def _echo_and_log(response):
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        if app.config["ACCESS_LOG"] and request.path not in QUIET_PATHS:
            started = getattr(g, "_log_started", None)
            access.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "remote_addr": request.remote_addr})
        return response


def _init_celery_logging(app: Flask) -> None:
    from celery import signals

    fmt, level = app.config["LOG_FORMAT"], app.config["LOG_LEVEL"]

    @signals.setup_logging.connect(weak=False)
    def _setup(**_kwargs):
        # Connected, so Celery leaves logging to us: same format in worker, pool children and beat.
        configure(fmt, level)

    @signals.task_prerun.connect(weak=False)
    def _task_started(task_id=None, task=None, args=None, kwargs=None, **_kw):
        auction_id = (kwargs or {}).get("auction_id")
        if auction_id is None and args and task is not None and task.name.startswith("workers.timers."):
            auction_id = args[0]
        _task.set((task.name if task else None, task_id, str(auction_id) if auction_id else None))

    @signals.task_postrun.connect(weak=False)
    def _task_finished(**_kwargs):
        _task.set(None)
