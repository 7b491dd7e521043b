"""Who did what and when, for commissioner actions and league changes."""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo.database import Database


def record(db: Database, league_id: str | None, actor_id: str, action: str, at: datetime, **details) -> None:
    """One activity record. league_id is None for account events (signed_up, signed_in)."""
    db.audit.insert_one({"_id": secrets.token_urlsafe(12), "league_id": league_id, "actor_id": actor_id,
                         "action": action, "at": at, "details": details})


def for_league(db: Database, league_id: str) -> list[dict]:
    return list(db.audit.find({"league_id": league_id}).sort("at", 1))


def counts_since(db: Database, since: datetime) -> dict[str, int]:
    """How many times each action happened since `since` (for the admin overview)."""
    rows = db.audit.aggregate([{"$match": {"at": {"$gte": since}}},
                               {"$group": {"_id": "$action", "n": {"$sum": 1}}}])
    return {row["_id"]: row["n"] for row in rows}


def active_users_since(db: Database, since: datetime) -> int:
    rows = db.audit.aggregate([{"$match": {"at": {"$gte": since}, "action": {"$in": ["signed_in", "signed_up"]}}},
                               {"$group": {"_id": "$actor_id"}}])
    return sum(1 for _ in rows)
