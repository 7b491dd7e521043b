"""The sign-in email. Rendered here, sent only by the Celery task workers.email.send_email."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, render_template

SUBJECT = "Your Club Auction sign-in link"


def sign_in_link(token: str, next_path: str | None = None) -> str:
    """Built from PUBLIC_BASE_URL, never from the request's Host header."""
    query = {"token": token}
    if next_path:
        query["next"] = next_path
    return f"{current_app.config['PUBLIC_BASE_URL']}/auth/verify?{urlencode(query)}"


def send_sign_in_email(email: str, token: str, code: str, next_path: str | None = None) -> None:
    from workers.email import queue_email

    context = {
        "email": email,
        "link": sign_in_link(token, next_path),
        "code": code,
        "code_display": f"{code[:3]} {code[3:]}",
        "minutes": current_app.config["MAGIC_LINK_MINUTES"],
        "support_email": current_app.config["SUPPORT_EMAIL"],
        "base_url": current_app.config["PUBLIC_BASE_URL"],
    }
    text = render_template("email/sign_in.txt", **context)
    html = render_template("email/sign_in.html", **context)
    queue_email(email, SUBJECT, text, html)
