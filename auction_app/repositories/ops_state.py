"""Small records the operators' tools share across processes: maintenance mode,
the last good backup, the last restore drill. One document per key in `ops_state`."""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

MAINTENANCE = "maintenance"
BACKUP = "backup"
RESTORE_DRILL = "restore_drill"


def get(db: Database, key: str) -> dict | None:
    return db.ops_state.find_one({"_id": key})


def put(db: Database, key: str, fields: dict) -> None:
    # A whole-document write: nx-27017 stores a datetime that `$set` adds to an existing
    # document as a string (docs/mongodb-compatibility.md); a replace keeps its type on both.
    # One writer per key (a CLI command or the nightly task), so read-then-replace is enough.
    current = get(db, key) or {"_id": key}
    db.ops_state.replace_one({"_id": key}, {**current, **fields}, upsert=True)


def all_states(db: Database) -> dict[str, dict]:
    return {doc["_id"]: doc for doc in db.ops_state.find({"_id": {"$in": [MAINTENANCE, BACKUP, RESTORE_DRILL]}})}


def record_success(db: Database, key: str, at: datetime, **details) -> None:
    put(db, key, {"last_success_at": at, **details})
