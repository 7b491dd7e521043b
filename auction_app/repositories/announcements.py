"""Announcements to members (planned maintenance, incidents), newest first.

Each one expires (`expires_at`, None for "until cleared") and can be cleared.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo.database import Database


def add(db: Database, message: str, level: str, author_id: str | None, at: datetime,
        expires_at: datetime | None = None, kind: str = "announcement") -> dict:
    doc = {"_id": secrets.token_urlsafe(9), "message": message, "level": level, "author_id": author_id, "at": at,
           "expires_at": expires_at, "cleared_at": None, "kind": kind}
    db.announcements.insert_one(doc)
    return doc


def latest(db: Database, now: datetime | None = None) -> dict | None:
    """The newest announcement still in force (not cleared, not expired at `now`)."""
    for doc in db.announcements.find({"cleared_at": None}).sort("at", -1).limit(20):
        expires = doc.get("expires_at")
        if now is None or expires is None or _aware(expires) > now:
            return doc
    return None


def clear(db: Database, now: datetime, kind: str | None = None) -> int:
    """Clear every announcement in force (or only those of `kind`); returns how many."""
    where: dict = {"cleared_at": None}
    if kind:
        where["kind"] = kind
    return db.announcements.update_many(where, {"$set": {"cleared_at": now}}).modified_count


def delete_before(db: Database, cutoff: datetime) -> int:
    """Retention: forget announcements made before `cutoff`."""
    return db.announcements.delete_many({"at": {"$lt": cutoff}}).deleted_count


def _aware(value: datetime) -> datetime:
    from datetime import timezone

    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
