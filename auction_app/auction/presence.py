"""Who is in the auction room right now, across every web process (Redis hash per auction)."""
from __future__ import annotations

import logging

from auction_app.redis_store import client

log = logging.getLogger(__name__)


def _key(auction_id: str) -> str:
    return f"presence:{auction_id}"


def enter(auction_id: str, sid: str, user_id: str) -> list[str]:
    try:
        r = client()
        r.hset(_key(auction_id), sid, user_id)
        r.expire(_key(auction_id), 24 * 3600)  # a crashed web process can't leave ghosts forever
        return online(auction_id)
    except Exception:
        log.warning("presence unavailable", exc_info=True)
        return []


def leave(auction_id: str, sid: str) -> list[str]:
    try:
        client().hdel(_key(auction_id), sid)
        return online(auction_id)
    except Exception:
        log.warning("presence unavailable", exc_info=True)
        return []


def online(auction_id: str) -> list[str]:
    return sorted(set(client().hvals(_key(auction_id))) - {""})
