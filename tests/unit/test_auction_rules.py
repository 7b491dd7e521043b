"""Auction rules: what members are told when a bid is refused, what the proxy engine
bids for absent members. (Whole auctions, driven through the real engine and database,
are in tests/integration/test_auction_stateful.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from auction_app.domain import auction_rules as rules, proxy_rules

AuctionSettings, LotView, BidderView = rules.AuctionSettings, rules.LotView, rules.BidderView
Rejection, ProxyBid, PlacedBid = rules.Rejection, proxy_rules.ProxyBid, proxy_rules.PlacedBid
check_bid, max_bid, minimum_next_bid = rules.check_bid, rules.max_bid, rules.minimum_next_bid
extended_ends_at, resolve_proxy_bids = rules.extended_ends_at, proxy_rules.resolve_proxy_bids

UTC = timezone.utc
T0 = datetime(2025, 3, 1, 20, 15, 0, tzinfo=UTC)
S = AuctionSettings()
OPEN_LOT = LotView("open", 11, "bob", T0 + timedelta(seconds=20))
ANN = BidderView("ann", 500, 3)


def check(amount=12, bidder=ANN, lot=OPEN_LOT, s=S, now=T0, **kw):
    return check_bid(amount=amount, bidder=bidder, lot=lot, s=s, now=now, **kw)


def secs(n: float) -> timedelta:
    return timedelta(seconds=n)


# --------------------------------------------------------------------------- rejections

def test_a_valid_bid_is_accepted():
    assert check(amount=12) is None
    assert check(amount=490) is None   # 500 minus 2 x 1 kept for the other two slots, minus 8


def test_rejection_codes_are_a_stable_list_for_clients():
    assert set(rules.REJECTION_CODES) == {
        "invalid_amount", "lot_not_open", "lot_paused", "too_late", "already_leading",
        "roster_full", "cannot_afford", "below_minimum", "outbid", "over_max_bid",
        "not_member", "auction_not_running", "rate_limited", "duplicate", "key_reused", "lot_required", "busy"}


@pytest.mark.parametrize("amount", [0, -5, True, False, 12.0, 2.5, "12", None])
def test_invalid_amount(amount):
    assert check(amount=amount) == Rejection("invalid_amount",
                                             "Bids are whole numbers of at least 1.")


def test_invalid_amount_is_reported_before_the_lot_state():
    sold = LotView("sold", 30, "bob", T0)
    assert check(amount="lots", lot=sold).code == "invalid_amount"


def test_lot_not_open_before_the_team_comes_up():
    lot = LotView("pending", None, None, None)
    assert check(lot=lot) == Rejection("lot_not_open", "Bidding on this team isn't open right now.")


def test_lot_paused_wins_over_other_problems():
    paused = LotView("paused", 11, "ann", T0 + secs(5))
    r = check(lot=paused)   # ann leads too, but the pause is what she needs to know
    assert r == Rejection(
        "lot_paused", "Bidding is paused right now; you can bid again when the auction resumes.")


def test_too_late_after_the_grace_window_names_the_closing_time():
    ends = T0 + secs(20)
    assert check(now=ends + timedelta(milliseconds=300)) is None   # in-flight bid still counts
    r = check(now=ends + timedelta(milliseconds=301))
    assert r == Rejection("too_late", "Too late — the lot closed at 20:15:20.")


def test_too_late_on_a_sold_lot_shows_utc_time_whatever_the_zone():
    ends = (T0 + secs(20)).astimezone(timezone(timedelta(hours=2)))
    r = check(lot=LotView("sold", 30, "bob", ends), now=T0 + secs(60))
    assert r.message == "Too late — the lot closed at 20:15:20."


def test_already_leading():
    r = check(bidder=BidderView("bob", 500, 3))
    assert r == Rejection("already_leading", "You're already the highest bidder on this team.")


def test_roster_full_names_the_roster_size():
    r = check(bidder=BidderView("ann", 300, 0))
    assert r == Rejection(
        "roster_full", "You've already filled all 3 roster slots, so you can't bid on more teams.")
    one = AuctionSettings(roster_slots=1)
    assert check(bidder=BidderView("ann", 300, 0), s=one).message == (
        "You've already filled your only roster slot, so you can't bid on more teams.")


def test_below_minimum_names_the_next_bid():
    assert check(amount=11) == Rejection("below_minimum", "The next bid must be at least 12.")
    fives = AuctionSettings(min_bid=5, min_increment=5)
    assert check(amount=15, s=fives).message == "The next bid must be at least 16."
    unopened = LotView("open", None, None, T0 + secs(30))
    assert check(amount=4, s=fives, lot=unopened).message == "The next bid must be at least 5."


def test_outbid_when_the_price_moved_while_the_member_was_bidding():
    r = check(amount=10, seen_price=9)
    assert r == Rejection(
        "outbid", "Someone else bid 11 while you were bidding; the next bid must be at least 12.")
    assert check(amount=10, seen_price=11).code == "below_minimum"   # nothing moved
    assert check(amount=12, seen_price=9) is None                     # still high enough


def test_over_max_bid_explains_what_must_be_kept():
    r = check(amount=41, bidder=BidderView("ann", 42, 3))
    assert r == Rejection("over_max_bid", "You can bid at most 40 here: you need to keep 2 "
                                          "for your 2 other empty roster slots.")
    assert check(amount=40, bidder=BidderView("ann", 42, 3)) is None
    assert check(amount=42, bidder=BidderView("ann", 42, 2)).message == (
        "You can bid at most 41 here: you need to keep 1 for your 1 other empty roster slot.")
    assert check(amount=43, bidder=BidderView("ann", 42, 1)).message == (
        "You can bid at most 42 here: that's all the budget you have left.")


def test_cannot_afford_when_no_amount_would_be_allowed():
    r = check(amount=12, bidder=BidderView("ann", 12, 3))
    assert r == Rejection(
        "cannot_afford", "You can't afford this team: the next bid must be at least 12, but you "
        "can bid at most 10 because you need to keep 2 for your 2 other empty roster slots.")


def test_service_level_rejections_have_friendly_messages():
    assert rules.rate_limited(3) == Rejection(
        "rate_limited", "You're bidding too fast; please wait 3 seconds and try again.")
    assert rules.rate_limited(1).message == (
        "You're bidding too fast; please wait 1 second and try again.")
    dup = rules.reject("duplicate")
    assert dup.code in rules.NOT_AN_ERROR
    assert dup.message == "We already have this bid; it was counted once."


def test_default_settings_are_valid():
    assert rules.settings_problems(AuctionSettings(), team_count=20) == []


def test_budget_must_fill_the_roster_at_the_minimum_bid():
    problems = rules.settings_problems(AuctionSettings(budget=2), team_count=20)
    assert problems == ["A budget of 2 can't fill 3 roster slots at the minimum bid of 1; "
                        "raise the budget to at least 3."]


def test_settings_problems_name_each_mistake():
    problems = rules.settings_problems(
        AuctionSettings(roster_slots=6, bid_clock_seconds=40, lot_seconds=30), team_count=5)
    assert problems == [
        "There are only 5 teams, so members can't fill 6 roster slots; "
        "lower the roster slots to at most 5.",
        "The clock after a late bid (40 seconds) can't be longer than the time per lot "
        "(30 seconds)."]
    assert rules.settings_problems(AuctionSettings(min_increment=0), 20) == [
        "The minimum increment must be at least 1."]
    assert rules.settings_problems(AuctionSettings(budget=2_000_000), 20) == [
        "The budget can be at most 1,000,000."]
    assert rules.settings_problems(AuctionSettings(lot_seconds=3, bid_clock_seconds=2), 20) == [
        "The time per lot must be at least 5 seconds."]
    assert rules.settings_problems(AuctionSettings(budget=99.5), 20) == [
        "The budget must be a whole number."]
    assert rules.settings_problems(AuctionSettings(roster_slots=21), 30) == [
        "The number of roster slots can be at most 20."]


# --------------------------------------------------------------------------- money & clock

def test_max_bid_and_minimum_next_bid_examples():
    assert max_bid(42, 3, 1) == 40
    assert max_bid(42, 0, 1) == 0
    assert minimum_next_bid(None, AuctionSettings(min_bid=5)) == 5
    assert minimum_next_bid(11, AuctionSettings(min_increment=3)) == 14


@given(min_bid=st.integers(1, 50), slots_left=st.integers(1, 20), spare=st.integers(0, 10_000))
@settings(max_examples=200)
def test_max_bid_never_strands_a_member(min_bid, slots_left, spare):
    budget_left = slots_left * min_bid + spare   # members can always fill their roster
    most = max_bid(budget_left, slots_left, min_bid)
    assert min_bid <= most <= budget_left
    assert budget_left - most >= (slots_left - 1) * min_bid        # rest still fillable
    assert budget_left - (most + 1) < (slots_left - 1) * min_bid   # and nothing more is


@given(budget_left=st.integers(0, 10_000), slots_left=st.integers(-2, 20),
       min_bid=st.integers(1, 50))
@settings(max_examples=200)
def test_max_bid_never_exceeds_the_budget(budget_left, slots_left, min_bid):
    most = max_bid(budget_left, slots_left, min_bid)
    assert 0 <= most <= budget_left
    if slots_left <= 0:
        assert most == 0


def test_a_late_bid_resets_the_clock_to_ten_seconds():
    ends = T0 + secs(30)
    assert extended_ends_at(ends, ends - secs(4), S) == ends + secs(6)
    assert extended_ends_at(ends, ends - secs(15), S) == ends
    assert extended_ends_at(ends, ends - secs(10), S) == ends


@given(left_ms=st.integers(-300, 120_000), clock=st.integers(1, 60))
@settings(max_examples=200)
def test_extended_ends_at_never_shortens_the_clock(left_ms, clock):
    s = AuctionSettings(bid_clock_seconds=clock)
    now = T0
    ends = now + timedelta(milliseconds=left_ms)
    new = extended_ends_at(ends, now, s)
    assert new >= ends
    if ends - now < secs(clock):
        assert new - now >= secs(clock)   # everyone gets a full bid clock to answer
    else:
        assert new == ends


# --------------------------------------------------------------------------- proxies

USERS = ["ann", "bob", "cat", "dan"]


def _cap(p, bidders, s):
    b = bidders[p.user_id]
    if b.slots_left <= 0:
        return 0
    return min(p.max_amount, max_bid(b.budget_left, b.slots_left, s.min_bid))


def _expected_result(lot, proxies, bidders, s):
    """(winner, final price) per the second-price rule, or None if nobody can bid."""
    floor = minimum_next_bid(lot.price, s)
    field = [(_cap(p, bidders, s), p.created_at, p.user_id) for p in proxies
             if p.user_id != lot.leader_id and _cap(p, bidders, s) >= floor]
    if not field:
        return None
    if lot.leader_id is not None:
        own = [p for p in proxies if p.user_id == lot.leader_id]
        if own and _cap(own[0], bidders, s) > lot.price:
            field.append((_cap(own[0], bidders, s), own[0].created_at, lot.leader_id))
        else:
            field.append((lot.price, datetime.min.replace(tzinfo=UTC), lot.leader_id))
    field.sort(key=lambda c: (-c[0], c[1], c[2]))
    winner_cap, _, winner = field[0]
    target = floor if len(field) == 1 else max(field[1][0] + s.min_increment, floor)
    return winner, min(winner_cap, target)


@st.composite
def proxy_scenarios(draw):
    s = AuctionSettings(min_bid=draw(st.integers(1, 5)), min_increment=draw(st.integers(1, 5)))
    bidders = {u: BidderView(u, draw(st.integers(0, 80)), draw(st.integers(0, 3))) for u in USERS}
    leader = draw(st.none() | st.sampled_from(USERS))
    price = None if leader is None else draw(st.integers(s.min_bid, 40))
    lot = LotView("open", price, leader, T0 + secs(30))
    proxies = draw(st.lists(
        st.builds(ProxyBid, st.sampled_from(USERS), st.integers(1, 90),
                  st.integers(0, 3).map(lambda k: T0 - secs(k))),
        max_size=4, unique_by=lambda p: p.user_id))
    return s, bidders, lot, proxies


@given(proxy_scenarios())
@settings(max_examples=300)
def test_proxy_bids_follow_the_second_price_rule(scenario):
    s, bidders, lot, proxies = scenario
    bids = resolve_proxy_bids(lot=lot, proxies=proxies, bidders=bidders, s=s)
    caps = {p.user_id: _cap(p, bidders, s) for p in proxies}

    # Each bid is one a member could have typed: it passes check_bid in sequence.
    state = lot
    for bid in bids:
        assert bid.amount <= caps[bid.user_id], "the engine bid above someone's maximum"
        assert check_bid(amount=bid.amount, bidder=bidders[bid.user_id], lot=state, s=s,
                         now=T0) is None
        state = LotView("open", bid.amount, bid.user_id, state.ends_at)
    assert len(bids) <= 2

    expected = _expected_result(lot, proxies, bidders, s)
    if expected is None:
        assert bids == []
        return
    winner, final = expected
    if bids:
        assert bids[-1] == PlacedBid(winner, final)
    else:
        # Only when the leader's hidden maximum wins but no challenger bid would leave
        # the leader a full increment to answer with: the leader keeps the current price.
        assert winner == lot.leader_id
        assert final - s.min_increment < minimum_next_bid(lot.price, s)


def test_proxy_example_runner_up_bids_its_maximum_then_winner_one_more():
    bidders = {u: BidderView(u, 500, 3) for u in USERS}
    lot = LotView("open", None, None, T0 + secs(30))
    proxies = [ProxyBid("ann", 50, T0), ProxyBid("bob", 30, T0)]
    assert resolve_proxy_bids(lot=lot, proxies=proxies, bidders=bidders, s=S) == [
        PlacedBid("bob", 30), PlacedBid("ann", 31)]


def test_proxy_example_equal_maximums_go_to_the_earlier_one():
    bidders = {u: BidderView(u, 500, 3) for u in USERS}
    lot = LotView("open", 10, "cat", T0 + secs(30))
    proxies = [ProxyBid("bob", 40, T0 + secs(1)), ProxyBid("ann", 40, T0)]
    assert resolve_proxy_bids(lot=lot, proxies=proxies, bidders=bidders, s=S) == [
        PlacedBid("bob", 39), PlacedBid("ann", 40)]


def test_proxy_is_capped_by_what_the_member_can_afford_and_newest_counts():
    bidders = {"ann": BidderView("ann", 22, 3), "bob": BidderView("bob", 500, 3)}
    lot = LotView("open", 5, "bob", T0 + secs(30))
    proxies = [ProxyBid("ann", 15, T0), ProxyBid("ann", 100, T0 + secs(1))]
    # ann raised her maximum to 100 but can spend at most 20 (2 kept for other slots).
    assert resolve_proxy_bids(lot=lot, proxies=proxies, bidders=bidders, s=S) == [
        PlacedBid("ann", 6)]


def test_leader_keeps_the_price_when_no_challenger_bid_could_be_answered():
    # bob could bid 15 or 16, but ann's hidden maximum of 18 beats him and she couldn't
    # answer with a full increment of 5, so the engine leaves her leading at 10.
    s = AuctionSettings(min_increment=5)
    bidders = {u: BidderView(u, 500, 3) for u in USERS}
    lot = LotView("open", 10, "ann", T0 + secs(30))
    proxies = [ProxyBid("ann", 18, T0 - secs(3)), ProxyBid("bob", 16, T0)]
    assert resolve_proxy_bids(lot=lot, proxies=proxies, bidders=bidders, s=s) == []


def test_leader_does_not_bid_against_themselves():
    bidders = {u: BidderView(u, 500, 3) for u in USERS}
    lot = LotView("open", 10, "ann", T0 + secs(30))
    assert resolve_proxy_bids(lot=lot, proxies=[ProxyBid("ann", 90, T0)],
                              bidders=bidders, s=S) == []


# --------------------------------------------------------------------------- lot order

def test_next_lot_goes_through_pending_then_offers_unsold_once_more():
    order = ["Ajax", "Benfica", "Celtic"]
    nxt = rules.next_lot_index(order, {"Ajax": "sold", "Benfica": "unsold", "Celtic": "pending"})
    assert (nxt.team, nxt.index, nxt.round) == ("Celtic", 2, 1)
    nxt = rules.next_lot_index(order, {"Ajax": "sold", "Benfica": "unsold", "Celtic": "sold"})
    assert (nxt.team, nxt.round) == ("Benfica", 2)
    done = {"Ajax": "sold", "Benfica": "passed", "Celtic": "sold"}
    assert rules.next_lot_index(order, done) is None
    assert rules.next_lot_index(order, {"Ajax": "open", "Benfica": "pending"}) is None
    assert rules.next_lot_index(order, {}, anyone_has_room=False) is None


def test_auction_is_complete_when_rosters_are_full_or_lots_run_out():
    full, room = BidderView("ann", 3, 0), BidderView("bob", 9, 1)
    assert rules.auction_is_complete(bidders=[full, full], pending_lots=4)
    assert rules.auction_is_complete(bidders=[full, room], pending_lots=0)
    assert not rules.auction_is_complete(bidders=[full, room], pending_lots=1)


# --------------------------------------------------------------------------- model examples
