"""Backups restore to exactly what was there, with types intact."""
from datetime import datetime, timedelta, timezone

from auction_app import backup


def test_backup_then_restore_brings_back_every_document(scratch_db, tmp_path):
    db = scratch_db
    when = datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)
    db.backup_probe.insert_many([{"_id": "a", "budget": 500, "at": when}, {"_id": "b", "roster": [{"team": "arsenal", "price": 40}]}])
    path = backup.backup(db, tmp_path, now=when)
    db.backup_probe.delete_many({})
    db.backup_probe.insert_one({"_id": "c", "stray": True})

    counts = backup.restore(db, path)

    assert counts["backup_probe"] == 2
    docs = {d["_id"]: d for d in db.backup_probe.find()}
    assert set(docs) == {"a", "b"}
    assert docs["a"]["budget"] == 500 and docs["a"]["at"] == when
    assert docs["b"]["roster"] == [{"team": "arsenal", "price": 40}]


def test_prune_keeps_the_newest_backups(scratch_db, tmp_path):
    db = scratch_db
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    paths = [backup.backup(db, tmp_path, now=start + timedelta(days=i)) for i in range(9)]
    removed = backup.prune(tmp_path, keep=7)
    assert sorted(removed) == paths[:2]
    assert sorted(tmp_path.glob("backup-*.jsonl.gz")) == paths[2:]


def test_nightly_backup_task_runs_on_a_worker(app, worker, settings):
    from pathlib import Path

    from workers.maintenance import nightly_backup

    before = set(Path(settings.BACKUP_DIR).glob("*.gz")) if Path(settings.BACKUP_DIR).exists() else set()
    with app.app_context():
        nightly_backup.delay()
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        after = set(Path(settings.BACKUP_DIR).glob("*.gz")) if Path(settings.BACKUP_DIR).exists() else set()
        if after - before:
            break
        time.sleep(0.2)
    assert after - before, "the worker wrote no backup file"


def test_backups_taken_during_a_live_auction_restore_to_an_auction_that_agrees_with_its_log(db, scratch_db, tmp_path):
    """Bots bid (with hidden maximums answering) while backups are taken; every backup
    restores to an auction whose log replays to it, and a bid placed after the restore is logged."""
    import threading
    import uuid

    from auction_app.db import create_indexes
    from auction_app.domain.auction_replay import differences, replay
    from auction_app.domain.auction_rules import AuctionSettings
    from auction_app.repositories import auctions, bids, proxies
    from auction_app.services import auction_engine as engine
    from tests.support.factories import make_league

    live = db.client[f"live_{uuid.uuid4().hex[:8]}"]
    create_indexes(live)
    try:
        league, users = make_league(live, members=4, budget=100000, roster_slots=3, lot_seconds=600)
        for user, cap in zip(users[2:], (400, 700)):
            proxies.set_max(live, league["_id"], user["_id"], league["lot_order"][0], cap, datetime.now(timezone.utc))
        auction, _ = engine.start(live, league, users[0]["_id"], datetime.now(timezone.utc))
        stop = threading.Event()

        def bots():
            while not stop.is_set():
                current = auctions.get(live, auction["_id"])
                lot = current["lot"]
                bidder = users[0] if lot["leader_id"] != users[0]["_id"] else users[1]
                engine.place_bid(live, auction["_id"], bidder["_id"], (lot["price"] or 0) + 1,
                                 engine.new_idempotency_key(), datetime.now(timezone.utc), lot_id=lot["id"])

        thread = threading.Thread(target=bots, daemon=True)
        thread.start()
        try:
            for attempt in range(8):
                path = backup.backup(live, tmp_path / str(attempt))
                backup.restore(scratch_db, path)
                restored = auctions.get(scratch_db, auction["_id"])
                records = bids.log(scratch_db, auction["_id"]) + bids.auction_log(scratch_db, auction["_id"])
                replayed = replay(records, settings=AuctionSettings(**restored["settings"]),
                                  member_ids=restored["member_order"], lot_order=restored["lot_order"])
                assert differences(replayed, restored) == [], f"backup {attempt}"
        finally:
            stop.set()
            thread.join(10)
        assert restored["seq"] > 20, "the bots were bidding while the backups ran"
        lot = restored["lot"]
        bidder = users[0] if lot["leader_id"] != users[0]["_id"] else users[1]
        after = engine.place_bid(scratch_db, auction["_id"], bidder["_id"], lot["price"] + 1000,
                                 engine.new_idempotency_key(), datetime.now(timezone.utc), lot_id=lot["id"])
        assert after.accepted
        assert bids.by_seqs(scratch_db, auction["_id"], [after.bid["seq"]])[0]["amount"] == lot["price"] + 1000, \
            "a bid placed after the restore is in the log"
    finally:
        db.client.drop_database(live.name)


def test_a_document_listed_twice_by_a_backup_restores_once_as_its_later_copy(scratch_db, tmp_path):
    """A cursor is no snapshot: a document changed while its collection was being read can be listed twice."""
    import gzip
    import json

    path = tmp_path / "backup-twice.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"format": backup.FORMAT_VERSION, "created_at": "2026-11-30T00:00:00+00:00"}) + "\n")
        out.write(json.dumps({"c": "announcements", "d": {"_id": "a1", "message": "before"}}) + "\n")
        out.write(json.dumps({"c": "announcements", "d": {"_id": "a1", "message": "after"}}) + "\n")
    counts = backup.restore(scratch_db, path)
    assert counts["announcements"] == 1
    assert scratch_db.announcements.find_one({"_id": "a1"})["message"] == "after"
