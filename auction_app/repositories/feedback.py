"""Problem reports sent from the in-app feedback form.

A document: `_id`, `user_id` (or None), `email` (reply address or None),
`happened`, `expected`, `page` (where it happened), `user_agent`,
`screenshot` ({`content_type`, `size`, `data` (bytes)} or None), `created_at`.
"""
from __future__ import annotations

from pymongo.database import Database

from auction_app.repositories._dates import normalize


def insert(db: Database, doc: dict) -> None:
    db.feedback.insert_one(doc)


def get(db: Database, feedback_id: str) -> dict | None:
    return normalize(db.feedback.find_one({"_id": feedback_id}), ("created_at",))



def recent(db: Database, limit: int = 100) -> list[dict]:
    """The newest reports, without screenshot bytes (those are fetched one at a time)."""
    rows = db.feedback.find({}, {"screenshot.data": 0}).sort("created_at", -1).limit(limit)
    return [normalize(row, ("created_at",)) for row in rows]
