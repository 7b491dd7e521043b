"""Rate limits of the sign-in area (Flask-Limiter and the `limits` library, Redis storage).

Shared between the HTML form and the JSON API, so a member cannot get around
a limit by switching between them. Sizes and why: docs/security.md.

- Per email (3 links an hour): the abuse protection. It is checked AFTER the
  body is validated, on exactly the normalised address the request will send
  mail to (trimmed, lower-cased), so padding or re-casing an address never
  gets a fresh quota, and no parsing error can skip it.
- Per client address (SIGN_IN_LINKS_PER_IP_PER_HOUR, SIGN_IN_CODES_PER_IP):
  only a backstop against one machine mailing many addresses. Sized for a
  clubhouse where every member shares one public address. The address is the
  member's own (TRUSTED_PROXIES hops of X-Forwarded-For are honoured), never
  the ingress.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse

from auction_app.errors import ApiError, humanize_wait
from auction_app.extensions import limiter

log = logging.getLogger(__name__)

LINKS_PER_EMAIL = parse("3/hour")
LINKS_PER_EMAIL_MESSAGE = "You've asked for 3 sign-in links in the last hour."


def email_key(email: str) -> str:
    # Hashed so that Redis never holds addresses.
    return hashlib.sha256(email.encode()).hexdigest()[:40]


def link_per_email_refusal(email: str) -> ApiError | None:
    """Count one sign-in link for this (already normalised) address; a 429 ApiError once over the limit."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy = limiter.limiter
    key = email_key(email)
    try:
        if strategy.hit(LINKS_PER_EMAIL, "sign-in-link-email", key):
            return None
        reset_at, _remaining = strategy.get_window_stats(LINKS_PER_EMAIL, "sign-in-link-email", key)
    except Exception:  # Redis down: the same fail-open rule as every other limit (RATELIMIT_SWALLOW_ERRORS)
        log.warning("sign-in link limit unavailable; allowing the request", exc_info=True)
        return None
    wait = max(1, math.ceil(reset_at - time.time()))
    return ApiError("rate_limited", f"{LINKS_PER_EMAIL_MESSAGE} Try again in {humanize_wait(wait)}.", 429,
                    headers={"Retry-After": str(wait)})


def check_link_per_email(email: str) -> None:
    refusal = link_per_email_refusal(email)
    if refusal is not None:
        raise refusal


def _links_per_ip() -> str:
    return f"{current_app.config['SIGN_IN_LINKS_PER_IP_PER_HOUR']} per hour"


def _codes_per_ip() -> str:
    return f"{current_app.config['SIGN_IN_CODES_PER_IP_PER_10_MINUTES']} per 10 minutes"


link_per_ip = limiter.shared_limit(
    _links_per_ip, scope="sign-in-link-ip", key_func=get_remote_address,
    error_message="We've had a lot of sign-in requests from your network in the last hour.",
)
# Each code also dies after SIGN_IN_CODE_ATTEMPTS wrong tries; this caps guessing across addresses.
code_per_ip = limiter.shared_limit(
    _codes_per_ip, scope="sign-in-code-ip", key_func=get_remote_address,
    error_message="That's a lot of sign-in codes from your network.",
)
