"""The bid rate limit (BID_RATE_LIMIT, 120 per minute per member), shared by REST and Socket.IO.

A bid waits on no round trip for it (issue 11: waiting on the shared limiter in
Redis was about a fifth of a bid's p95 to every client at 30 auctions x 30 members):

* each web process counts a member's bids in its own memory and refuses the
  one over the limit at once;
* every bid is also counted in Redis, after it has been answered, so bids spread
  over several web processes add up: once the shared count is over the limit,
  the process that counted it refuses that member until the window resets. At
  most one bid more per process gets through.

Redis down: the shared count is skipped (logged); the per-process limit still holds.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from functools import lru_cache

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from auction_app.domain.auction_rules import Rejection, rate_limited
from auction_app.extensions import limiter, socketio

log = logging.getLogger(__name__)
NAMESPACE = "bids"

_this_process = FixedWindowRateLimiter(MemoryStorage())
_refused_until: dict[str, float] = {}  # user id -> when the shared window resets (epoch seconds)
_guard = threading.Lock()


@lru_cache(maxsize=8)
def bid_limit(spec: str) -> RateLimitItem:
    return parse(spec)


def check_bid_rate(user_id: str) -> Rejection | None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    limit = bid_limit(current_app.config.get("BID_RATE_LIMIT", "120/minute"))
    now = time.time()
    with _guard:
        until = _refused_until.get(user_id, 0.0)
        if until <= now:
            _refused_until.pop(user_id, None)
    if until > now:
        return rate_limited(max(1, math.ceil(until - now)))
    if not _this_process.hit(limit, NAMESPACE, user_id):
        reset_at, _remaining = _this_process.get_window_stats(limit, NAMESPACE, user_id)
        return rate_limited(max(1, math.ceil(reset_at - now)))
    socketio.start_background_task(_count_shared, limiter.limiter, limit, user_id)
    return None


def _count_shared(shared: RateLimiter, limit: RateLimitItem, user_id: str) -> None:
    try:
        if shared.hit(limit, NAMESPACE, user_id):
            return
        reset_at, _remaining = shared.get_window_stats(limit, NAMESPACE, user_id)
    except Exception:  # Redis down: the per-process limit still holds
        log.warning("shared bid rate limit unavailable", exc_info=True)
        return
    with _guard:
        _refused_until[user_id] = reset_at
