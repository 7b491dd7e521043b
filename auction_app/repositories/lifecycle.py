"""Data lifecycle: archiving finished leagues, removing a member's personal data,
retention of audit records, feedback screenshots and announcements, and the
figures of the admin page (users, leagues, activity, weekly funnel)."""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from auction_app.repositories import auctions
from auction_app.repositories._dates import as_utc

FORMER_MEMBER = "Former member"


# --- Archive ------------------------------------------------------------------

def completed_unarchived(db: Database) -> list[dict]:
    rows = db.leagues.find({"status": "completed", "archived_at": None},
                           {"_id": 1, "completed_at": 1, "kind": 1})
    return [dict(row, completed_at=as_utc(row.get("completed_at"))) for row in rows]


def archive_league(db: Database, league_id: str, now: datetime) -> bool:
    return db.leagues.update_one({"_id": league_id, "archived_at": None},
                                 {"$set": {"archived_at": now}}).modified_count == 1


# --- Account deletion ---------------------------------------------------------

def running_auction_for(db: Database, user_id: str) -> dict | None:
    return db.auctions.find_one({"status": {"$in": ["running", "paused"]}, f"members.{user_id}": {"$exists": True}},
                                {"_id": 1, "league_id": 1})


def anonymise_member(db: Database, user_id: str, now: datetime) -> dict[str, int]:
    """Remove a member's personal data; what others still see keeps an anonymous name.

    Leagues still being set up drop them; started and finished leagues, auctions and
    their rosters keep the opaque id with the name "Former member".
    """
    counts: dict[str, int] = {}
    counts["leagues_left"] = db.leagues.update_many(
        {"member_ids": {"$in": [user_id]}, "status": "setup", "commissioner_id": {"$ne": user_id}},
        {"$unset": {f"members.{user_id}": ""}, "$pull": {"member_ids": user_id}, "$inc": {"member_count": -1}},
    ).modified_count
    counts["leagues_renamed"] = db.leagues.update_many(
        {"member_ids": {"$in": [user_id]}}, {"$set": {f"members.{user_id}.name": FORMER_MEMBER}}).modified_count
    # A new revision: a running process's cached copy of the auction, with the old name, then
    # fails its next conditional write and re-reads instead of writing the name back.
    counts["auctions_renamed"] = db.auctions.update_many(
        {f"members.{user_id}": {"$exists": True}},
        {"$set": {f"members.{user_id}.name": FORMER_MEMBER, "rev": auctions.new_revision()}}).modified_count
    user = db.users.find_one({"_id": user_id}, {"email": 1}) or {}
    if user.get("email"):
        counts["sign_in_tokens"] = db.login_tokens.delete_many({"email": user["email"]}).deleted_count
    counts["sessions"] = db.sessions.delete_many({"user_id": user_id}).deleted_count
    counts["proxies"] = db.proxies.delete_many({"user_id": user_id}).deleted_count
    counts["feedback"] = db.feedback.update_many(
        {"user_id": user_id}, {"$set": {"user_id": None, "email": None, "user_agent": None}}).modified_count
    db.users.replace_one({"_id": user_id}, {
        "_id": user_id, "email": f"deleted-{user_id.lower()}@deleted.invalid", "display_name": FORMER_MEMBER,
        "role": "deleted", "disabled_at": now, "deleted_at": now, "created_at": now})
    return counts


# --- Retention ----------------------------------------------------------------

def delete_audit_before(db: Database, cutoff: datetime) -> int:
    return db.audit.delete_many({"at": {"$lt": cutoff}}).deleted_count


def drop_screenshots_before(db: Database, cutoff: datetime) -> int:
    """Feedback reports stay; their screenshot bytes go."""
    return db.feedback.update_many({"created_at": {"$lt": cutoff}, "screenshot": {"$ne": None}},
                                   {"$set": {"screenshot": None, "screenshot_removed_at": cutoff}}).modified_count


# --- Admin page figures -------------------------------------------------------

def user_counts(db: Database) -> dict[str, int]:
    rows = db.users.aggregate([{"$group": {"_id": "$role", "n": {"$sum": 1}}}])
    return {str(row["_id"] or "member"): row["n"] for row in rows}


def league_counts(db: Database) -> dict[str, int]:
    rows = db.leagues.aggregate([{"$match": {"kind": {"$ne": "practice"}}},
                                 {"$group": {"_id": "$status", "n": {"$sum": 1}}}])
    return {str(row["_id"]): row["n"] for row in rows}


def recent_leagues(db: Database, limit: int = 20) -> list[dict]:
    rows = db.leagues.find({"kind": {"$ne": "practice"}},
                           {"name": 1, "status": 1, "member_count": 1, "created_at": 1, "archived_at": 1}
                           ).sort("created_at", -1).limit(limit)
    return [dict(row, created_at=as_utc(row.get("created_at"))) for row in rows]


def signups_since(db: Database, since: datetime) -> list[tuple[str, datetime]]:
    rows = db.audit.find({"action": "signed_up", "at": {"$gte": since}}, {"actor_id": 1, "at": 1})
    return [(row["actor_id"], as_utc(row["at"])) for row in rows]


def users_who_joined(db: Database, user_ids: list[str]) -> set[str]:
    rows = db.audit.find({"action": {"$in": ["member_joined", "league_created"]}, "actor_id": {"$in": user_ids}},
                         {"actor_id": 1})
    return {row["actor_id"] for row in rows}


def users_who_bid(db: Database, user_ids: list[str]) -> set[str]:
    return set(db.bids.distinct("user_id", {"user_id": {"$in": user_ids}}))


def users_who_finished(db: Database, user_ids: list[str]) -> set[str]:
    rows = db.leagues.find({"status": "completed", "kind": {"$ne": "practice"},
                            "member_ids": {"$in": user_ids}}, {"member_ids": 1})
    wanted = set(user_ids)
    return {uid for row in rows for uid in row.get("member_ids", []) if uid in wanted}
