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
    db.ops_state.update_one({"_id": key}, {"$set": fields}, upsert=True)


def all_states(db: Database) -> dict[str, dict]:
    return {doc["_id"]: doc for doc in db.ops_state.find({"_id": {"$in": [MAINTENANCE, BACKUP, RESTORE_DRILL]}})}


def record_success(db: Database, key: str, at: datetime, **details) -> None:
    put(db, key, {"last_success_at": at, **details})
