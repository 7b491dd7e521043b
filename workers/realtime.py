"""Realtime broadcasts sent from workers through the Redis message queue."""
from celery import shared_task

from auction_app import realtime


@shared_task(name="workers.realtime.broadcast_announcement")
def broadcast_announcement(message: str, level: str = "info") -> None:
    """Tell every connected member something (planned maintenance, incidents)."""
    realtime.emit("announcement", {"message": message, "level": level})
