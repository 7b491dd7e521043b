"""Rate limits of the sign-in area (Flask-Limiter, Redis storage).

Shared between the HTML form and the JSON API, so a member cannot get around
a limit by switching between them. Each is declared with a friendly
error_message; errors.py adds "Try again in N minutes." and Retry-After.
"""
from __future__ import annotations

import hashlib

from flask import request
from flask_limiter.util import get_remote_address

from auction_app.auth.schemas import normalize_email
from auction_app.extensions import limiter


def submitted_email() -> str | None:
    """The normalised email of this request's body, or None when it is missing or invalid."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(data, "get"):
        return None
    raw = data.get("email")
    if not isinstance(raw, str) or len(raw) > 320:
        return None
    try:
        return normalize_email(raw)
    except ValueError:
        return None


def email_key() -> str:
    # Hashed so that Redis never holds addresses.
    email = submitted_email() or ""
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:40]


# An invalid address is refused with 400 by validation; it must not use up the member's quota.
link_per_email = limiter.shared_limit(
    "3 per hour", scope="sign-in-link-email", key_func=email_key,
    exempt_when=lambda: submitted_email() is None,
    error_message="You've asked for 3 sign-in links in the last hour.",
)
link_per_ip = limiter.shared_limit(
    "20 per hour", scope="sign-in-link-ip", key_func=get_remote_address,
    error_message="We've had a lot of sign-in requests from your network in the last hour.",
)
# Each code also dies after SIGN_IN_CODE_ATTEMPTS wrong tries; this caps guessing across addresses.
code_per_ip = limiter.shared_limit(
    "30 per 10 minutes", scope="sign-in-code-ip", key_func=get_remote_address,
    error_message="That's a lot of sign-in codes from your network.",
)
