"""Leagues and their membership.

Timestamps in updates are written with `$currentDate`: see
docs/mongodb-compatibility.md for why `$set` is never used for datetimes.

Membership is kept inside the league document (`members` map keyed by user id,
plus `member_ids` for the index), so joining, leaving and the member limit are
one atomic conditional update each: two people racing for the last seat can
never both get it.
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.database import Database

SETUP = "setup"          # not started: settings editable, members may join and leave
RUNNING = "running"      # auction live (running or paused)
COMPLETED = "completed"  # auction over


def insert(db: Database, league: dict) -> None:
    db.leagues.insert_one(league)


def get(db: Database, league_id: str) -> dict | None:
    if not isinstance(league_id, str):
        return None
    return db.leagues.find_one({"_id": league_id})


def by_invite_token(db: Database, token: str) -> dict | None:
    return db.leagues.find_one({"invite_token": token})


def by_spectator_token(db: Database, token: str) -> dict | None:
    if not isinstance(token, str) or not token:
        return None
    return db.leagues.find_one({"spectator_token": token})


def for_member(db: Database, user_id: str) -> list[dict]:
    # `$in` rather than plain equality: the same query on real MongoDB (served by the
    # member_ids multikey index), but nx-27017 finds nothing for array equality
    # once that index exists (count_documents does; find does not).
    return list(db.leagues.find({"member_ids": {"$in": [user_id]}}).sort("created_at", -1))


def join(db: Database, league_id: str, user_id: str, member: dict, *, invite_token: str | None) -> dict | None:
    """Add a member if the league is open, has room and they're not in it. None if not."""
    query = {
        "_id": league_id,
        "status": SETUP,
        f"members.{user_id}": {"$exists": False},
        "$expr": {"$lt": ["$member_count", "$settings.max_members"]},
    }
    if invite_token is not None:
        query["invite_token"] = invite_token
    return db.leagues.find_one_and_update(
        query,
        {"$set": {f"members.{user_id}": member}, "$push": {"member_ids": user_id}, "$inc": {"member_count": 1}},
        return_document=ReturnDocument.AFTER,
    )


def remove_member(db: Database, league_id: str, user_id: str) -> bool:
    """Remove a (non-commissioner) member before the auction starts."""
    result = db.leagues.update_one(
        {"_id": league_id, "status": SETUP, f"members.{user_id}": {"$exists": True},
         "commissioner_id": {"$ne": user_id}},
        {"$unset": {f"members.{user_id}": ""}, "$pull": {"member_ids": user_id}, "$inc": {"member_count": -1}},
    )
    return result.modified_count == 1


def update_setup(db: Database, league_id: str, fields: dict, *, where: dict | None = None) -> dict | None:
    """Change settings/teams while the auction has not started.

    `where` adds conditions (e.g. the `updated_at` and `member_count` that were
    read), so an edit never overwrites a change made in between.
    """
    return db.leagues.find_one_and_update(
        {**(where or {}), "_id": league_id, "status": SETUP}, {"$set": fields},
        return_document=ReturnDocument.AFTER)


def rotate_invite(db: Database, league_id: str, new_token: str) -> bool:
    return db.leagues.update_one({"_id": league_id}, {"$set": {"invite_token": new_token}}).modified_count == 1


def rotate_spectator(db: Database, league_id: str, new_token: str) -> bool:
    return db.leagues.update_one({"_id": league_id}, {"$set": {"spectator_token": new_token}}).modified_count == 1


def mark_started(db: Database, league_id: str, auction_id: str, now: datetime) -> dict | None:
    """Flip the league to running; the league as it was at that instant, or None if it wasn't in setup.

    Joins, removals and setting changes are all guarded on status setup, so the returned
    document is exactly what the auction starts with. `auction_pending` stays set until the
    auction document is written (`mark_auction_written`): a start cut short in between is
    found by `awaiting_auction`, however long ago it happened."""
    return db.leagues.find_one_and_update(
        {"_id": league_id, "status": SETUP},
        # The schedule is done with: the sweep's range over scheduled starts stays small.
        {"$set": {"status": RUNNING, "auction_id": auction_id, "auction_pending": True, "scheduled_start_ms": None},
         "$currentDate": {"started_at": True}},
        return_document=ReturnDocument.AFTER,
    )


def mark_auction_written(db: Database, league_id: str) -> None:
    db.leagues.update_one({"_id": league_id, "auction_pending": True}, {"$set": {"auction_pending": False}})


def awaiting_auction(db: Database) -> list[dict]:
    """Running leagues whose auction document was never written (indexed: usually none)."""
    return list(db.leagues.find({"auction_pending": True, "status": RUNNING}))


def schedule_start(db: Database, league_id: str, starts_at: datetime | None) -> dict | None:
    """Set (or clear) when the auction starts by itself; only while the league is in setup.

    The time is also kept as epoch milliseconds: that is what the clock sweep queries (the
    local emulator can't range-query a date written by `$set`)."""
    fields = {"scheduled_start_at": starts_at,
              "scheduled_start_ms": int(starts_at.timestamp() * 1000) if starts_at else None}
    return db.leagues.find_one_and_update({"_id": league_id, "status": SETUP}, {"$set": fields},
                                          return_document=ReturnDocument.AFTER)


def scheduled_before(db: Database, now: datetime) -> list[dict]:
    """Leagues in setup whose scheduled start has come."""
    return list(db.leagues.find({"status": SETUP, "scheduled_start_ms": {"$lte": int(now.timestamp() * 1000)}}))


def mark_completed(db: Database, league_id: str, now: datetime) -> bool:
    result = db.leagues.update_one(
        {"_id": league_id, "status": RUNNING}, {"$set": {"status": COMPLETED}, "$currentDate": {"completed_at": True}})
    return result.modified_count == 1


def set_fields(db: Database, league_id: str, fields: dict) -> None:
    db.leagues.update_one({"_id": league_id}, {"$set": fields})


def practice_created_before(db: Database, before: datetime) -> list[dict]:
    return list(db.leagues.find({"kind": "practice", "created_at": {"$lt": before}}))


def delete_with_auction(db: Database, league: dict) -> None:
    """Remove a league and everything its auction wrote (used for finished practice rounds)."""
    auction_id = league.get("auction_id")
    if auction_id:
        db.bids.delete_many({"auction_id": auction_id})
        db.auction_log.delete_many({"auction_id": auction_id})
        db.chat_messages.delete_many({"auction_id": auction_id})
        db.chat_mutes.delete_many({"auction_id": auction_id})
        db.auctions.delete_one({"_id": auction_id})
    db.proxies.delete_many({"league_id": league["_id"]})
    db.audit.delete_many({"league_id": league["_id"]})
    db.leagues.delete_one({"_id": league["_id"]})


def rename_member_before_start(db: Database, user_id: str, name: str) -> int:
    """Show a member's new name in leagues whose auction hasn't started (started ones keep the record)."""
    return db.leagues.update_many({"member_ids": {"$in": [user_id]}, "status": SETUP},
                                  {"$set": {f"members.{user_id}.name": name}}).modified_count
