"""Signed-in sessions. Each session JWT's `jti` is recorded here so any session can be revoked.

A document: `_id` (opaque id shown to the member), `jti` (unique, inside the JWT),
`user_id`, `user_agent`, `ip`, `created_at`, `last_seen_at`, `expires_at`,
`revoked_at` (None while active; set explicitly at insert).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pymongo import DESCENDING
from pymongo.database import Database

from auction_app.repositories._dates import normalize

_DATES = ("created_at", "last_seen_at", "expires_at", "revoked_at")


def _norm(doc):
    return normalize(doc, _DATES)


def create(db: Database, *, user_id: str, jti: str, user_agent: str, ip: str | None, now: datetime,
           expires_at: datetime) -> dict:
    doc = {
        "_id": secrets.token_urlsafe(12),
        "jti": jti,
        "user_id": user_id,
        "user_agent": user_agent,
        "ip": ip,
        "created_at": now,
        "last_seen_at": now,
        "expires_at": expires_at,
        "revoked_at": None,
    }
    db.sessions.insert_one(doc)
    return doc


def get_by_jti(db: Database, jti: str) -> dict | None:
    return _norm(db.sessions.find_one({"jti": jti}))


def touch(db: Database, session_id: str, now: datetime, every: timedelta) -> bool:
    """Move last_seen_at to now, at most once per `every` (conditional, so parallel requests write once)."""
    result = db.sessions.update_one(
        {"_id": session_id, "last_seen_at": {"$lte": now - every}},
        {"$set": {"last_seen_at": now}},
    )
    return result.modified_count == 1


def list_active(db: Database, user_id: str, now: datetime) -> list[dict]:
    cursor = db.sessions.find(
        {"user_id": user_id, "revoked_at": None, "expires_at": {"$gt": now}},
    ).sort("last_seen_at", DESCENDING).limit(200)
    return [_norm(d) for d in cursor]


def revoke(db: Database, user_id: str, session_id: str, now: datetime) -> dict | None:
    """Revoke one of this user's sessions; the session as it was, or None if not theirs or already revoked."""
    return _norm(db.sessions.find_one_and_update(
        {"_id": session_id, "user_id": user_id, "revoked_at": None},
        {"$set": {"revoked_at": now}},
    ))


def revoke_jti(db: Database, jti: str, now: datetime) -> bool:
    result = db.sessions.update_one({"jti": jti, "revoked_at": None}, {"$set": {"revoked_at": now}})
    return result.modified_count == 1


def revoke_all(db: Database, user_id: str, now: datetime) -> int:
    result = db.sessions.update_many({"user_id": user_id, "revoked_at": None}, {"$set": {"revoked_at": now}})
    return result.modified_count


def delete_expired(db: Database, before: datetime) -> int:
    """Forget sessions that expired before `before` (expires_at is written at insert, so it is queryable)."""
    return db.sessions.delete_many({"expires_at": {"$lt": before}}).deleted_count
