"""Races between processes (two web processes, a web process and a worker) on one auction.

Each call runs in its own OS process with its own database client, all released
at the same instant; the conditional write must let exactly one change win and
the auction must stay consistent with its log.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from auction_app.domain.auction_replay import differences, replay
from auction_app.domain.auction_rules import AuctionSettings
from auction_app.repositories import auctions, bids, leagues
from auction_app.services import auction_engine as engine
from tests.support.engine_processes import EngineProcesses
from tests.support.factories import make_league, make_user

# In the future, so the session's real beat sweep never touches these auctions.
T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=60)


@pytest.fixture(scope="module")
def processes(settings):
    pool = EngineProcesses(settings.MONGO_URL, settings.MONGO_DB)
    yield pool
    pool.close()


def consistent(db, auction_id) -> dict:
    current = auctions.get(db, auction_id)
    engine.sweep(db, T0 - timedelta(days=1))  # complete any outbox (as the next reader would)
    records = bids.log(db, auction_id) + bids.auction_log(db, auction_id)
    replayed = replay(records, settings=AuctionSettings(**current["settings"]), member_ids=current["member_order"],
                      lot_order=current["lot_order"])
    assert differences(replayed, current) == []
    return current


def started(db, **settings):
    league, users = make_league(db, members=3, **settings)
    auction, _ = engine.start(db, league, users[0]["_id"], T0)
    return auction, users


def test_the_same_key_sent_to_two_processes_places_one_bid(db, processes):
    for attempt in range(5):
        auction, (a, b, c) = started(db)
        call = ("place_bid", (auction["_id"], b["_id"], 5, f"same-key-{attempt}", T0 + timedelta(seconds=1)),
                {"lot_id": auction["lot"]["id"]})
        first, second = processes.race(call, call)
        assert first["accepted"] and second["accepted"]
        assert first["seq"] == second["seq"], "both answers name the one bid"
        assert sorted([first["duplicate"], second["duplicate"]]) == [False, True]
        assert len(bids.log(db, auction["_id"])) == 1
        consistent(db, auction["_id"])


def test_two_equal_bids_from_two_processes_never_both_win(db, processes):
    for attempt in range(5):
        auction, (a, b, c) = started(db)
        now = T0 + timedelta(seconds=1)
        lot_id = auction["lot"]["id"]
        results = processes.race(("place_bid", (auction["_id"], b["_id"], 7, f"b-{attempt}-key", now), {"lot_id": lot_id}),
                                 ("place_bid", (auction["_id"], c["_id"], 7, f"c-{attempt}-key", now), {"lot_id": lot_id}))
        assert sorted(r["accepted"] for r in results) == [False, True]
        assert [r["code"] for r in results if not r["accepted"]] == ["below_minimum"]
        consistent(db, auction["_id"])


def test_a_bid_racing_the_close_either_counts_or_is_too_late(db, processes):
    outcomes = set()
    for attempt in range(6):
        auction, (a, b, c) = started(db)
        ends = auction["lot"]["ends_at"] + timedelta(milliseconds=auction["settings"]["grace_ms"])
        bid, close = processes.race(
            ("place_bid", (auction["_id"], b["_id"], 5, f"late-{attempt}-key", ends), {"lot_id": auction["lot"]["id"]}),
            ("tick", (auction["_id"], ends), {}))
        final = consistent(db, auction["_id"])
        sold = final["lots"][auction["lot"]["team_key"]]
        if bid["accepted"]:
            outcomes.add("counted")
            assert (sold["status"], sold.get("winner_id"), sold.get("price")) in (("open", None, None), ("sold", b["_id"], 5))
        else:
            outcomes.add(bid["code"])
            assert bid["code"] == "too_late" and sold["status"] == "unsold"
    assert outcomes, "every race ended one way or the other"


def test_a_timer_and_the_sweep_close_a_lot_once(db, processes):
    for _ in range(4):
        auction, (a, b, c) = started(db)
        engine.place_bid(db, auction["_id"], b["_id"], 9, engine.new_idempotency_key(), T0 + timedelta(seconds=1),
                         lot_id=auction["lot"]["id"])
        due = auction["lot"]["ends_at"] + timedelta(seconds=1)
        timer, sweep = processes.race(("tick", (auction["_id"], due), {}), ("sweep", (due,), {}))
        closes = [name for auction_id, name in timer["events"] + sweep["events"]
                  if auction_id == auction["_id"] and name in ("lot_sold", "lot_unsold")]
        assert closes == ["lot_sold"]
        final = consistent(db, auction["_id"])
        assert final["members"][b["_id"]]["spent"] == 9


def test_two_undos_at_once_undo_one_sale(db, processes):
    auction, (a, b, c) = started(db, teams=["arsenal", "chelsea", "everton"])
    now = T0
    for team, who in (("arsenal", b), ("chelsea", c)):
        lot = auctions.get(db, auction["_id"])["lot"]
        engine.place_bid(db, auction["_id"], who["_id"], 4, engine.new_idempotency_key(), now, lot_id=lot["id"])
        now = lot["ends_at"] + timedelta(seconds=1)
        engine.tick(db, auction["_id"], now)
        now += timedelta(seconds=5)
        engine.tick(db, auction["_id"], now)
    undo = ("undo_last_sale", (auction["_id"], a["_id"], now), {"team_key": "chelsea"})
    results = processes.race(undo, undo)
    final = consistent(db, auction["_id"])
    assert sorted(r["ok"] for r in results) == [False, True]
    assert [r["code"] for r in results if not r["ok"]] == ["already_undone"]
    assert final["lots"]["chelsea"]["status"] == "pending" and final["lots"]["arsenal"]["status"] == "sold", \
        "a double press undoes the sale the commissioner saw, once"
    assert len([r for r in bids.auction_log(db, auction["_id"]) if r["kind"] == "sale_undone"]) == 1


def test_undo_racing_the_close_keeps_money_consistent(db, processes):
    for _ in range(4):
        auction, (a, b, c) = started(db, teams=["arsenal", "chelsea", "everton"])
        lot = auction["lot"]
        engine.place_bid(db, auction["_id"], b["_id"], 6, engine.new_idempotency_key(), T0, lot_id=lot["id"])
        engine.tick(db, auction["_id"], lot["ends_at"] + timedelta(seconds=1))
        engine.tick(db, auction["_id"], lot["ends_at"] + timedelta(seconds=5))
        second = auctions.get(db, auction["_id"])["lot"]
        engine.place_bid(db, auction["_id"], c["_id"], 8, engine.new_idempotency_key(), T0 + timedelta(seconds=6),
                         lot_id=second["id"])
        due = second["ends_at"] + timedelta(seconds=1)
        processes.race(("undo_last_sale", (auction["_id"], a["_id"], due), {}), ("tick", (auction["_id"], due), {}))
        consistent(db, auction["_id"])


def test_end_early_racing_the_sweep_leaves_no_lot_open(db, processes):
    for _ in range(4):
        auction, (a, b, c) = started(db, pause_between_lots_seconds=0)
        lot = auction["lot"]
        due = lot["ends_at"] + timedelta(seconds=1)
        end, sweep = processes.race(("end_early", (auction["_id"], a["_id"], due), {}), ("sweep", (due,), {}))
        final = consistent(db, auction["_id"])
        assert final["status"] == "completed" and (final.get("lot") or {}).get("status") != "open"
        assert leagues.get(db, final["league_id"])["status"] == "completed"


def test_start_racing_a_join_gives_league_and_auction_the_same_members(db, processes):
    for attempt in range(5):
        league, users = make_league(db, members=2)
        late = make_user(db, f"Late {attempt}")
        start, join = processes.race(
            ("start", (league, users[0]["_id"], T0), {}),
            ("join", (league["_id"], late["_id"], {"name": late["display_name"], "role": "member",
                                                   "joined_at": T0}), {}))
        final_league = leagues.get(db, league["_id"])
        auction = auctions.for_league(db, league["_id"])
        assert sorted(auction["members"]) == sorted(final_league["member_ids"]), "one membership, everywhere"
        assert join["ok"] == (late["_id"] in auction["members"])
