"""'Report a problem': check a member's report, store it, tell the administrators.

No Flask here: the route passes plain values (texts, the uploaded bytes).
Screenshots are PNG or JPEG only, recognised by their first bytes (never by
the file name or the browser's claimed type), and at most 2 MB.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo.database import Database

from auction_app.repositories import feedback as feedback_repo
from auction_app.repositories import users as users_repo

MAX_SCREENSHOT_BYTES = 2 * 1024 * 1024
MAX_TEXT = 4000
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


class FeedbackError(Exception):
    """Problems with a report, as sentences to show next to the form."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def image_type(data: bytes) -> str | None:
    """'image/png' or 'image/jpeg' from the file's first bytes, else None."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def _text_problems(happened: str, expected: str) -> list[str]:
    problems = []
    if not happened.strip():
        problems.append("Please tell us what happened.")
    if not expected.strip():
        problems.append("Please tell us what you expected to happen.")
    if len(happened) > MAX_TEXT or len(expected) > MAX_TEXT:
        problems.append(f"Please keep each answer under {MAX_TEXT} characters.")
    return problems


def _screenshot(data: bytes | None) -> tuple[dict | None, list[str]]:
    if not data:
        return None, []
    if len(data) > MAX_SCREENSHOT_BYTES:
        return None, ["The screenshot is larger than 2 MB. Please send a smaller one."]
    content_type = image_type(data)
    if content_type is None:
        return None, ["The screenshot must be a PNG or JPEG image."]
    return {"content_type": content_type, "size": len(data), "data": data}, []


def submit(db: Database, *, user: dict | None, happened: str, expected: str, page: str, user_agent: str,
           screenshot: bytes | None, now: datetime) -> dict:
    """Store a report; returns it (without the image bytes). Raises FeedbackError."""
    image, image_problems = _screenshot(screenshot)
    problems = _text_problems(happened, expected) + image_problems
    if problems:
        raise FeedbackError(problems)
    doc = {
        "_id": secrets.token_urlsafe(9),
        "user_id": user["_id"] if user else None,
        "email": user.get("email") if user else None,
        "happened": happened.strip(), "expected": expected.strip(),
        "page": page[:300], "user_agent": user_agent[:300],
        "screenshot": image, "created_at": now,
    }
    feedback_repo.insert(db, doc)
    return {k: v for k, v in doc.items() if k != "screenshot"} | {
        "screenshot": {k: v for k, v in image.items() if k != "data"} if image else None}


def admin_email(report: dict) -> tuple[str, str]:
    """Subject and plain-text body of the mail to administrators."""
    who = report["email"] or "someone who wasn't signed in"
    shot = report["screenshot"]
    lines = [
        f"A problem report from {who}.",
        "",
        "What happened:", report["happened"], "",
        "What they expected:", report["expected"], "",
        f"Page: {report['page'] or '(not given)'}",
        f"Browser: {report['user_agent'] or '(unknown)'}",
        f"Screenshot: {shot['content_type'] + ', ' + str(shot['size']) + ' bytes' if shot else 'none'}",
        f"Report id: {report['_id']}",
    ]
    return f"Problem report: {report['happened'][:60]}", "\n".join(lines)


def recipients(db: Database) -> list[str]:
    return users_repo.admin_emails(db)
