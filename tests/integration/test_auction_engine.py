"""The auction engine against the real database: bids, clock, settlement, controls.

The engine takes the time as an argument, so these tests move the clock
instead of sleeping.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient, monitoring

from auction_app.domain.auction_replay import differences, replay
from auction_app.domain.auction_rules import AuctionSettings
from auction_app.repositories import auctions, bids, proxies
from auction_app.repositories import leagues as leagues_repo
from auction_app.services import auction_engine as engine
from auction_app.services import auction_store
from auction_app.services.auction_engine import EngineError
from tests.support.factories import make_league

# Ahead of the real clock, as in the other engine tests: the session's clock sweep (running
# once any earlier test started beat) would otherwise close these lots while a test bids.
T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=90)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def started(db, members=3, **settings):
    league, users = make_league(db, members=members, **settings)
    auction, effects = engine.start(db, league, users[0]["_id"], T0)
    return auction, users, effects


def state(db, auction):
    return auctions.get(db, auction["_id"])


def bid(db, auction, user, amount, t, key=None, **kw):
    """A bid on the team on the block now (as the room sends it: with the lot's id)."""
    if "lot_id" not in kw:
        kw["lot_id"] = (state(db, auction)["lot"] or {}).get("id")
    return engine.place_bid(db, auction["_id"], user["_id"], amount, key or engine.new_idempotency_key(), at(t), **kw)


def replay_of(db, auction) -> dict:
    """The auction rebuilt from its log alone (bids and auction_log), with its stored settings."""
    stored = state(db, auction)
    return replay(bids.log(db, auction["_id"]) + bids.auction_log(db, auction["_id"]),
                  settings=AuctionSettings(**stored["settings"]), member_ids=stored["member_order"],
                  lot_order=stored["lot_order"])


def close_and_open_next(db, auction, t_close):
    closed = engine.close_lot_if_due(db, auction["_id"], at(t_close))
    opened = engine.open_next_lot(db, auction["_id"], at(t_close + 3))
    return closed, opened


def at_once(*calls):
    """Run the calls in threads released together; their results, in the order they finished."""
    gate = threading.Barrier(len(calls))
    results = []

    def run(call):
        gate.wait()
        results.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_start_opens_the_first_lot_with_the_opening_clock(db):
    auction, users, effects = started(db)
    assert auction["status"] == "running"
    assert auction["lot"]["team_key"] == "arsenal" and auction["lot"]["status"] == "open"
    assert auction["lot"]["ends_at"] == at(30)
    assert [e[1] for e in effects.events] == ["auction_started", "lot_opened"]
    assert effects.triggers == [(auction["_id"], at(30.3))]


def test_only_the_commissioner_starts_and_only_once(db):
    league, users = make_league(db, members=2)
    with pytest.raises(EngineError) as refused:
        engine.start(db, league, users[1]["_id"], T0)
    assert refused.value.code == "not_commissioner"
    engine.start(db, league, users[0]["_id"], T0)
    league["status"] = "setup"  # a stale copy of the league, as a double click would have
    with pytest.raises(EngineError) as again:
        engine.start(db, league, users[0]["_id"], T0)
    assert again.value.code == "already_started"


def test_a_league_needs_two_members_to_start(db):
    league, users = make_league(db, members=1)
    with pytest.raises(EngineError) as refused:
        engine.start(db, league, users[0]["_id"], T0)
    assert refused.value.code == "not_enough_members"
    assert "At least 2 members" in refused.value.message


def test_a_start_cut_short_before_its_auction_was_written_is_finished_by_the_sweep(db):
    """The process died between the league flip and the auction insert, and the workers
    came back long after (the engine's clock is 90 days ahead): the sweep writes the auction
    once, and the next sweep leaves it alone."""
    league, users = make_league(db, members=3)
    auction_id = "A" + league["_id"]
    leagues_repo.mark_started(db, league["_id"], auction_id, at(0))  # ... and the process died here
    assert auctions.get(db, auction_id) is None

    first = engine.repair_interrupted_starts(db, at(5))
    auction = auctions.get(db, auction_id)
    assert auction["status"] == "running" and auction["lot"]["team_key"] == "arsenal"
    assert auction["member_order"] == [u["_id"] for u in users]
    assert [name for _, name, _ in first.events] == ["auction_started", "lot_opened"]
    assert not leagues_repo.get(db, league["_id"])["auction_pending"]

    again = engine.repair_interrupted_starts(db, at(6))
    assert again.events == [] and auctions.get(db, auction_id)["version"] == auction["version"]


def test_a_start_cut_short_after_its_auction_was_written_is_not_started_twice(db):
    """Died after the insert but before the league was told: the sweep only clears the mark."""
    league, users = make_league(db, members=2)
    auction, _ = engine.start(db, league, users[0]["_id"], T0)
    db.leagues.update_one({"_id": league["_id"]}, {"$set": {"auction_pending": True}})  # the last write, undone

    repaired = engine.repair_interrupted_starts(db, at(1))
    assert repaired.events == [] and state(db, auction)["version"] == auction["version"]
    assert not leagues_repo.get(db, league["_id"])["auction_pending"]


class Watched(monitoring.CommandListener):
    """What one client sent (command, collection) and the ids of the documents it got back."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []
        self.ids: list = []

    def started(self, event):
        self.sent.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event):
        batch = (event.reply.get("cursor") or {}).get("firstBatch") or []
        self.ids.extend(doc.get("_id") for doc in batch)

    def failed(self, event):
        pass

    def finds(self, collection: str) -> int:
        return self.sent.count(("find", collection))


@pytest.fixture
def watched(app, db):
    """The test database through a client of its own that records what it sent and got back."""
    listener = Watched()
    client = MongoClient(app.config["MONGO_URL"], event_listeners=[listener], tz_aware=True)
    yield client[db.name], listener
    client.close()


def test_the_sweep_reads_no_running_league_or_auction_that_has_nothing_due(db, watched):
    """Its cost must not grow with the live auctions: a club night starts many at once."""
    mine = set()
    for _ in range(6):
        auction, _users, effects = started(db, members=2)
        for auction_id, version in effects.done:  # the start's follow-ups, carried out
            auctions.mark_followups_done(db, auction_id, version)
        mine |= {auction["_id"], auction["league_id"]}
    watched_db, listener = watched
    engine.sweep(watched_db, datetime.now(timezone.utc))  # their lots end 90 days from now
    assert mine.isdisjoint(listener.ids)


def test_fifty_members_opening_the_room_at_once_read_the_hidden_maximums_once_or_twice(db, watched):
    """All of them get the league's maximums; the cache starts empty for a new lot."""
    auction, users, _ = started(db, members=3)
    proxies.set_max(db, auction["league_id"], users[1]["_id"], "chelsea", 40, T0)
    watched_db, listener = watched
    auction_store._proxy_cache.pop(auction["league_id"], None)
    answers = at_once(*[lambda: auction_store.proxies_for(watched_db, state(db, auction))] * 50)
    assert len(answers) == 50 and all(a == answers[0] for a in answers)
    assert [(p.user_id, p.team_key, p.max_amount) for p in answers[0]] == [(users[1]["_id"], "chelsea", 40)]
    assert 1 <= listener.finds("proxies") <= 2


def test_fifty_members_opening_the_room_at_once_read_the_feed_once_or_twice(db, watched):
    """The feed's bids are read from the bid log when a version's snapshot is first built."""
    auction, (a, b, c), _ = started(db, members=3)
    for amount in range(1, 6):
        assert bid(db, auction, a if amount % 2 else b, amount, amount * 0.1).accepted
    watched_db, listener = watched
    stored = auctions.get(db, auction["_id"])
    feeds = at_once(*[lambda: engine.snapshot(watched_db, stored, c["_id"], at(1))["recent_bids"]] * 50)
    assert len(feeds) == 50 and all(feed == feeds[0] for feed in feeds)
    assert [x["amount"] for x in feeds[0]] == [1, 2, 3, 4, 5]
    assert 1 <= listener.finds("bids") <= 2


def test_sweeps_racing_to_repair_one_cut_short_start_write_one_auction(db):
    """Two workers can run the sweep at once (beat's second ticks overlap a slow one)."""
    league, _users = make_league(db, members=2)
    auction_id = "A" + league["_id"]
    leagues_repo.mark_started(db, league["_id"], auction_id, at(0))  # the process died here
    sweeps = at_once(*[lambda: engine.repair_interrupted_starts(db, at(5))] * 8)
    started_events = [name for effects in sweeps for aid, name, _ in effects.events
                      if aid == auction_id and name == "auction_started"]
    assert started_events == ["auction_started"]
    assert db.auctions.count_documents({"league_id": league["_id"]}) == 1
    assert not leagues_repo.get(db, league["_id"])["auction_pending"]


def test_resends_racing_the_lots_close_all_get_the_first_outcome(db):
    """A lot's keys leave the auction document when it closes: resends that land before the
    close are answered from the document, the ones after it from the bid log, and every one
    of them gets the accepted bid back, never a refusal or a second bid."""
    auction, (a, b, _c), _ = started(db)
    lot_id = state(db, auction)["lot"]["id"]
    first = bid(db, auction, a, 10, 1, key="winning-bid-key")
    assert first.accepted and not first.duplicate

    def resend():  # five times: some land before the close, some after it
        return [bid(db, auction, a, 10, 60, key="winning-bid-key", lot_id=lot_id) for _ in range(5)]

    def close():
        time.sleep(0.01)
        engine.close_lot_if_due(db, auction["_id"], at(60))
        return []

    answers = [answer for answers in at_once(*[resend] * 8, close) for answer in answers]
    assert [(r.accepted, r.duplicate, r.bid["seq"]) for r in answers] == [(True, True, first.bid["seq"])] * 40
    stored = state(db, auction)
    assert stored["lots"][lot_id.split(":")[0]]["winner_id"] == a["_id"]
    assert keys_held(stored) == 0
    assert [r["idempotency_key"] for r in bids.log(db, auction["_id"])] == ["winning-bid-key"]


def test_bids_must_beat_the_price_by_the_increment(db):
    auction, (a, b, c), _ = started(db, min_increment=5)
    assert bid(db, auction, a, 10, 1).accepted
    low = bid(db, auction, b, 12, 2)
    assert not low.accepted and low.code == "below_minimum" and "at least 15" in low.message
    assert bid(db, auction, b, 15, 3).accepted
    assert state(db, auction)["lot"]["price"] == 15


def test_each_accepted_bid_gets_the_next_sequence_number(db):
    auction, (a, b, c), _ = started(db)
    seqs = [bid(db, auction, user, amount, i).bid["seq"] for i, (user, amount) in enumerate([(a, 1), (b, 2), (c, 3)])]
    assert seqs == [3, 4, 5]  # 1 was the start, 2 the lot opening
    assert [x["seq"] for x in bids.log(db, auction["_id"])] == seqs


def test_a_retried_bid_returns_the_first_outcome_and_counts_once(db):
    auction, (a, b, c), _ = started(db)
    first = bid(db, auction, a, 5, 1, key="retry-key-1")
    again = bid(db, auction, a, 5, 2, key="retry-key-1")
    assert first.accepted and again.accepted and again.duplicate
    assert again.bid["seq"] == first.bid["seq"]
    assert len(bids.log(db, auction["_id"])) == 1


def test_the_leader_cannot_outbid_themselves(db):
    auction, (a, b, c), _ = started(db)
    bid(db, auction, a, 5, 1)
    refused = bid(db, auction, a, 6, 2)
    assert refused.code == "already_leading"


def test_max_bid_keeps_money_for_the_other_slots(db):
    auction, (a, b, c), _ = started(db, budget=100, roster_slots=3, min_bid=1)
    refused = bid(db, auction, a, 99, 1)
    assert refused.code == "over_max_bid" and "at most 98" in refused.message
    assert bid(db, auction, a, 98, 1).accepted


def test_a_late_bid_sets_the_clock_back_and_the_armed_trigger_follows_it(db):
    auction, (a, b, c), _ = started(db)
    result = bid(db, auction, a, 5, 25)  # 5 s left < 10 s bid clock
    assert state(db, auction)["lot"]["ends_at"] == at(35)
    assert result.effects.triggers == [], "the trigger armed for 30.3 s is still to come: no new one"
    followed = engine.tick(db, auction["_id"], at(30.3))
    assert followed.triggers == [(auction["_id"], at(35.3))], "it finds the clock moved on and arms the new end"
    assert state(db, auction)["lot"]["status"] == "open"


def test_bids_after_the_close_are_refused_naming_team_and_buyer(db, catalogs):
    auction, (a, b, c), _ = started(db)
    in_grace = bid(db, auction, a, 5, 30.2)
    assert in_grace.accepted, "a bid inside the 300 ms grace window counts"
    auction = state(db, auction)
    too_late = bid(db, auction, b, 6, auction["lot"]["ends_at"].timestamp() - T0.timestamp() + 0.5)
    assert too_late.code == "too_late"
    assert too_late.message == f"Too late for Arsenal — it sold to {a['display_name']} for 5."


def test_closing_sells_to_the_leader_and_settles_budget_and_roster(db):
    auction, (a, b, c), _ = started(db, budget=100)
    bid(db, auction, a, 10, 1)
    bid(db, auction, b, 20, 2)
    assert engine.close_lot_if_due(db, auction["_id"], at(29)).events == [], "not before the clock runs out"
    closed = engine.close_lot_if_due(db, auction["_id"], at(30.4))
    assert [e[1] for e in closed.events] == ["lot_sold"]
    now = state(db, auction)
    assert now["lots"]["arsenal"]["status"] == "sold"
    assert now["lots"]["arsenal"]["winner_id"] == b["_id"] and now["lots"]["arsenal"]["price"] == 20
    assert (now["members"][b["_id"]]["spent"], now["members"][b["_id"]]["filled"]) == (20, 1)
    snap = engine.snapshot(db, now, b["_id"], at(31))
    assert snap["me"]["budget_left"] == 80 and snap["me"]["slots_left"] == 1


def test_a_second_close_does_nothing(db):
    auction, (a, b, c), _ = started(db)
    bid(db, auction, a, 10, 1)
    first = engine.close_lot_if_due(db, auction["_id"], at(31))
    second = engine.close_lot_if_due(db, auction["_id"], at(31))
    assert len(first.events) == 1 and second.events == []
    assert state(db, auction)["members"][a["_id"]]["spent"] == 10


def test_a_lot_without_bids_is_unsold_and_offered_again_at_the_end(db):
    auction, (a, b, c), _ = started(db, roster_slots=1, teams=["arsenal", "chelsea"])
    engine.close_lot_if_due(db, auction["_id"], at(31))
    assert state(db, auction)["lots"]["arsenal"]["status"] == "unsold"
    engine.open_next_lot(db, auction["_id"], at(34))
    assert state(db, auction)["lot"]["team_key"] == "chelsea"
    bid(db, auction, a, 5, 35)
    engine.close_lot_if_due(db, auction["_id"], at(70))
    engine.open_next_lot(db, auction["_id"], at(74))
    lot = state(db, auction)["lot"]
    assert lot["team_key"] == "arsenal" and lot["round"] == 2


def test_the_next_lot_waits_for_the_pause_between_lots(db):
    auction, (a, b, c), _ = started(db)
    closed = engine.close_lot_if_due(db, auction["_id"], at(31))
    assert closed.triggers == [(auction["_id"], at(34))]
    assert engine.open_next_lot(db, auction["_id"], at(32)).events == []
    opened = engine.open_next_lot(db, auction["_id"], at(34))
    assert [e[1] for e in opened.events] == ["lot_opened"]


def test_auction_completes_when_every_roster_is_full(db):
    auction, (a, b), _ = started(db, members=2, roster_slots=1)
    bid(db, auction, a, 5, 1)
    close_and_open_next(db, auction, 31)
    bid(db, auction, b, 5, 35)
    engine.close_lot_if_due(db, auction["_id"], at(65))
    done = engine.open_next_lot(db, auction["_id"], at(69))
    assert [e[1] for e in done.events] == ["auction_completed"]
    final = state(db, auction)
    assert final["status"] == "completed" and final["completed_reason"] == "rosters_full"
    assert final["outbox_pending"] and {"op": "task", "task": "send_results", "id": f"results:{auction['_id']}"} \
        in final["outbox"], "the results email is a follow-up of the completing write"
    assert db.leagues.find_one({"_id": final["league_id"]})["status"] == "completed"


def test_pause_freezes_the_clock_and_resume_restores_the_time_left(db):
    auction, (a, b, c), _ = started(db)
    engine.pause(db, auction["_id"], a["_id"], at(10))  # 20 s left
    refused = bid(db, auction, b, 5, 11)
    assert refused.code == "lot_paused"
    assert engine.close_lot_if_due(db, auction["_id"], at(100)).events == [], "a paused lot never closes"
    engine.resume(db, auction["_id"], a["_id"], at(200))
    assert state(db, auction)["lot"]["ends_at"] == at(220)
    assert bid(db, auction, b, 5, 201).accepted


def test_only_the_commissioner_controls_and_every_action_is_audited(db):
    auction, (a, b, c), _ = started(db)
    with pytest.raises(EngineError) as refused:
        engine.pause(db, auction["_id"], b["_id"], at(1))
    assert refused.value.code == "not_commissioner"
    engine.pause(db, auction["_id"], a["_id"], at(2))
    engine.resume(db, auction["_id"], a["_id"], at(3))
    entries = list(db.audit.find({"league_id": auction["league_id"]}).sort("at", 1))
    assert [e["action"] for e in entries] == ["auction_started", "pause", "resume"]
    assert all(e["actor_id"] == a["_id"] for e in entries)


def test_undo_refunds_the_last_sale_and_the_team_comes_up_next(db):
    auction, (a, b, c), _ = started(db)
    bid(db, auction, a, 40, 1)
    close_and_open_next(db, auction, 31)
    engine.skip(db, auction["_id"], a["_id"], at(40))  # chelsea... the second team, skipped
    engine.undo_last_sale(db, auction["_id"], a["_id"], at(41))
    now = state(db, auction)
    assert now["members"][a["_id"]]["spent"] == 0 and now["members"][a["_id"]]["filled"] == 0
    assert now["lots"]["arsenal"]["status"] == "pending"
    engine.open_next_lot(db, auction["_id"], at(44))
    assert state(db, auction)["lot"]["team_key"] == "arsenal"


def test_skip_closes_without_a_sale(db):
    auction, (a, b, c), _ = started(db)
    bid(db, auction, b, 7, 1)
    engine.skip(db, auction["_id"], a["_id"], at(2))
    now = state(db, auction)
    assert now["lots"]["arsenal"]["status"] == "unsold"
    assert now["members"][b["_id"]]["spent"] == 0


def test_end_early_completes_and_refuses_further_bids(db):
    auction, (a, b, c), _ = started(db)
    effects = engine.end_early(db, auction["_id"], a["_id"], at(5))
    assert "auction_completed" in [e[1] for e in effects.events]
    assert bid(db, auction, b, 5, 6).code == "auction_not_running"


def test_proxy_bids_win_at_one_increment_above_the_second_highest(db):
    auction, (a, b, c), _ = started(db)
    proxies.set_max(db, auction["league_id"], b["_id"], "arsenal", 30, at(0))
    proxies.set_max(db, auction["league_id"], c["_id"], "arsenal", 20, at(0.5))
    bid(db, auction, a, 5, 1)  # a manual bid wakes the proxies up
    lot = state(db, auction)["lot"]
    assert lot["leader_id"] == b["_id"] and lot["price"] == 21
    sources = [x["source"] for x in bids.log(db, auction["_id"])]
    assert sources == ["manual", "proxy", "proxy"]
    feed = engine.snapshot(db, state(db, auction), a["_id"], at(2))["recent_bids"]
    assert [x["amount"] for x in feed] == [5, 20, 21]
    assert all("source" not in x for x in feed), "nobody sees who has a maximum"


def test_the_feed_is_the_last_thirty_bids_and_the_document_keeps_only_their_numbers(db):
    """The feed's bids were a third of the document every bid writes; they are read from the log."""
    auction, (a, b, _c), _ = started(db, budget=10_000)
    for amount in range(1, 36):
        assert bid(db, auction, a if amount % 2 else b, amount, amount * 0.1).accepted
    stored = state(db, auction)
    assert "recent_bids" not in stored and len(stored["recent_bid_seqs"]) == 30
    feed = engine.snapshot(db, stored, a["_id"], at(5))["recent_bids"]
    assert feed == [engine.public_bid(r) for r in bids.log(db, auction["_id"])][-30:]


def test_the_feed_shows_a_bid_whose_log_record_is_not_stored_yet(db):
    """The process that accepted it died before storing its record: the auction's outbox has it."""
    auction, (a, b, _c), _ = started(db)
    assert bid(db, auction, a, 5, 1).accepted
    last = bid(db, auction, b, 6, 2)
    db.bids.delete_one({"_id": last.bid["_id"]})
    stored = state(db, auction)  # as read, before anyone completes its outbox
    assert [x["amount"] for x in engine.snapshot(db, stored, a["_id"], at(3))["recent_bids"]] == [5, 6]


def test_an_auction_that_stored_its_feed_in_the_document_keeps_it(db):
    """Documents written before the feed moved to the bid log held the bids themselves."""
    auction, (a, b, _c), _ = started(db)
    assert bid(db, auction, a, 5, 1).accepted and bid(db, auction, b, 6, 2).accepted
    stored = state(db, auction)
    legacy = {k: v for k, v in stored.items() if k != "recent_bid_seqs"}
    legacy["recent_bids"] = [dict(engine.public_bid(r), at=r["at"]) for r in bids.log(db, auction["_id"])]
    assert auctions.replace_if_unchanged(db, stored, legacy)
    auction_store.forget(db, auction["_id"])
    assert [x["amount"] for x in engine.snapshot(db, state(db, auction), a["_id"], at(3))["recent_bids"]] == [5, 6]

    assert bid(db, auction, a, 7, 4).accepted
    upgraded = state(db, auction)
    assert "recent_bids" not in upgraded
    assert [x["amount"] for x in engine.snapshot(db, upgraded, a["_id"], at(5))["recent_bids"]] == [5, 6, 7]


def test_a_snapshot_after_a_restore_shows_the_restored_auction_not_a_remembered_one(db):
    """A restore brings back earlier versions: the snapshot's shared part is kept per revision."""
    auction, (a, _b, _c), _ = started(db)
    assert bid(db, auction, a, 5, 1).accepted
    before = state(db, auction)
    assert engine.snapshot(db, before, a["_id"], at(2))["lot"]["price"] == 5
    restored = dict(before, lot=dict(before["lot"], price=4))  # same version and seq, another revision
    assert auctions.replace_if_unchanged(db, before, restored)
    assert engine.snapshot(db, state(db, auction), a["_id"], at(3))["lot"]["price"] == 4


def test_proxy_bids_start_when_the_lot_opens(db):
    league, users = make_league(db, members=3)
    proxies.set_max(db, league["_id"], users[2]["_id"], "arsenal", 12, T0)
    auction, _ = engine.start(db, league, users[0]["_id"], T0)
    lot = state(db, auction)["lot"]
    assert lot["leader_id"] == users[2]["_id"] and lot["price"] == 1


def test_members_of_another_auction_cannot_bid(db):
    auction, users, _ = started(db)
    other, outsiders, _ = started(db)
    refused = bid(db, auction, outsiders[1], 5, 1)
    assert refused.code == "not_member"
    assert bids.log(db, auction["_id"]) == []


@pytest.mark.parametrize("amount", [0, -5, 2.5, True, "10", None])
def test_bad_amounts_change_nothing(db, amount):
    auction, (a, b, c), _ = started(db)
    before = state(db, auction)
    refused = bid(db, auction, a, amount, 1)
    assert refused.code == "invalid_amount"
    assert state(db, auction)["seq"] == before["seq"]


def test_replaying_the_log_reproduces_the_final_state(db):
    auction, (a, b, c), _ = started(db, budget=60, roster_slots=2, teams=["arsenal", "chelsea", "everton"])
    proxies.set_max(db, auction["league_id"], c["_id"], "chelsea", 25, at(0))
    bid(db, auction, a, 10, 1)
    bid(db, auction, b, 11, 2)
    close_and_open_next(db, auction, 31)
    bid(db, auction, a, 20, 35)
    engine.pause(db, auction["_id"], a["_id"], at(36))
    engine.resume(db, auction["_id"], a["_id"], at(40))
    engine.close_lot_if_due(db, auction["_id"], at(80))
    engine.undo_last_sale(db, auction["_id"], a["_id"], at(81))
    engine.open_next_lot(db, auction["_id"], at(84))
    final = state(db, auction)
    assert differences(replay_of(db, auction), final) == []
    assert final["members"][b["_id"]]["spent"] == 11, "arsenal stays sold"
    assert final["members"][c["_id"]]["spent"] == 0, "c's proxy won chelsea at 21, and that sale was undone"
    assert final["lot"]["team_key"] == "chelsea" and final["lot"]["round"] == 1, "the undone team comes up next"


def test_a_maximum_set_while_its_team_is_on_the_block_bids_at_once(app, client, db):
    from tests.support.factories import bearer

    league, (a, b, c) = make_league(db, members=3, lot_seconds=600)
    auction, _ = engine.start(db, league, a["_id"], datetime.now(timezone.utc))
    engine.place_bid(db, auction["_id"], a["_id"], 5, engine.new_idempotency_key(), datetime.now(timezone.utc),
                     lot_id=auction["lot"]["id"])
    team = auctions.get(db, auction["_id"])["lot"]["team_key"]
    response = client.put(f"/api/leagues/{league['_id']}/proxies/{team}", json={"max_amount": 20},
                          headers=bearer(app, b))
    assert response.status_code == 200
    lot = auctions.get(db, auction["_id"])["lot"]
    assert (lot["leader_id"], lot["price"]) == (b["_id"], 6), "the proxy outbid the leader by one increment"


# --------------------------------------------------------------------------- nominations

def nominating(db, auction):
    return state(db, auction).get("nominating")


def test_with_nominations_members_take_turns_putting_a_team_up(db):
    auction, (a, b, c), effects = started(db, nomination_seconds=20, roster_slots=2)
    assert [e[1] for e in effects.events] == ["auction_started", "nomination_turn"]
    assert nominating(db, auction)["user_id"] == a["_id"] and state(db, auction)["lot"] is None
    wrong = engine.nominate(db, auction["_id"], b["_id"], "chelsea", 3, "nominate-key-1", at(1))
    assert not wrong.accepted and wrong.code == "not_your_turn" and "Player 1's turn" in wrong.message
    first = engine.nominate(db, auction["_id"], a["_id"], "chelsea", 3, "nominate-key-2", at(1))
    assert first.accepted and first.bid["amount"] == 3
    lot = state(db, auction)["lot"]
    assert (lot["team_key"], lot["leader_id"], lot["price"]) == ("chelsea", a["_id"], 3)
    again = engine.nominate(db, auction["_id"], a["_id"], "chelsea", 3, "nominate-key-2", at(2))
    assert again.accepted and again.duplicate, "a retried nomination is answered, not refused"
    engine.tick(db, auction["_id"], at(32))          # chelsea sells to a
    engine.tick(db, auction["_id"], at(35))          # b's turn
    assert nominating(db, auction)["user_id"] == b["_id"]
    taken = engine.nominate(db, auction["_id"], b["_id"], "chelsea", 3, "nominate-key-3", at(36))
    assert taken.code == "team_not_available"
    too_much = engine.nominate(db, auction["_id"], b["_id"], "arsenal", 100, "nominate-key-4", at(36))
    assert too_much.code == "over_max_bid"
    assert engine.nominate(db, auction["_id"], b["_id"], "arsenal", 2, "nominate-key-5", at(36)).accepted
    engine.tick(db, auction["_id"], at(70))
    engine.tick(db, auction["_id"], at(74))
    assert nominating(db, auction)["user_id"] == c["_id"], "then the third member"


def test_a_member_who_lets_the_nomination_clock_run_out_opens_the_next_team_at_the_minimum(db):
    auction, (a, b, c), _ = started(db, nomination_seconds=15)
    assert engine.tick(db, auction["_id"], at(14)).events == [], "not before the clock runs out"
    opened = engine.tick(db, auction["_id"], at(15.1))
    assert [e[1] for e in opened.events] == ["lot_opened", "bid_accepted"]
    lot = state(db, auction)["lot"]
    assert (lot["team_key"], lot["leader_id"], lot["price"]) == ("arsenal", a["_id"], 1)


def test_a_paused_nomination_gets_a_full_turn_on_resume_and_the_log_replays(db):
    auction, (a, b, c), _ = started(db, nomination_seconds=15)
    engine.pause(db, auction["_id"], a["_id"], at(10))
    assert engine.tick(db, auction["_id"], at(100)).events == [], "no nomination is made for anyone while paused"
    engine.resume(db, auction["_id"], a["_id"], at(200))
    assert nominating(db, auction)["ends_at"] == at(215)
    engine.nominate(db, auction["_id"], a["_id"], "everton" if "everton" in state(db, auction)["lots"] else "chelsea",
                    4, "nominate-key-6", at(201))
    final = state(db, auction)
    assert differences(replay_of(db, auction), final) == []


def test_with_a_delay_hidden_maximums_answer_a_moment_later_like_a_person(db):
    auction, (a, b, c), _ = started(db, proxy_delay_ms=1500)
    proxies.set_max(db, auction["league_id"], c["_id"], "arsenal", 40, at(0))
    engine.run_proxies(db, auction["_id"], at(0))  # set now: it bids at once
    assert state(db, auction)["lot"]["leader_id"] == c["_id"]
    bid(db, auction, a, 5, 3)
    assert state(db, auction)["lot"]["leader_id"] == a["_id"], "no answer within milliseconds"
    due = state(db, auction)["due_at"]
    assert at(4.5) <= due <= at(5.5), "the clock comes back for the answer"
    assert engine.tick(db, auction["_id"], at(4)).events == []
    answered = engine.tick(db, auction["_id"], due)
    assert [e[1] for e in answered.events] == ["bid_accepted"]
    lot = state(db, auction)["lot"]
    assert (lot["leader_id"], lot["price"]) == (c["_id"], 6)


def test_a_bid_whose_log_record_fails_to_store_stands_and_the_record_is_not_lost(db):
    # The broadcast leaves before the log record is stored (issue 11); a record that fails to
    # store stays in the auction's outbox and the next change stores it instead of overwriting it.
    auction, (a, b, c), _ = started(db)
    blocked = f"{auction['_id']}:{state(db, auction)['seq'] + 1}"
    db.bids.insert_one({"_id": blocked, "auction_id": "another auction"})  # takes the next record's id
    first = bid(db, auction, a, 10, 1)
    assert first.accepted
    assert [name for _, name, _ in first.effects.events] == ["bid_accepted"]
    db.bids.delete_one({"_id": blocked})
    assert bid(db, auction, b, 11, 2).accepted
    assert [(r["user_id"], r["amount"]) for r in bids.log(db, auction["_id"])] == [(a["_id"], 10), (b["_id"], 11)]
    final = state(db, auction)
    assert differences(replay_of(db, auction), final) == []


def test_a_long_auction_keeps_its_document_small_and_still_answers_old_resends(db):
    """Every bid used to leave its key in the auction document for good, so the one write of
    every bid grew with the auction. The document now holds the open lot's keys only: a lot's
    keys leave when it closes, and a resend of one of those still gets its first outcome, from
    the bid log."""
    auction, (a, b), _ = started(db, members=2, teams=[f"team-{i}" for i in range(10)], budget=10_000,
                                 roster_slots=10)
    placed, t = [], 1.0
    for _lot in range(9):
        open_lot = state(db, auction)["lot"]["id"]
        for amount in range(1, 31):
            result = bid(db, auction, a if amount % 2 else b, amount, t)
            assert result.accepted, result.message
            placed.append((result.bid, open_lot))
            t += 0.1
        assert keys_held(state(db, auction)) == 30, "every key of the open lot stays: its resends need no read"
        close_and_open_next(db, auction, t + 40)  # after the lot's 30 s
        assert keys_held(state(db, auction)) == 0, "the closed lot's keys left the document"
        t += 50

    stored = state(db, auction)
    assert len(placed) == 270
    first, first_lot = placed[0]
    assert first["idempotency_key"] not in stored["members"][a["_id"]]["keys"]
    resent = bid(db, auction, a, first["amount"], t, key=first["idempotency_key"], lot_id=first_lot)
    assert resent.accepted and resent.duplicate and resent.bid["seq"] == first["seq"]
    changed = bid(db, auction, a, first["amount"] + 1, t, key=first["idempotency_key"], lot_id=first_lot)
    assert not changed.accepted and changed.code == "key_reused"
    without_lot = bid(db, auction, a, first["amount"], t, key=first["idempotency_key"], lot_id=None)
    assert without_lot.accepted and without_lot.duplicate and without_lot.bid["seq"] == first["seq"]
    last, last_lot = placed[-1]  # the winning bid, resent after its lot sold
    resent_winner = bid(db, auction, b, last["amount"], t, key=last["idempotency_key"], lot_id=last_lot)
    assert resent_winner.accepted and resent_winner.duplicate and resent_winner.bid["seq"] == last["seq"]
    late = bid(db, auction, a, 50, t, lot_id=first_lot)
    assert not late.accepted and late.code == "too_late", "a new key on a closed lot is still too late"
    assert len(bids.log(db, auction["_id"])) == 270, "resends placed nothing"
    assert differences(replay_of(db, auction), state(db, auction)) == []


def keys_held(stored: dict) -> int:
    return sum(len(member.get("keys") or {}) for member in stored["members"].values())


def test_an_old_nomination_resent_after_its_key_left_the_document_is_answered_not_refused(db):
    auction, (a, b), _ = started(db, members=2, teams=[f"team-{i}" for i in range(10)], budget=10_000,
                                 roster_slots=10, nomination_seconds=20)
    nominations, t = [], 1.0
    for i in range(9):
        turn = nominating(db, auction)["user_id"]
        team = next(k for k, lot in state(db, auction)["lots"].items() if lot["status"] == "pending")
        made = engine.nominate(db, auction["_id"], turn, team, 1, f"nomination-{i}", at(t))
        assert made.accepted, made.message
        nominations.append((turn, team, made.bid))
        other = b if turn == a["_id"] else a
        for amount in range(2, 31):
            t += 0.1
            assert bid(db, auction, other if amount % 2 == 0 else (a if other is b else b), amount, t).accepted
        engine.tick(db, auction["_id"], at(t + 40))  # the lot sells
        engine.tick(db, auction["_id"], at(t + 45))  # the next member's turn
        t += 50

    turn, team, first = nominations[0]
    assert "nomination-0" not in state(db, auction)["members"][turn]["keys"]
    again = engine.nominate(db, auction["_id"], turn, team, 1, "nomination-0", at(t))
    assert again.accepted and again.duplicate and again.bid["seq"] == first["seq"]
    assert len(bids.log(db, auction["_id"])) == 9 * 30, "the resend placed nothing"


def test_a_copy_cached_before_a_restore_never_writes_over_the_restored_auction(db):
    """A restore from a backup brings back earlier version numbers, and other processes then
    reach the same versions again with other bids. A process still holding its own copy at
    one of those versions (cached, at any age) must not write over them: its next bid is
    decided again on the stored auction, so the higher bid made since is not lost."""
    auction, (a, b, c), _ = started(db)
    assert bid(db, auction, a, 1, 1).accepted
    backup = state(db, auction)
    assert bid(db, auction, b, 2, 2).accepted
    assert bid(db, auction, a, 3, 3).accepted
    copy_before_restore = auction_store.cached(db, auction["_id"])
    assert copy_before_restore["version"] == backup["version"] + 2

    db.auctions.replace_one({"_id": auction["_id"]}, backup)  # the restore, as bin/restore writes it
    auctions.delete_log_after(db, auction["_id"], backup["seq"])
    auction_store.forget(db, auction["_id"])  # the processes that bid next read the restored auction
    assert bid(db, auction, c, 2, 4).accepted
    assert bid(db, auction, b, 5, 5).accepted
    assert state(db, auction)["version"] == copy_before_restore["version"]

    auction_store.remember(db, copy_before_restore)  # the process that never saw the restore
    late = bid(db, auction, c, 4, 6)
    assert not late.accepted and late.code == "below_minimum", late
    lot = state(db, auction)["lot"]
    assert (lot["leader_id"], lot["price"]) == (b["_id"], 5)
    assert differences(replay_of(db, auction), state(db, auction)) == []


def reads_of_auctions() -> float:
    """Reads this process sent to the database (pymongo's `find`, counted for /metrics)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("mongodb_command_duration_seconds_count", {"command": "find"}) or 0


def test_a_bid_after_minutes_of_quiet_costs_no_read(db, monkeypatch):
    """Most rooms hear a bid every few seconds, not every second: the copy this process wrote
    last is still the auction (its revision says so), however long ago that was."""
    auction, (a, b, _c), _ = started(db)
    lot_id = auction["lot"]["id"]
    assert bid(db, auction, a, 1, 1, lot_id=lot_id).accepted
    later = time.monotonic() + 240
    monkeypatch.setattr(auction_store.time, "monotonic", lambda: later)
    before = reads_of_auctions()
    # Four minutes on this process's clock; the lot's clock is the engine's argument.
    assert bid(db, auction, b, 2, 2, lot_id=lot_id).accepted
    assert reads_of_auctions() == before
    assert state(db, auction)["lot"]["price"] == 2
