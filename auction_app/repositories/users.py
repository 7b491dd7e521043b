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
BOT = "bot"  # practice-auction opponents: never sign in, never receive mail
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


def create_bot(db: Database, name: str, now: datetime) -> dict:
    """A practice opponent. Its address is on the reserved .invalid domain: mail can never go out."""
    uid = secrets.token_urlsafe(12)
    doc = {"_id": uid, "email": f"bot-{uid.lower()}@practice.invalid", "display_name": name, "role": BOT,
           "disabled_at": None, "created_at": now, "last_sign_in_at": None}
    db.users.insert_one(doc)
    return doc


def emails_of(db: Database, user_ids: list[str]) -> list[str]:
    """Addresses of these users that can receive mail (not bots, not disabled)."""
    return list(emails_by_id(db, user_ids).values())


def emails_by_id(db: Database, user_ids: list[str]) -> dict[str, str]:
    """{user id: address} for these users that can receive mail (not bots, not disabled)."""
    found = db.users.find({"_id": {"$in": list(user_ids)}}, {"email": 1, "role": 1, "disabled_at": 1})
    return {u["_id"]: u["email"] for u in found if u.get("role") != BOT and not u.get("disabled_at")}


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


def mark_tutorial_done(db: Database, user_id: str, outcome: str) -> None:
    """Remember that the first-sign-in tutorial was finished or skipped (`outcome`: done | skipped).

    The time is stamped with `$currentDate` (the emulator stores `$set` datetimes as strings).
    """
    db.users.update_one({"_id": user_id}, {"$set": {"tutorial_outcome": outcome},
                                           "$currentDate": {"tutorial_done_at": True}})


def needs_tutorial(user: dict) -> bool:
    return not user.get("tutorial_done_at")


def admin_emails(db: Database, limit: int = 50) -> list[str]:
    """Addresses of the active administrators (feedback goes to them)."""
    found = db.users.find({"role": ADMIN}).limit(limit)
    return [u["email"] for u in found if not u.get("disabled_at") and u.get("email")]


# --- email preferences (issue 6: weekly standings summary) -------------------
# `email_prefs` is a small map on the user document, e.g. {"weekly_summary": False}.
# A missing key means the default (opted in). Read through `wants_email`, because
# the local emulator returns stored booleans as 1/0.

def set_email_preference(db: Database, user_id: str, name: str, enabled: bool) -> bool:
    """Turn one kind of optional email on or off. False if there is no such user."""
    result = db.users.update_one({"_id": user_id}, {"$set": {f"email_prefs.{name}": bool(enabled)}})
    return result.matched_count == 1


def wants_email(user: dict, name: str, default: bool = True) -> bool:
    value = (user.get("email_prefs") or {}).get(name)
    return default if value is None else bool(value)


def get_many(db: Database, user_ids: list[str]) -> list[dict]:
    return [_norm(d) for d in db.users.find({"_id": {"$in": list(user_ids)}})]


def delete_bots(db: Database, user_ids: list[str]) -> int:
    return db.users.delete_many({"_id": {"$in": list(user_ids)}, "role": BOT}).deleted_count


def set_display_name(db: Database, user_id: str, name: str) -> None:
    db.users.update_one({"_id": user_id}, {"$set": {"display_name": name}})
