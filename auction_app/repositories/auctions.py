"""Auctions. The auction document is the aggregate root of a live auction.

It holds the current lot, every team's lot status, and each member's spend and
roster count. Every change is ONE conditional replace filtered on the document's
`version` and `rev` (auction_app.services.auction_store.commit), so two changes can
never both apply to the same state, on any number of processes, without transactions.

The `outbox` field holds what the last change must cause elsewhere: its log
records (bids, auction_log) and follow-ups (audit, league status, the results
email). They are completed idempotently right after the write, by the next
reader, and by the clock sweep (`outbox_pending`), so a crash loses nothing.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

RUNNING = "running"
PAUSED = "paused"
COMPLETED = "completed"


class OutboxConflict(RuntimeError):
    """A log record's id is taken by a different record: the log and the auction disagree."""


def insert(db: Database, auction: dict) -> bool:
    """False if this league already has an auction (the unique index decides)."""
    auction["rev"] = new_revision()
    try:
        db.auctions.insert_one(auction)
        return True
    except DuplicateKeyError:
        return False


def get(db: Database, auction_id: str) -> dict | None:
    if not isinstance(auction_id, str):
        return None
    return db.auctions.find_one({"_id": auction_id})


def for_league(db: Database, league_id: str) -> dict | None:
    return db.auctions.find_one({"league_id": league_id})


def new_revision() -> str:
    """A value no other write has: every write of an auction document stores a new one in `rev`."""
    return secrets.token_hex(8)


def replace_if_unchanged(db: Database, old: dict, new: dict) -> bool:
    """Write `new` (with a new revision) only if the stored document is still `old`: the same
    version and the same revision, in one atomic write.

    The version alone can repeat: a restore from a backup brings back earlier version numbers,
    and writes outside the engine (an account deletion renaming a member) keep the version. The
    revision cannot, so a state cached by any process is written over only if it is exactly
    the stored one. Documents stored before revisions existed have none; `None` matches them.
    """
    new["rev"] = new_revision()
    return db.auctions.replace_one({"_id": new["_id"], "version": old["version"], "rev": old.get("rev")},
                                   new).modified_count == 1


def running(db: Database) -> list[dict]:
    """Running auctions (id and commissioner), e.g. to pause them all for maintenance."""
    return list(db.auctions.find({"status": RUNNING}, {"_id": 1, "commissioner_id": 1}))


def due(db: Database, now: datetime) -> list[str]:
    """Auctions whose clock has something to do by `now` (indexed: cost does not grow with live auctions)."""
    return [d["_id"] for d in db.auctions.find({"due_at": {"$lte": now}}, {"_id": 1})]


def with_pending_followups(db: Database) -> list[str]:
    return [d["_id"] for d in db.auctions.find({"outbox_pending": True}, {"_id": 1})]


def mark_followups_done(db: Database, auction_id: str, version: int) -> None:
    # Guarded on the version: a newer change has an outbox of its own.
    db.auctions.update_one({"_id": auction_id, "version": version}, {"$set": {"outbox_pending": False}})


def all_ids(db: Database) -> list[str]:
    return [d["_id"] for d in db.auctions.find({}, {"_id": 1})]


def store_record(db: Database, collection: str, doc: dict) -> None:
    """Insert a log/audit record once. Storing the same record again is fine; a different
    record under the same id means the log and the auction disagree, and must surface."""
    try:
        db[collection].insert_one(doc)
    except DuplicateKeyError:
        existing = db[collection].find_one({"_id": doc["_id"]})
        if existing is None or _comparable(existing) != _comparable(doc):
            raise OutboxConflict(f"{collection} record {doc['_id']} differs from the stored one") from None


def _comparable(value):
    # MongoDB keeps datetimes to the millisecond.
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000).isoformat()
    return value


def delete_log_after(db: Database, auction_id: str, seq: int) -> int:
    """Drop log records newer than the auction itself (a backup can catch them mid-write)."""
    gone = 0
    for collection in ("bids", "auction_log"):
        gone += db[collection].delete_many({"auction_id": auction_id, "seq": {"$gt": seq}}).deleted_count
    return gone
