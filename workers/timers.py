"""Lot clocks. The auction's `due_at` in the database is the truth; `tick` only
triggers the engine's conditional close/open, so early, late or duplicate
deliveries are harmless. `sweep_auctions` runs every second from beat and does
whatever a lost or killed trigger missed, plus unfinished follow-ups. Both run
on the `timers` queue, served by its own worker: never behind mail or backups.
"""

from celery import shared_task

from auction_app.clock import utcnow
from auction_app.effects import carry_out
from auction_app.repositories import database
from auction_app.services import auction_engine


@shared_task(name="workers.timers.tick", ignore_result=True)
def tick(auction_id: str) -> None:
    auction_engine.tick(database(), auction_id, utcnow(), publish=carry_out)


@shared_task(name="workers.timers.sweep_auctions", ignore_result=True, expires=5)
def sweep_auctions() -> None:
    auction_engine.sweep(database(), utcnow(), publish=carry_out)
