"""Error tracking (Sentry) for web and worker processes.

Nothing is initialised, and so nothing is sent, when SENTRY_DSN is unset.

What Sentry receives (docs/security.md): the exception, its stack (with local
variables scrubbed), the route and method, release, environment and process
role. Never: request bodies, cookies, Authorization or CSRF headers, query
strings' tokens and codes, email addresses, session JWTs, sign-in tokens or
6-digit codes. `before_send` scrubs every event (and `before_breadcrumb`
every breadcrumb) in web and worker processes alike.

While a dependency is down the same error repeats (the lot sweep runs every
second): an event identical to one sent in the last SENTRY_DUPLICATE_SECONDS
(same exception type and same place in our code) is dropped, so an outage
costs a handful of events, not tens of thousands a day.
"""
from __future__ import annotations

import re
import threading
import time

import sentry_sdk

FILTERED = "[Filtered]"
# Keys whose values are secrets or personal data wherever they appear.
SENSITIVE_KEYS = re.compile(
    r"(^|_|-)(emails?|e-mail|token|password|passwd|secret|cookies?|authorization|jwt|csrf|jti|"
    r"api[-_]?key|dsn|recipients?)$", re.IGNORECASE)
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
LONG_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
CODE_RE = re.compile(r"(?<![0-9])[0-9]{3}[ -]?[0-9]{3}(?![0-9])")
DROP_HEADERS = {"authorization", "cookie", "set-cookie", "x-csrf-token", "proxy-authorization"}
MAX_DEPTH = 12


def scrub_text(value: str) -> str:
    value = JWT_RE.sub("[token]", value)
    value = EMAIL_RE.sub("[email]", value)
    value = LONG_TOKEN_RE.sub("[token]", value)
    return CODE_RE.sub("[code]", value)


def scrub(value, depth: int = 0):
    """A copy of `value` with secrets and personal data replaced (dicts, lists and strings, recursively)."""
    if depth > MAX_DEPTH:
        return FILTERED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and SENSITIVE_KEYS.search(key) and item not in (None, "", [], {}):
                out[key] = FILTERED
            else:
                out[key] = scrub(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [scrub(item, depth + 1) for item in value]
    return value


def _scrub_request(request: dict) -> dict:
    request = dict(request)
    request.pop("data", None)        # bodies carry emails and codes: never sent
    request.pop("cookies", None)
    if request.get("query_string"):
        request["query_string"] = FILTERED
    if isinstance(request.get("url"), str):
        request["url"] = request["url"].split("?", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: (FILTERED if k.lower() in DROP_HEADERS else scrub_text(str(v)))
                              for k, v in headers.items()}
    env = request.get("env")
    if isinstance(env, dict):
        request["env"] = {k: v for k, v in env.items() if k in ("SERVER_NAME", "SERVER_PORT")}
    return request


class DuplicateFilter:
    """Drops an event identical (same exception type and place) to one sent within `seconds`."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._sent: dict[tuple, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(event: dict) -> tuple:
        values = (event.get("exception") or {}).get("values") or []
        if values:
            last = values[-1]
            frames = (last.get("stacktrace") or {}).get("frames") or []
            ours = [f for f in frames if f.get("in_app")] or frames
            top = ours[-1] if ours else {}
            return ("exc", last.get("type"), top.get("module") or top.get("filename"), top.get("function"),
                    top.get("lineno"))
        message = (event.get("logentry") or {}).get("message") or event.get("message") or ""
        return ("msg", event.get("logger"), str(message)[:200])

    def allow(self, event: dict, now: float | None = None) -> bool:
        if self.seconds <= 0:
            return True
        now = time.monotonic() if now is None else now
        key = self.key(event)
        with self._lock:
            last = self._sent.get(key)
            if last is not None and now - last < self.seconds:
                return False
            if len(self._sent) > 1000:
                self._sent.clear()
            self._sent[key] = now
        return True


def make_before_send(duplicate_seconds: float):
    duplicates = DuplicateFilter(duplicate_seconds)

    def before_send(event, hint):
        if not duplicates.allow(event):
            return None
        return scrub_event(event)

    return before_send


def scrub_event(event: dict) -> dict:
    event = dict(event)
    if isinstance(event.get("request"), dict):
        event["request"] = _scrub_request(event["request"])
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {k: v for k, v in user.items() if k == "id"}
    for key in ("exception", "breadcrumbs", "extra", "contexts", "logentry", "message", "threads", "tags"):
        if key in event:
            event[key] = scrub(event[key])
    return event


def before_breadcrumb(crumb, hint):
    return scrub(crumb)


def init_sentry(app, role: str) -> bool:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["SENTRY_ENVIRONMENT"],
        release=app.config["RELEASE"],
        traces_sample_rate=app.config["SENTRY_TRACES_SAMPLE_RATE"],
        integrations=[FlaskIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        send_default_pii=False,
        max_request_body_size="never",
        before_send=make_before_send(app.config.get("SENTRY_DUPLICATE_SECONDS", 600)),
        before_send_transaction=lambda event, hint: scrub_event(event),
        before_breadcrumb=before_breadcrumb,
    )
    sentry_sdk.set_tag("process_role", role)
    return True
