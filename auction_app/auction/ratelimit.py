"""The bid rate limit (BID_RATE_LIMIT, 120 per minute per member), shared by REST and Socket.IO.

A bid waits on no round trip for it (issue 11: waiting on the shared limiter in
Redis was about a fifth of a bid's p95 to every client at 30 auctions x 30 members):

* each web process counts a member's bids in its own memory and refuses the
  one over the limit at once;
* the bids each process let through are also added up in Redis, every
  SHARED_COUNT_SECONDS in one round trip for all members, so bids spread over
  several web processes count together: once a member's shared count for the
  window is over the limit, every process that adds to it refuses that member
  until the window ends;
* a member whose shared count has reached NEAR_LIMIT of the limit is counted in
  Redis bid by bid, so the processes together stop them at the limit itself. What
  gets through beyond it is at most what they send to each process within one
  interval while crossing NEAR_LIMIT, and only if that is more than the rest of
  the limit.

Redis down: the shared count is skipped (logged); the per-process limit still holds.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from functools import lru_cache

from flask import current_app
from limits import RateLimitItem, parse

from auction_app.domain.auction_rules import Rejection, rate_limited
from auction_app.extensions import socketio
from auction_app.redis_store import client

log = logging.getLogger(__name__)
SHARED_COUNT_SECONDS = 0.1
NEAR_LIMIT = 0.5  # from this share of the limit on, a member's bids are counted in Redis one by one

_guard = threading.Lock()
# (user id, limit) -> (window end, bids let through here in it). A dict, not limits'
# MemoryStorage: that one runs an expiry timer every 10 ms over every member's key (3 % of
# the web process's busy time at 900 members, growing with them); ended windows are dropped
# here once a minute (forget_ended_windows).
_this_process: dict[tuple[str, str], tuple[float, int]] = {}
_uncounted: Counter = Counter()  # (user id, limit) -> bids let through here, not yet added up in Redis
_refused_until: dict[str, float] = {}  # user id -> when the shared window ends (epoch seconds)
_shared_seen: dict[str, tuple[int, float]] = {}  # user id -> (shared count, its window's end) at the last add
_counter = {"started": False}


@lru_cache(maxsize=8)
def bid_limit(spec: str) -> RateLimitItem:
    return parse(spec)


def check_bid_rate(user_id: str) -> Rejection | None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    spec = current_app.config.get("BID_RATE_LIMIT", "120/minute")
    now = time.time()
    with _guard:
        until = _refused_until.get(user_id, 0.0)
        if until and until <= now:
            del _refused_until[user_id]
    if until > now:
        return rate_limited(max(1, math.ceil(until - now)))
    limit = bid_limit(spec)
    with _guard:
        ends_at, count = _this_process.get((user_id, spec), (0.0, 0))
        if ends_at <= now:  # a new window, from this bid on (as the limits library counts)
            ends_at, count = now + limit.get_expiry(), 0
        if count >= limit.amount:
            return rate_limited(max(1, math.ceil(ends_at - now)))
        _this_process[(user_id, spec)] = (ends_at, count + 1)
        _uncounted[(user_id, spec)] += 1
        start = not _counter["started"]
        _counter["started"] = True
        seen, window_ends = _shared_seen.get(user_id, (0, 0.0))
        near = window_ends > now and seen >= limit.amount * NEAR_LIMIT
        pending = _uncounted.pop((user_id, spec)) if near else 0
    if start:
        socketio.start_background_task(_count_shared_forever, current_app._get_current_object())
    if near:  # count it now: the other processes' bids may already have used up the rest
        add_to_shared_count({(user_id, spec): pending}, now)
        until = _refused_until.get(user_id, 0.0)
        if until > now:
            return rate_limited(max(1, math.ceil(until - now)))
    return None


def _count_shared_forever(app) -> None:
    """This process's part of the shared count, added every SHARED_COUNT_SECONDS (one round trip)."""
    forget_at = 0.0
    while True:
        socketio.sleep(SHARED_COUNT_SECONDS)
        with _guard:
            batch = dict(_uncounted)
            _uncounted.clear()
        if batch:
            with app.app_context():
                add_to_shared_count(batch, time.time())
        if time.time() >= forget_at:
            forget_at = time.time() + 60
            forget_ended_windows(time.time())


def forget_ended_windows(now: float) -> None:
    """Drop what this process knows of members' windows that have ended: only the current
    window decides, and without this the tables keep one entry per member who ever bid."""
    with _guard:
        for key in [k for k, (ends_at, _count) in _this_process.items() if ends_at <= now]:
            del _this_process[key]
        for user_id in [u for u, (_count, ends_at) in _shared_seen.items() if ends_at <= now]:
            del _shared_seen[user_id]
        for user_id in [u for u, ends_at in _refused_until.items() if ends_at <= now]:
            del _refused_until[user_id]


def add_to_shared_count(batch: dict[tuple[str, str], int], now: float) -> None:
    """Add bids to the members' fixed-window counts in Redis; refuse the members now over the limit."""
    entries = []
    pipe = client().pipeline(transaction=False)
    for (user_id, spec), bids in batch.items():
        limit = bid_limit(spec)
        window = limit.get_expiry()
        ends_at = (math.floor(now / window) + 1) * window
        key = f"bidrate:{user_id}:{spec}:{int(ends_at)}"
        pipe.incrby(key, bids)
        pipe.expire(key, int(window) + 5)
        entries.append((user_id, limit.amount, ends_at))
    try:
        replies = pipe.execute()
    except Exception:  # Redis down: the per-process limit still holds
        log.warning("shared bid rate count unavailable", exc_info=True)
        return
    with _guard:
        for (user_id, allowed, ends_at), count in zip(entries, replies[::2]):
            _shared_seen[user_id] = (count, ends_at)
            if count > allowed:
                _refused_until[user_id] = ends_at
