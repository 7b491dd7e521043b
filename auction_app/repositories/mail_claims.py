"""One claim per email that must go out once (results to each member), so a task
that runs twice (redelivery, the sweep re-queueing it) never mails anyone twice."""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


def claim(db: Database, key: str, now: datetime) -> bool:
    """True the first time `key` is claimed, False ever after."""
    try:
        db.mail_claims.insert_one({"_id": key, "claimed_at": now})
        return True
    except DuplicateKeyError:
        return False


def claimed(db: Database, prefix: str) -> list[str]:
    return [d["_id"] for d in db.mail_claims.find({"_id": {"$regex": f"^{prefix}"}}, {"_id": 1})]
