"""The product's Celery worker with two probe tasks, for tests that need a task to be
running at a chosen moment: `celery -A tests.support.celery_probe worker -Q probe`.

The app, its configuration and its broker transport are the product's own
(celery_worker.py); only these tasks are added.
"""
from __future__ import annotations

import time

import redis

from celery_worker import celery, flask_app


def _redis() -> redis.Redis:
    return redis.Redis.from_url(flask_app.config["REDIS_URL"])


@celery.task(name="probe.hold")
def hold(key: str, seconds: float) -> None:
    """Runs for `seconds`, saying when it started, so a test can strike while it runs."""
    _redis().set(f"{key}:started", "1")
    time.sleep(seconds)


@celery.task(name="probe.mark")
def mark(key: str) -> None:
    _redis().set(key, "1")
