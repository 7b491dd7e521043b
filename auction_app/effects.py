"""Carry out what the engine asked for: emit events, arm clock triggers, queue tasks.

Used by web handlers and Celery tasks alike, passed to the engine as `publish`
so it runs while the auction's lock is held and events leave in sequence order.
Clock triggers are only fast triggers; the beat sweep handles anything they
miss (a killed worker, a lost message), and the engine's conditional writes make
duplicates harmless. Tasks (the results email) are idempotent per recipient.
"""
from __future__ import annotations

from auction_app import metrics, realtime
from auction_app.repositories import database
from auction_app.services import auction_store
from auction_app.services.auction_engine import Effects, lobby_room, room


def carry_out(effects: Effects) -> None:
    if effects.published:
        return
    from workers import results, timers

    tasks = {"send_results": results.send_results}
    for auction_id, event, payload in effects.events:
        realtime.emit(event, payload, room=room(auction_id))
    for league_id, event, payload in effects.lobby_events:
        realtime.emit(event, payload, room=lobby_room(league_id))
    metrics.observe_events(effects.events)
    for auction_id, due_at in _latest(effects.triggers):
        timers.arm(auction_id, due_at)
    for task, auction_id in effects.tasks:
        tasks[task].delay(auction_id)
    for auction_id, version in effects.done:
        auction_store.followups_done(database(), auction_id, version)
    effects.published = True


def _latest(triggers):
    # Several bids in one burst each extend the clock: one trigger, at the latest time, is enough.
    latest: dict = {}
    for auction_id, due_at in triggers:
        latest[auction_id] = max(due_at, latest.get(auction_id, due_at))
    return latest.items()
