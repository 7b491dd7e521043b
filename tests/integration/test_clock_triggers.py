"""Lot clock triggers (workers/timers.py) through the real Celery broker (Redis).

Every bid near the end of a lot moves its clock. Each of those bids used to queue a tick,
and each tick that found the clock moved on queued itself again, until the auction ended:
in a 40-second benchmark with 5-second lots, 1,900 bids queued 18,230 ticks, each a
database read. Now the tick already queued follows the clock, and a due time is queued
once, however many triggers reach it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from celery.signals import before_task_publish

from auction_app.effects import carry_out
from auction_app.repositories import auctions
from auction_app.services import auction_engine as engine
from tests.support.factories import make_league
from workers import timers

# Far ahead of the real clock: the session's sweep and timer worker find nothing due here.
T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=90)


@pytest.fixture
def queued_ticks():
    """(auction id, due time) of every tick this process queues on the broker."""
    seen: list[tuple] = []

    def record(sender=None, body=None, **_):
        if sender == "workers.timers.tick":
            seen.append(tuple(body[0]))

    before_task_publish.connect(record, weak=False)
    yield seen
    before_task_publish.disconnect(record)


def test_bids_moving_the_clock_queue_no_tick_each_and_the_queued_one_follows(app, db, queued_ticks):
    league, users = make_league(db, members=3, budget=1000, lot_seconds=10, bid_clock_seconds=10)
    with app.app_context():
        auction, effects = engine.start(db, league, users[0]["_id"], T0)
        carry_out(effects)
        first_end = auctions.get(db, auction["_id"])["due_at"]
        assert queued_ticks == [(auction["_id"], first_end.isoformat())]

        lot_id = auction["lot"]["id"]
        for i in range(30):  # every bid lands inside the 10 s bid clock: each moves the end on
            placed = engine.place_bid(db, auction["_id"], users[i % 3]["_id"], i + 1, engine.new_idempotency_key(),
                                      T0 + timedelta(seconds=5 + i / 2), lot_id=lot_id, publish=carry_out)
            assert placed.accepted, placed
        end = auctions.get(db, auction["_id"])["due_at"]
        assert end > first_end
        assert len(queued_ticks) == 1, "30 bids moved the clock and queued nothing"

        # The tick queued for the first end arrives, and arrives again (a redelivery): it
        # finds the clock moved on and queues the new end, once.
        timers.tick(auction["_id"], first_end.isoformat())
        timers.tick(auction["_id"], first_end.isoformat())
        assert queued_ticks[1:] == [(auction["_id"], end.isoformat())]
        assert auctions.get(db, auction["_id"])["lot"]["status"] == "open"


def test_a_tick_that_arrives_early_queues_its_own_time_again(app, db, queued_ticks):
    """Timer precision: the tick for the end arrives a moment before it. Its claim on that
    time is released when it runs, so it can queue the same time again."""
    league, users = make_league(db, members=2, lot_seconds=10, bid_clock_seconds=10)
    with app.app_context():
        auction, effects = engine.start(db, league, users[0]["_id"], T0)
        carry_out(effects)
        end = auctions.get(db, auction["_id"])["due_at"]
        timers.tick(auction["_id"], end.isoformat())  # the real clock is 90 days before the end
        assert queued_ticks == [(auction["_id"], end.isoformat())] * 2
