"""Magic-link tokens. Only the SHA-256 hash of a token is ever stored."""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database


def delete_expired(db: Database, now: datetime) -> int:
    # The local emulator never runs TTL expiry, so this is what really deletes them.
    return db.login_tokens.delete_many({"expires_at": {"$lte": now}}).deleted_count
