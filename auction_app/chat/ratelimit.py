"""Chat rate limits (Redis-backed, through the app's limiter storage, like the bid limit).

A member may send 5 messages per 10 seconds and 30 per minute; reactions 10 per 10 seconds.
"""
from __future__ import annotations

import logging
import math
import time

from flask import current_app
from limits import parse

from auction_app.extensions import limiter

log = logging.getLogger(__name__)
LIMITS = {
    "chat": [parse("5/10 seconds"), parse("30/minute")],
    "reaction": [parse("10/10 seconds")],
}


def wait_seconds(kind: str, user_id: str) -> int | None:
    """None when allowed (and counted); otherwise the seconds until the member may try again."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy = limiter.limiter
    try:
        for item in LIMITS[kind]:
            if not strategy.hit(item, kind, user_id):
                reset_at, _remaining = strategy.get_window_stats(item, kind, user_id)
                return max(1, math.ceil(reset_at - time.time()))
    except Exception:  # Redis down: chat is not worth refusing over the limiter itself
        log.warning("chat rate limit unavailable; allowing", exc_info=True)
    return None
