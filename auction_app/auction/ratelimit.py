"""The bid rate limit (120 per minute per member), shared by REST and Socket.IO."""
from __future__ import annotations

import logging
import math
import time

from flask import current_app
from limits import parse

from auction_app.domain.auction_rules import Rejection, rate_limited
from auction_app.extensions import limiter

log = logging.getLogger(__name__)
BID_LIMIT = parse("120/minute")


def check_bid_rate(user_id: str) -> Rejection | None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy = limiter.limiter
    try:
        if strategy.hit(BID_LIMIT, "bids", user_id):
            return None
        reset_at, _remaining = strategy.get_window_stats(BID_LIMIT, "bids", user_id)
    except Exception:  # Redis down: don't refuse bids because of the limiter itself
        log.warning("bid rate limit unavailable; allowing bid", exc_info=True)
        return None
    return rate_limited(max(1, math.ceil(reset_at - time.time())))
