"""A state another process committed replaces only an older cached state of an auction this
process already serves (auction_app/state_sharing.py; the two-process test is in
tests/integration/test_scale.py)."""
from __future__ import annotations

import uuid

from auction_app.services import auction_store


class FakeDb:
    """Only the name: these functions key their cache by database name and never query."""

    def __init__(self, name: str):
        self.name = name


def state(auction_id: str, version: int, **extra) -> dict:
    return {"_id": auction_id, "version": version, "league_id": "L", **extra}


def test_a_newer_shared_state_replaces_the_cached_one_and_an_older_or_equal_one_does_not():
    db, auction_id = FakeDb(f"db-{uuid.uuid4().hex[:6]}"), uuid.uuid4().hex
    auction_store.remember(db, state(auction_id, 5))
    assert not auction_store.remember_shared(db.name, state(auction_id, 4)), "older: a late message"
    assert not auction_store.remember_shared(db.name, state(auction_id, 5)), "equal: this process's own commit"
    assert auction_store.remember_shared(db.name, state(auction_id, 7))
    assert auction_store.cached(db, auction_id)["version"] == 7


def test_auctions_this_process_does_not_serve_are_not_cached():
    db, auction_id = FakeDb(f"db-{uuid.uuid4().hex[:6]}"), uuid.uuid4().hex
    assert not auction_store.remember_shared(db.name, state(auction_id, 3))
    assert auction_store.cached(db, auction_id) is None
    other = FakeDb(f"db-{uuid.uuid4().hex[:6]}")
    auction_store.remember(other, state(auction_id, 1))
    assert not auction_store.remember_shared(db.name, state(auction_id, 9)), "another database's auction"
    assert auction_store.cached(other, auction_id)["version"] == 1


def test_only_states_without_pending_follow_ups_are_shared():
    shared, before = [], auction_store._sharing["share"]
    auction_store.share_commits_with(lambda db, s: shared.append(s["version"]))
    try:
        db = FakeDb("db")
        auction_store.share(db, state("A", 1))
        auction_store.share(db, state("A", 2, outbox_pending=True))  # its follow-ups are not done yet
        assert shared == [1]
    finally:
        auction_store.share_commits_with(before)
