"""Boundary schemas for the sign-in and account area.

Every JSON body, form and Socket.IO auth payload goes through one of these
before any code looks at it. They inherit StrictModel: strict types, unknown
fields refused, so `{"email": {"$ne": null}}` is a 400 and never a query.
"""
from __future__ import annotations

import re
from typing import Annotated, Optional
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field

from auction_app.validation import StrictModel, VisibleName

EMAIL_MAX = 254
INVALID_EMAIL = "Please enter a valid email address, like name@example.com."
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def normalize_email(value: str) -> str:
    """Trim, validate (syntax only: no DNS lookup) and lower-case an address.

    Raises ValueError with a sentence a member understands.
    """
    value = value.strip()
    if not value or len(value) > EMAIL_MAX:
        raise ValueError(INVALID_EMAIL)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(INVALID_EMAIL) from None
    normalized = checked.normalized.lower()
    if len(normalized) > EMAIL_MAX:
        raise ValueError(INVALID_EMAIL)
    return normalized


def _check_token(value: str) -> str:
    if not TOKEN_RE.fullmatch(value):
        raise ValueError("This sign-in link is not complete. Please open the link from the email again.")
    return value


def _strip_code(value):
    # People type "123 456" or "123-456"; only strings are touched, other types fail strictly.
    if isinstance(value, str):
        return value.replace(" ", "").replace("-", "")
    return value


def _check_code(value: str) -> str:
    if not re.fullmatch(r"^[0-9]{6}$", value):
        raise ValueError("The code is the 6 digits from the sign-in email.")
    return value


def safe_next(value: str | None) -> str | None:
    """A local path to go to after signing in, or None. Never another site."""
    if not value:
        return None
    if len(value) > 512 or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return None
    return value


def _check_next(value: str | None) -> str | None:
    return safe_next(value)


Email = Annotated[str, Field(max_length=EMAIL_MAX), AfterValidator(normalize_email)]
LinkToken = Annotated[str, Field(max_length=128), AfterValidator(_check_token)]
Code = Annotated[str, BeforeValidator(_strip_code), Field(max_length=6), AfterValidator(_check_code)]
Next = Annotated[Optional[str], Field(default=None, max_length=512), AfterValidator(_check_next)]


class RequestLink(StrictModel):
    email: Email


class RequestLinkForm(StrictModel):
    email: Email
    next: Next = None


class VerifyLink(StrictModel):
    token: LinkToken


class VerifyLinkForm(StrictModel):
    token: LinkToken
    next: Next = None


class CodeSignIn(StrictModel):
    email: Email
    code: Code


class CodeSignInForm(StrictModel):
    email: Email
    code: Code
    next: Next = None


def _no_angle_brackets(value: str) -> str:
    if "<" in value or ">" in value:
        raise ValueError("A display name can't contain < or >.")
    return value


DisplayName = Annotated[str, Field(min_length=1, max_length=40), VisibleName, AfterValidator(_no_angle_brackets)]


class DisplayNameIn(StrictModel):
    display_name: DisplayName


class SocketAuth(StrictModel):
    """The `auth` object of a Socket.IO connection."""

    token: Optional[str] = Field(default=None, max_length=4096)
    # A read-only club screen: the league's spectator link (auction_app/sockets.py, spectator_league).
    spectator_token: Optional[str] = Field(default=None, max_length=512)


class AdminUserLookup(StrictModel):
    email: Email


def check_id(value: str) -> str | None:
    """An opaque id from a URL, or None if it cannot be one of ours."""
    return value if isinstance(value, str) and ID_RE.fullmatch(value) else None
