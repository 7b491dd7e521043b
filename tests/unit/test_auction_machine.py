"""The state machine is pure: deciding never changes the state it was given (the engine
keeps the last state it wrote and decides on it again)."""
import copy
import random
from datetime import datetime, timedelta, timezone

from auction_app.domain import auction_machine as machine
from auction_app.domain.proxy_rules import ProxyBid

T0 = datetime(2026, 12, 1, 19, 0, tzinfo=timezone.utc)
MEMBERS = ["ann", "bob", "cat"]
TEAMS = ["ajax", "benfica", "celtic", "dynamo"]


def league(nomination_seconds=0):
    return {"_id": "L1", "commissioner_id": "ann", "lot_order": TEAMS, "member_ids": MEMBERS,
            "members": {m: {"name": m.title()} for m in MEMBERS},
            "settings": {"budget": 50, "roster_slots": 2, "min_bid": 1, "min_increment": 1, "lot_seconds": 10,
                         "bid_clock_seconds": 3, "grace_ms": 300, "pause_between_lots_seconds": 1,
                         "nomination_seconds": nomination_seconds}}


def commands(state, rng, now):
    lot = state.get("lot") or {}
    who = rng.choice(MEMBERS)
    return rng.choice([
        machine.PlaceBid(who, (lot.get("price") or 0) + rng.randint(0, 3), f"key-{rng.random()}", lot.get("id")),
        machine.PlaceBid(who, (lot.get("price") or 0) + 1, "reused-key", lot.get("id")),
        machine.Tick(), machine.Tick(), machine.Pause("ann"), machine.Resume("ann"), machine.Skip("ann"),
        machine.UndoLastSale("ann"), machine.ProxiesChanged(),
        machine.Nominate(who, rng.choice(TEAMS), rng.randint(1, 5), f"nom-{rng.random()}"),
    ])


def test_deciding_never_changes_the_state_it_was_given():
    for seed in range(40):
        rng = random.Random(seed)
        proxies = [ProxyBid("cat", 20, T0, "benfica"), ProxyBid("bob", 12, T0, "ajax")]
        state = machine.start(league(nomination_seconds=rng.choice([0, 8])), "ann", T0, proxies).state
        now = T0
        for _ in range(60):
            now += timedelta(milliseconds=rng.randint(100, 6000))
            before = copy.deepcopy(state)
            decision = machine.decide(state, commands(state, rng, now), now, proxies)
            assert state == before, f"seed {seed}: decide changed its input"
            if decision.changed:
                state = decision.state


def test_a_lot_that_closes_takes_its_keys_out_of_the_state():
    """The auction document is written on every bid: it holds the open lot's keys only."""
    state = machine.start(league(), "ann", T0, []).state
    lot = state["lot"]["id"]
    for i, who in enumerate(["ann", "bob", "ann"]):
        decision = machine.decide(state, machine.PlaceBid(who, i + 1, f"key-{i}", lot), T0 + timedelta(seconds=i), [])
        assert decision.changed, decision.rejection
        state = decision.state
    assert {m: len(state["members"][m]["keys"]) for m in MEMBERS} == {"ann": 2, "bob": 1, "cat": 0}
    before = copy.deepcopy(state)

    closed = machine.decide(state, machine.Tick(), T0 + timedelta(seconds=30), [])

    assert closed.changed and closed.state["lots"]["ajax"]["status"] == "sold"
    assert all(not member["keys"] for member in closed.state["members"].values())
    assert [m for m in MEMBERS if closed.state["members"][m].get("forgot_keys")] == ["ann", "bob"]
    assert state == before, "the state it was given keeps its keys"
