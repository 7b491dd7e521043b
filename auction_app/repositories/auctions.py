"""Auctions. The auction document is the aggregate root of a live auction.

It holds the current lot, every team's lot status, and each member's spend and
roster count. Every state change (a bid, a close and its settlement, a pause, an
undo) is ONE conditional update filtered on the auction's sequence number, so
two changes can never both apply to the same state, on any number of
processes, with or without multi-document transactions.

The `outbox` field holds the log records written by the last change; the writer
inserts them into `bids`/`auction_log` right after, and anybody who reads the
auction inserts them again first (duplicates are ignored), so a crash between
the two writes never loses a log record.
"""
from __future__ import annotations

from collections import deque

from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

RUNNING = "running"
PAUSED = "paused"
COMPLETED = "completed"


def insert(db: Database, auction: dict) -> bool:
    """False if this league already has an auction (the unique index decides)."""
    try:
        db.auctions.insert_one(auction)
        return True
    except DuplicateKeyError:
        return False


def get(db: Database, auction_id: str) -> dict | None:
    if not isinstance(auction_id, str):
        return None
    return db.auctions.find_one({"_id": auction_id})


def live(db: Database) -> list[dict]:
    """Auctions the clock must watch (running; paused ones have no clock)."""
    return list(db.auctions.find({"status": RUNNING}))


def transition(db: Database, auction: dict, *, set_: dict | None = None, inc: dict | None = None,
               unset: dict | None = None, where: dict | None = None) -> bool:
    """Apply a change only if nobody changed the auction since `auction` was read.

    `set_`, `inc` and `unset` use MongoDB's dotted paths. The new document is
    computed here and written with one replace_one filtered on `seq` (and `where`),
    which increments `seq`. Returns False when the auction moved on; the caller
    re-reads and decides again. (A whole-document replace also keeps datetimes
    typed on the local emulator, whose $set stores them as strings.)
    """
    new = dict(auction)  # copy-on-write: only the dicts along changed paths are copied
    for path, value in (set_ or {}).items():
        parent, key = _walk(new, path)
        parent[key] = value
    for path, amount in (inc or {}).items():
        parent, key = _walk(new, path)
        parent[key] = parent.get(key, 0) + amount
    for path in unset or {}:
        parent, key = _walk(new, path)
        parent.pop(key, None)
    new["seq"] = auction["seq"] + 1
    query = {"_id": auction["_id"], "seq": auction["seq"], **(where or {})}
    return db.auctions.replace_one(query, new).modified_count == 1


def _walk(doc: dict, path: str) -> tuple[dict, str]:
    """The (copied) parent dict of `path` in `doc`, and the last key. `auction` itself is never mutated."""
    *parents, key = path.split(".")
    for part in parents:
        child = dict(doc.get(part) or {})
        doc[part] = child
        doc = child
    return doc, key


class _RecentlyStored:
    """Ids of log records this process has already stored, so it doesn't store them twice.

    Only an optimisation: a record missing from here is inserted again and the
    unique index turns the duplicate away.
    """

    def __init__(self, size: int = 20000):
        self._order: deque[str] = deque(maxlen=size)
        self._ids: set[str] = set()

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._ids

    def add(self, record_id: str) -> None:
        if len(self._order) == self._order.maxlen:
            self._ids.discard(self._order[0])
        self._order.append(record_id)
        self._ids.add(record_id)


_stored = _RecentlyStored()


def flush_outbox(db: Database, auction: dict) -> None:
    """Make sure the last change's log records are stored (idempotent)."""
    for record in auction.get("outbox") or []:
        record_id = record["doc"]["_id"]
        if record_id in _stored:
            continue
        try:
            db[record["collection"]].insert_one(record["doc"])
        except (DuplicateKeyError, BulkWriteError):
            pass
        _stored.add(record_id)
