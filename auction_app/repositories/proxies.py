"""Proxy bids: a member's hidden maximum for a team. Never shown to other members."""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database


def _id(league_id: str, user_id: str, team_key: str) -> str:
    return f"{league_id}:{user_id}:{team_key}"


def set_max(db: Database, league_id: str, user_id: str, team_key: str, max_amount: int, now: datetime) -> None:
    # created_at changes with the amount: a new maximum queues behind earlier equal ones.
    db.proxies.update_one(
        {"_id": _id(league_id, user_id, team_key)},
        {"$set": {"league_id": league_id, "user_id": user_id, "team_key": team_key,
                  "max_amount": max_amount, "created_at": now}},
        upsert=True,
    )


def clear(db: Database, league_id: str, user_id: str, team_key: str) -> bool:
    return db.proxies.delete_one({"_id": _id(league_id, user_id, team_key)}).deleted_count == 1


def clear_for_member(db: Database, league_id: str, user_id: str) -> int:
    """Drop every maximum of someone who left (or was removed from) the league."""
    return db.proxies.delete_many({"league_id": league_id, "user_id": user_id}).deleted_count


def for_team(db: Database, league_id: str, team_key: str) -> list[dict]:
    """The maximums that may bid on this team: none of a suspended (disabled) account."""
    return _live(db, db.proxies.find({"league_id": league_id, "team_key": team_key}))


def _live(db: Database, cursor) -> list[dict]:
    found = [p for p in cursor if not p.get("suspended_at")]
    if not found:
        return found
    # Also covers accounts disabled before maximums were suspended on disable.
    # Filtered here, not with {"disabled_at": {"$ne": None}}: nx-27017 matches missing fields with that.
    owners = db.users.find({"_id": {"$in": sorted({p["user_id"] for p in found})}}, {"disabled_at": 1})
    disabled = {u["_id"] for u in owners if u.get("disabled_at")}
    return [p for p in found if p["user_id"] not in disabled]


def suspend_for_user(db: Database, user_id: str, now: datetime) -> int:
    """Stop every maximum of a disabled account (kept, so enabling the account brings them back)."""
    return db.proxies.update_many({"user_id": user_id}, {"$set": {"suspended_at": now}}).modified_count


def resume_for_user(db: Database, user_id: str) -> int:
    return db.proxies.update_many({"user_id": user_id}, {"$set": {"suspended_at": None}}).modified_count


def for_user(db: Database, league_id: str, user_id: str) -> dict[str, int]:
    return {p["team_key"]: p["max_amount"] for p in db.proxies.find({"league_id": league_id, "user_id": user_id})}


def for_league(db: Database, league_id: str) -> list[dict]:
    """Every live hidden maximum in the league (the engine caches them per lot and per change)."""
    return _live(db, db.proxies.find({"league_id": league_id}))
