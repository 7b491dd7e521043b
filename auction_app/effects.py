"""Carry out what the engine asked for: emit events, schedule clock checks.

Used by web handlers and Celery tasks alike. Clock checks are only fast
triggers; the beat sweep closes anything they miss (a killed worker, a lost
message), and the engine's conditional writes make duplicates harmless.
"""
from __future__ import annotations

from auction_app import metrics, realtime
from auction_app.services.auction_engine import Effects, room


def carry_out(effects: Effects) -> None:
    from workers import timers
    from workers.results import send_results

    for auction_id, event, payload in effects.events:
        realtime.emit(event, payload, room=room(auction_id))
    metrics.observe_events(effects.events)
    for auction_id, due_at in _latest(effects.close_checks):
        timers.close_lot.apply_async((auction_id,), eta=due_at)
    for auction_id, due_at in _latest(effects.open_checks):
        timers.open_next_lot.apply_async((auction_id,), eta=due_at)
    for auction_id in effects.completed:
        send_results.delay(auction_id)


def _latest(checks):
    # Several bids in one burst each extend the clock: one trigger, at the latest time, is enough.
    latest: dict = {}
    for auction_id, due_at in checks:
        latest[auction_id] = max(due_at, latest.get(auction_id, due_at))
    return latest.items()
