"""Lot clocks. The auction's `due_at` in the database is the truth; `tick` only
triggers the engine's conditional close/open, so early, late or duplicate
deliveries are harmless. `sweep_auctions` runs every second from beat and does
whatever a lost or killed trigger missed, plus unfinished follow-ups. Both run
on the `timers` queue, served by its own worker: never behind mail or backups.
"""

import contextlib
import logging
from datetime import datetime

import redis
from celery import shared_task
from kombu.exceptions import OperationalError

from auction_app.clock import utcnow
from auction_app.effects import carry_out
from auction_app.redis_store import client
from auction_app.repositories import database
from auction_app.services import auction_engine

log = logging.getLogger(__name__)


def _claim_key(auction_id: str, due_at: datetime) -> str:
    return f"auction-trigger:{database().name}:{auction_id}:{due_at.isoformat()}"


def arm(auction_id: str, due_at: datetime) -> None:
    """Queue `tick` for `due_at`, once per auction and due time.

    Several triggers can reach the same due time (the change that set it, and a tick that
    fired before it and found the clock moved on): the first to claim the time in Redis
    queues the task and the others stop there, so triggers never multiply. The claim is
    released when the tick runs, so a tick that arrives early can arm the same time again.
    If Redis cannot be reached nothing is queued (the change that asked for it still stands and
    is answered); the 1-second sweep does the work."""
    key = _claim_key(auction_id, due_at)
    ttl_ms = max(0, int((due_at - utcnow()).total_seconds() * 1000)) + 60_000
    try:
        if not client().set(key, "1", nx=True, px=ttl_ms):
            return
        tick.apply_async((auction_id, due_at.isoformat()), eta=due_at)
    except (redis.RedisError, OperationalError, OSError) as exc:
        log.warning("clock trigger for auction %s at %s not queued (%s); the sweep will run it",
                    auction_id, due_at.isoformat(), exc)
        with contextlib.suppress(redis.RedisError, OSError):
            client().delete(key)  # so a later trigger for this time is not refused


@shared_task(name="workers.timers.tick", ignore_result=True)
def tick(auction_id: str, armed_for: str | None = None) -> None:
    if armed_for is not None:
        with contextlib.suppress(redis.RedisError, OSError):  # the tick's work does not need Redis
            client().delete(_claim_key(auction_id, datetime.fromisoformat(armed_for)))
    auction_engine.tick(database(), auction_id, utcnow(), publish=carry_out)


@shared_task(name="workers.timers.sweep_auctions", ignore_result=True, expires=5)
def sweep_auctions() -> None:
    auction_engine.sweep(database(), utcnow(), publish=carry_out)
