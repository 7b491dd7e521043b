"""Error tracking (Sentry) for web and worker processes.

Nothing is initialised, and so nothing is sent, when SENTRY_DSN is unset.
"""
from __future__ import annotations

import sentry_sdk


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
    )
    sentry_sdk.set_tag("process_role", role)
    return True
