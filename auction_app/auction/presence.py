"""Who is in the auction room right now, across every web process (Redis hash per auction: sid -> user)."""
from __future__ import annotations

import logging

from auction_app.redis_store import client

log = logging.getLogger(__name__)


def _key(auction_id: str) -> str:
    return f"presence:{auction_id}"


def enter(auction_id: str, sid: str, user_id: str) -> tuple[list[str], bool]:
    """Record this connection. Returns (members online, whether this member just came online):
    a second tab of someone already online changes nothing anyone needs to hear about."""
    try:
        before, _, _, after = (client().pipeline(transaction=True)  # one round trip
                               .hvals(_key(auction_id)).hset(_key(auction_id), sid, user_id)
                               .expire(_key(auction_id), 24 * 3600)  # a crashed web process can't leave ghosts forever
                               .hvals(_key(auction_id)).execute())
        return _members(after), user_id not in set(before)
    except Exception:
        log.warning("presence unavailable", exc_info=True)
        return [], False


def leave(auction_id: str, sid: str) -> tuple[list[str], bool]:
    """Forget this connection. Returns (members online, whether that changed the list)."""
    try:
        before, _, after = (client().pipeline(transaction=True)
                            .hvals(_key(auction_id)).hdel(_key(auction_id), sid).hvals(_key(auction_id)).execute())
        online_now = _members(after)
        return online_now, online_now != _members(before)
    except Exception:
        log.warning("presence unavailable", exc_info=True)
        return [], False


def current(auction_id: str) -> list[str]:
    try:
        return online(auction_id)
    except Exception:
        log.warning("presence unavailable", exc_info=True)
        return []


def online(auction_id: str) -> list[str]:
    return _members(client().hvals(_key(auction_id)))


def _members(user_ids: list[str]) -> list[str]:
    return sorted(set(user_ids) - {""})
