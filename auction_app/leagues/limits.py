"""How many invitation emails a member may have us send: INVITATIONS_PER_DAY addresses a day,
INVITATIONS_PER_DAY_NEW_ACCOUNT for an account younger than NEW_ACCOUNT_DAYS (a fresh
account is the cheap way to spam). Counted per address, not per request, so 50 addresses
in one request count 50. Stored in Redis like every other limit (docs/security.md)."""
from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

from flask import current_app
from limits import parse

from auction_app.clock import utcnow
from auction_app.errors import ApiError, humanize_wait
from auction_app.extensions import limiter
from auction_app.repositories._dates import as_utc

log = logging.getLogger(__name__)
NEW_ACCOUNT_DAYS = 7


def daily_allowance(user: dict) -> int:
    created = user.get("created_at")
    config = current_app.config
    if created is None or utcnow() - as_utc(created) < timedelta(days=NEW_ACCOUNT_DAYS):
        return config["INVITATIONS_PER_DAY_NEW_ACCOUNT"]
    return config["INVITATIONS_PER_DAY"]


def take_invitations(user: dict, count: int) -> None:
    """Use `count` of today's invitations, or raise 429 (and use none) if that would go over."""
    if count <= 0 or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    allowance = daily_allowance(user)
    item = parse(f"{allowance}/day")
    strategy = limiter.limiter
    try:
        # test first: a refused request must not use up the rest of the day's allowance
        if strategy.test(item, "invitations-per-user", user["_id"], cost=count) and \
                strategy.hit(item, "invitations-per-user", user["_id"], cost=count):
            return
        reset_at, remaining = strategy.get_window_stats(item, "invitations-per-user", user["_id"])
    except Exception:  # Redis down: same fail-open rule as every limit (RATELIMIT_SWALLOW_ERRORS)
        log.warning("invitation limit unavailable; allowing", exc_info=True)
        return
    wait = max(1, math.ceil(reset_at - time.time()))
    left = f"You can send {remaining} more today." if remaining else "Try again in " + humanize_wait(wait) + "."
    raise ApiError("rate_limited", f"You can send up to {allowance} invitation emails a day, so we didn't send "
                                   f"these. {left} You can also share the invite link.", 429,
                   headers={"Retry-After": str(wait)})
