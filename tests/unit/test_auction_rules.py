"""Auction rules: what members are told when a bid is refused, what the proxy engine
bids for absent members, and that money, rosters and the bid log stay consistent
whatever sequence of bids, pauses, closes and undos happens."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from auction_app.domain import auction_rules as rules

AuctionSettings, LotView, BidderView = rules.AuctionSettings, rules.LotView, rules.BidderView
Rejection, ProxyBid, PlacedBid = rules.Rejection, rules.ProxyBid, rules.PlacedBid
AuctionModel, AuctionActionError = rules.AuctionModel, rules.AuctionActionError
check_bid, max_bid, minimum_next_bid = rules.check_bid, rules.max_bid, rules.minimum_next_bid
extended_ends_at, resolve_proxy_bids = rules.extended_ends_at, rules.resolve_proxy_bids

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
        "not_member", "auction_not_running", "rate_limited", "duplicate"}


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


def test_not_member_and_auction_not_running_come_from_the_model():
    model = AuctionModel(AuctionSettings(roster_slots=1), ["ann"], ["Ajax"])
    assert model.bid("zed", 5, T0) == Rejection(
        "not_member", "You're not a member of this league, so you can't bid in its auction.")
    assert model.bid("ann", 5, T0).code == "lot_not_open"   # between lots
    model.open_lot(None, T0)
    assert model.bid("ann", 5, T0 + secs(1)) is None
    model.close_lot(T0 + secs(40))
    assert model.bid("ann", 6, T0 + secs(41)) == Rejection(
        "auction_not_running", "The auction isn't running right now, so bids aren't being taken.")


# --------------------------------------------------------------------------- settings

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

def _model(**kw):
    return AuctionModel(AuctionSettings(**kw), ["ann", "bob", "cat"], ["Ajax", "Benfica", "Celtic"])


def test_model_late_bid_extends_the_clock_and_sale_charges_the_winner():
    m = _model()
    assert m.open_lot(None, T0) == "Ajax"
    assert m.bid("ann", 20, T0 + secs(26)) is None
    assert m.lot_view("Ajax").ends_at == T0 + secs(36)
    with pytest.raises(AuctionActionError):
        m.close_lot(T0 + secs(33))          # the clock is still running for everyone
    assert m.close_lot(T0 + secs(37)) == "sold"
    assert m.bidder_view("ann") == BidderView("ann", 480, 2)
    assert m.bid("bob", 30, T0 + secs(38)).code == "lot_not_open"


def test_model_pause_keeps_the_remaining_time():
    m = _model()
    m.open_lot(None, T0)
    m.pause(T0 + secs(10))
    assert m.bid("ann", 5, T0 + secs(11)).code == "lot_paused"
    m.resume(T0 + secs(100))
    assert m.lot_view("Ajax").ends_at == T0 + secs(120)
    assert m.bid("ann", 5, T0 + secs(101)) is None


def test_model_undo_refunds_and_offers_the_team_again_next():
    m = _model()
    m.open_lot(None, T0)
    m.bid("bob", 25, T0 + secs(1))
    m.close_lot(T0 + secs(40))
    assert m.undo_last_sale(T0 + secs(50)) == ("Ajax", "bob", 25)
    assert m.bidder_view("bob") == BidderView("bob", 500, 3)
    assert m.open_lot(None, T0 + secs(60)) == "Ajax"
    assert m.lot_view("Ajax").price is None


def test_model_unsold_team_gets_one_more_round_then_passes():
    m = AuctionModel(AuctionSettings(roster_slots=1), ["ann"], ["Ajax", "Benfica"])
    m.open_lot(None, T0)
    assert m.close_lot(T0 + secs(31)) == "unsold"
    assert m.open_lot(None, T0 + secs(40)) == "Benfica"
    assert m.close_lot(T0 + secs(71)) == "unsold"
    assert m.open_lot(None, T0 + secs(80)) == "Ajax"
    assert m.close_lot(T0 + secs(111)) == "passed"
    assert m.open_lot(None, T0 + secs(120)) == "Benfica"
    m.close_lot(T0 + secs(151))
    with pytest.raises(AuctionActionError):
        m.open_lot(None, T0 + secs(160))    # nothing is offered a third time


def test_model_proxies_bid_for_absent_members():
    m = _model()
    m.set_proxy("ann", "Ajax", 50, T0 - secs(60))
    m.set_proxy("bob", "Ajax", 30, T0 - secs(30))
    m.open_lot(None, T0)
    assert m.lot_view("Ajax").price == 31 and m.lot_view("Ajax").leader_id == "ann"
    assert m.bid("cat", 40, T0 + secs(5)) is None
    assert (m.lot_view("Ajax").price, m.lot_view("Ajax").leader_id) == (41, "ann")
    assert m.bid("cat", 50, T0 + secs(6)) is None      # ann's maximum is reached
    assert (m.lot_view("Ajax").price, m.lot_view("Ajax").leader_id) == (50, "cat")


def test_replay_rebuilds_the_state_and_rejects_a_tampered_log():
    m = _model()
    m.set_proxy("ann", "Ajax", 50, T0 - secs(1))
    m.open_lot(None, T0)
    m.bid("bob", 60, T0 + secs(2))
    m.close_lot(T0 + secs(40))
    again = AuctionModel.replay(m.log, settings=m.settings, member_ids=m.members,
                                lot_order=m.lot_order)
    assert again.snapshot() == m.snapshot()
    bid_index = next(i for i, e in enumerate(m.log)
                     if e.kind == "bid_placed" and e.user_id == "bob")
    tampered = list(m.log)
    tampered[bid_index] = rules.AuctionEvent(**{**vars(m.log[bid_index]), "amount": 999})
    with pytest.raises(rules.ReplayError):
        AuctionModel.replay(tampered, settings=m.settings, member_ids=m.members,
                            lot_order=m.lot_order)


# --------------------------------------------------------------------------- stateful

MEMBERS = ["ann", "bob", "cat"]
TEAMS = ["Ajax", "Benfica", "Celtic", "Dynamo", "Everton"]
ODD_AMOUNTS = st.sampled_from([True, 2.5, "7", None, 0, -3])


class AuctionMachine(RuleBasedStateMachine):
    """Random members bid, set proxies, and the auctioneer pauses, closes and undoes."""

    @initialize(budget=st.integers(3, 80), slots=st.integers(1, 3), min_bid=st.integers(1, 3),
                increment=st.integers(1, 4))
    def start(self, budget, slots, min_bid, increment):
        self.s = AuctionSettings(budget=max(budget, slots * min_bid), roster_slots=slots,
                                 min_bid=min_bid, min_increment=increment)
        self.model = AuctionModel(self.s, MEMBERS, TEAMS)
        self.now = T0
        self.seen = None   # (offer seq, price, ends_at) last observed for the lot on the block

    # ---- helpers

    def _try(self, action, *args, **kw):
        try:
            return action(*args, **kw)
        except AuctionActionError:
            return None

    def _on_block(self):
        return self.model.current_team is not None

    def _lot_status(self):
        team = self.model.current_team
        return None if team is None else self.model.lot_view(team).status

    def _bid(self, user, amount):
        m = self.model
        before = m.snapshot()
        expected = None
        if user in m.members and m.current_team is not None:
            expected = check_bid(amount=amount, bidder=m.bidder_view(user),
                                 lot=m.lot_view(m.current_team), s=self.s, now=self.now)
        log_len = len(m.log)
        result = m.bid(user, amount, self.now)
        if result is not None:
            assert m.snapshot() == before, "a refused bid changed the auction"
            assert result.code in rules.REJECTION_CODES and "{" not in result.message
            if expected is not None:
                assert result == expected
        else:
            assert expected is None
            placed = m.log[log_len]
            assert (placed.user_id, placed.amount, placed.source) == (user, amount, "manual")
            # Whoever was outbid gets at least the bid clock to answer.
            team = m.current_team
            assert m.lot_view(team).ends_at - self.now >= secs(self.s.bid_clock_seconds)

    # ---- rules

    @rule(ms=st.integers(0, 45_000))
    def time_passes(self, ms):
        self.now += timedelta(milliseconds=ms)

    @rule(user=st.sampled_from(MEMBERS + ["zed"]), amount=st.integers(-2, 60) | ODD_AMOUNTS)
    def bid_anything(self, user, amount):
        self._bid(user, amount)

    @precondition(lambda self: self._lot_status() == "open")
    @rule(user=st.sampled_from(MEMBERS), offset=st.integers(-1, 2))
    def bid_near_the_minimum(self, user, offset):
        price = self.model.lot_view(self.model.current_team).price
        self._bid(user, minimum_next_bid(price, self.s) + offset)

    @precondition(lambda self: self._lot_status() == "open")
    @rule(user=st.sampled_from(MEMBERS), jump=st.integers(0, 25))
    def jump_bid(self, user, jump):
        price = self.model.lot_view(self.model.current_team).price
        self._bid(user, minimum_next_bid(price, self.s) + jump)

    @precondition(lambda self: self._lot_status() == "open")
    @rule(war=st.lists(st.tuples(st.sampled_from(MEMBERS), st.integers(-1, 6),
                                 st.integers(0, 3_000)), min_size=2, max_size=8))
    def bidding_war(self, war):
        for user, offset, ms in war:
            self.now += timedelta(milliseconds=ms)
            team = self.model.current_team
            if team is None:
                return
            price = self.model.lot_view(team).price
            self._bid(user, minimum_next_bid(price, self.s) + offset)

    @precondition(lambda self: sum(e.kind == "proxy_set" for e in self.model.log) < 6)
    @rule(user=st.sampled_from(MEMBERS), team=st.sampled_from(TEAMS), cap=st.integers(1, 45))
    def set_proxy(self, user, team, cap):
        result = self.model.set_proxy(user, team, cap, self.now)
        assert result in (None, rules.reject("lot_not_open"))

    @rule()
    def open_next_lot(self):
        was_idle = self.model.current_team is None and not self.model.is_complete()
        opened = self._try(self.model.open_lot, None, self.now)
        assert (opened is not None) == was_idle

    @precondition(lambda self: not self._on_block() and not self.model.is_complete())
    @rule()
    def open_when_idle(self):
        assert self.model.open_lot(None, self.now) in TEAMS

    @precondition(lambda self: self._lot_status() == "open")
    @rule()
    def pause(self):
        self.model.pause(self.now)
        with pytest.raises(AuctionActionError):
            self.model.pause(self.now)

    @precondition(lambda self: self._lot_status() == "paused")
    @rule(ms=st.integers(0, 60_000))
    def resume(self, ms):
        team = self.model.current_team
        left = self.model.snapshot()["lots"][team][5]
        log_len = len(self.model.log)
        self.now += timedelta(milliseconds=ms)
        self.model.resume(self.now)
        ends_at = self.model.lot_view(team).ends_at
        if len(self.model.log) == log_len + 1:
            assert ends_at == self.now + left      # the time left at the pause, exactly
        else:
            assert ends_at >= self.now + left      # proxies bid on resume: only longer

    @rule(force=st.booleans())
    def close(self, force):
        self._try(self.model.close_lot, self.now, force=force)

    @rule()
    def clock_runs_out_and_lot_closes(self):
        team = self.model.current_team
        if team is None or self.model.lot_view(team).status != "open":
            return
        self.now = self.model.lot_view(team).ends_at + timedelta(milliseconds=301)
        assert self.model.close_lot(self.now) in ("sold", "unsold", "passed")

    @rule()
    def undo(self):
        self._try(self.model.undo_last_sale, self.now)

    # ---- invariants

    @invariant()
    def money_adds_up(self):
        for uid in MEMBERS:
            member, view = self.model.members[uid], self.model.bidder_view(uid)
            spent = sum(price for _, price in member.roster)
            assert spent + view.budget_left == self.s.budget
            assert 0 <= view.slots_left <= self.s.roster_slots
            # Everyone can still fill every empty slot at the minimum bid.
            assert view.budget_left >= view.slots_left * self.s.min_bid

    @invariant()
    def each_team_is_owned_at_most_once(self):
        owners = [team for uid in MEMBERS for team, _ in self.model.members[uid].roster]
        assert len(owners) == len(set(owners))
        for team in TEAMS:
            assert (self.model.lot_view(team).status == "sold") == (team in owners)

    @invariant()
    def bids_climb_by_the_increment(self):
        previous = None
        for seq, event in enumerate(self.model.log, start=1):
            assert event.seq == seq
            if event.kind == "lot_opened":
                previous = None
            elif event.kind == "bid_placed":
                assert type(event.amount) is int
                floor = self.s.min_bid if previous is None else previous + self.s.min_increment
                assert event.amount >= floor
                previous = event.amount

    @invariant()
    def price_and_clock_never_go_backwards(self):
        team = self.model.current_team
        if team is None:
            self.seen = None
            return
        offer = max(e.seq for e in self.model.log if e.kind == "lot_opened")
        lot = self.model.lot_view(team)
        if self.seen is not None and self.seen[0] == offer:
            _, price, ends_at = self.seen
            assert (lot.price or 0) >= (price or 0)
            if lot.status == "open":
                assert lot.ends_at >= ends_at
        if lot.status == "open":
            self.seen = (offer, lot.price, lot.ends_at)

    @invariant()
    def replaying_the_log_gives_the_same_auction(self):
        again = AuctionModel.replay(self.model.log, settings=self.s, member_ids=MEMBERS,
                                    lot_order=TEAMS)
        assert again.snapshot() == self.model.snapshot()


AuctionMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40,
                                            deadline=None)
TestAuctionMachine = AuctionMachine.TestCase
