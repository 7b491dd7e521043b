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

