"""Announcements to members (planned maintenance, incidents), newest first."""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo.database import Database


def add(db: Database, message: str, level: str, author_id: str | None, at: datetime) -> dict:
    doc = {"_id": secrets.token_urlsafe(9), "message": message, "level": level, "author_id": author_id, "at": at}
    db.announcements.insert_one(doc)
    return doc


def latest(db: Database) -> dict | None:
    return next(iter(db.announcements.find().sort("at", -1).limit(1)), None)
