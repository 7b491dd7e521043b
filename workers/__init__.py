"""Celery, wired with Flask's own pattern: every task runs inside the app context.

Queues: `timers` (lot clock triggers, latency-sensitive, never behind mail), `clock`
(the 1-second sweep, consumed by every worker), `default`,
`email`, `maintenance`. Exactly one `celery beat` runs the periodic schedule.
"""
from __future__ import annotations

from datetime import timedelta

from celery import Celery, Task
from celery.schedules import crontab
from kombu import Exchange, Queue

from auction_app import broker

QUEUES = ("timers", "clock", "default", "email", "maintenance")

TASK_ROUTES = {
    # Lot clocks and the 1-second sweep have a queue (and a worker) of their own, so mail,
    # backups or a slow SMTP server can never starve them.
    # The 1-second sweep has its own queue too, consumed by the timer workers AND the general
    # ones: a killed timer worker then delays a close by about a second, not until it restarts.
    "workers.timers.sweep_auctions": {"queue": "clock"},
    "workers.timers.*": {"queue": "timers"},
    "workers.email.*": {"queue": "email"},
    "workers.invitations.*": {"queue": "email"},
    "workers.results.*": {"queue": "email"},
    "workers.standings.send_*": {"queue": "email"},
    "workers.maintenance.*": {"queue": "maintenance"},
}


def celery_init_app(app) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker.register()  # survives a Redis restart while holding lot triggers (auction_app/broker.py)
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        task_ignore_result=True,
        task_default_queue="default",
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
        task_routes=TASK_ROUTES,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=120,
        task_soft_time_limit=100,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=beat_schedule(app.config),
        worker_hijack_root_logger=False,
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    import workers.email  # noqa: F401  (register tasks)
    import workers.invitations  # noqa: F401
    import workers.maintenance  # noqa: F401
    import workers.realtime  # noqa: F401
    import workers.results  # noqa: F401
    import workers.standings  # noqa: F401
    import workers.timers  # noqa: F401

    return celery_app


def beat_schedule(config) -> dict:
    return {
        # The safety net for lot clocks: closes any overdue lot within about a second,
        # even when the worker holding its countdown task was killed.
        "sweep-auction-clocks": {
            "task": "workers.timers.sweep_auctions",
            "schedule": timedelta(seconds=config["LOT_SWEEP_SECONDS"]),
            "options": {"expires": 5},
        },
        "cleanup-expired-login-tokens": {
            "task": "workers.maintenance.cleanup_expired_tokens",
            "schedule": timedelta(seconds=config["TOKEN_CLEANUP_SECONDS"]),
        },
        # Weekly standings summary email (members can opt out): Mondays 08:00 UTC.
        "weekly-standings-summary": {
            "task": "workers.standings.send_weekly_summaries",
            "schedule": crontab(day_of_week=1, hour=8, minute=0),
        },
        "cleanup-expired-sessions": {
            "task": "workers.maintenance.cleanup_expired_sessions",
            "schedule": crontab(hour=config["BACKUP_HOUR_UTC"], minute=30),
        },
        "purge-old-practice-leagues": {
            "task": "workers.maintenance.purge_practice_leagues",
            "schedule": crontab(hour=config["BACKUP_HOUR_UTC"], minute=45),
        },
        # Archive finished leagues, retention for audit records, screenshots, announcements.
        "daily-lifecycle": {
            "task": "workers.maintenance.run_lifecycle",
            "schedule": crontab(hour=config["BACKUP_HOUR_UTC"], minute=50),
        },
        # The restore drill runs right after each nightly backup (queued by the backup task).
        "nightly-backup": {
            "task": "workers.maintenance.nightly_backup",
            "schedule": crontab(hour=config["BACKUP_HOUR_UTC"], minute=0),
        },
    }
