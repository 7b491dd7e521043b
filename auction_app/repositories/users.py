"""Member accounts.

A document: `_id` (opaque), `email` (normalised, unique), `display_name`,
`role` ("member" | "admin"), `disabled_at` (a date or None; never queried,
only read), `created_at`, `last_sign_in_at`.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from auction_app.repositories._dates import normalize

MEMBER = "member"
ADMIN = "admin"
ROLES = (MEMBER, ADMIN)
_DATES = ("created_at", "last_sign_in_at", "disabled_at")


def _norm(doc):
    return normalize(doc, _DATES)


def get(db: Database, user_id: str) -> dict | None:
    return _norm(db.users.find_one({"_id": user_id}))


def get_by_email(db: Database, email: str) -> dict | None:
    return _norm(db.users.find_one({"email": email}))


def get_or_create(db: Database, email: str, now: datetime) -> tuple[dict, bool]:
    """The account for a normalised email, created if missing. Safe under races (unique index)."""
    existing = get_by_email(db, email)
    if existing is not None:
        return existing, False
    doc = {
        "_id": secrets.token_urlsafe(12),
        "email": email,
        "display_name": email.split("@", 1)[0][:60],
        "role": MEMBER,
        "disabled_at": None,
        "created_at": now,
        "last_sign_in_at": None,
    }
    try:
        db.users.insert_one(doc)
        return doc, True
    except DuplicateKeyError:
        return get_by_email(db, email), False


def record_sign_in(db: Database, user_id: str, now: datetime) -> None:
    db.users.update_one({"_id": user_id}, {"$set": {"last_sign_in_at": now}})


def set_role(db: Database, user_id: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    db.users.update_one({"_id": user_id}, {"$set": {"role": role}})


def disable(db: Database, user_id: str, now: datetime) -> bool:
    return db.users.update_one({"_id": user_id}, {"$set": {"disabled_at": now}}).matched_count == 1


def enable(db: Database, user_id: str) -> bool:
    return db.users.update_one({"_id": user_id}, {"$set": {"disabled_at": None}}).matched_count == 1


def list_users(db: Database, limit: int = 200) -> list[dict]:
    return [_norm(d) for d in db.users.find({}).sort("email", ASCENDING).limit(limit)]
