"""Chat messages and mutes of an auction room.

chat_messages: `_id`, `auction_id`, `user_id`, `name`, `text`, `at` (inserted).
chat_mutes: `_id` = "<auction_id>:<user_id>", `auction_id`, `user_id`, `by`, `at`.
"""
from __future__ import annotations

from pymongo.database import Database

from auction_app.repositories._dates import normalize


def add(db: Database, doc: dict) -> None:
    db.chat_messages.insert_one(doc)


def recent(db: Database, auction_id: str, limit: int = 50) -> list[dict]:
    """The latest messages, oldest first."""
    rows = db.chat_messages.find({"auction_id": auction_id}).sort("at", -1).limit(limit)
    return [normalize(row, ("at",)) for row in rows][::-1]


def mute(db: Database, auction_id: str, user_id: str, by: str, at) -> None:
    db.chat_mutes.replace_one({"_id": f"{auction_id}:{user_id}"},
                              {"_id": f"{auction_id}:{user_id}", "auction_id": auction_id, "user_id": user_id,
                               "by": by, "at": at}, upsert=True)


def unmute(db: Database, auction_id: str, user_id: str) -> None:
    db.chat_mutes.delete_one({"_id": f"{auction_id}:{user_id}"})


def is_muted(db: Database, auction_id: str, user_id: str) -> bool:
    return db.chat_mutes.find_one({"_id": f"{auction_id}:{user_id}"}) is not None


def muted(db: Database, auction_id: str) -> list[str]:
    return [row["user_id"] for row in db.chat_mutes.find({"auction_id": auction_id})]
