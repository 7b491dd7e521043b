"""Who did what and when, for commissioner actions and league changes."""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo.database import Database


def record(db: Database, league_id: str, actor_id: str, action: str, at: datetime, **details) -> None:
    db.audit.insert_one({"_id": secrets.token_urlsafe(12), "league_id": league_id, "actor_id": actor_id,
                         "action": action, "at": at, "details": details})


def for_league(db: Database, league_id: str) -> list[dict]:
    return list(db.audit.find({"league_id": league_id}).sort("at", 1))
