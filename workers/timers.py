"""Lot clocks. The lot's `ends_at` in the database is the truth; these tasks only
trigger the engine's conditional close/open, so early, late or duplicate
deliveries are harmless. `sweep_auctions` runs every second from beat and
closes whatever a lost or killed trigger missed.
"""

from celery import shared_task

from auction_app.clock import utcnow
from auction_app.effects import carry_out
from auction_app.repositories import database
from auction_app.services import auction_engine


@shared_task(name="workers.timers.close_lot", ignore_result=True)
def close_lot(auction_id: str) -> None:
    carry_out(auction_engine.close_lot_if_due(database(), auction_id, utcnow()))


@shared_task(name="workers.timers.open_next_lot", ignore_result=True)
def open_next_lot(auction_id: str) -> None:
    carry_out(auction_engine.open_next_lot(database(), auction_id, utcnow()))


@shared_task(name="workers.timers.sweep_auctions", ignore_result=True, expires=5)
def sweep_auctions() -> None:
    carry_out(auction_engine.sweep(database(), utcnow()))
