"""Outgoing mail. Mail is only ever sent here, never from a web request."""
from __future__ import annotations

import logging
import smtplib
import socket

from celery import shared_task
from flask import current_app
from flask_mail import Message

from auction_app.extensions import mail

log = logging.getLogger(__name__)

RETRYABLE = (smtplib.SMTPException, socket.error, TimeoutError)


@shared_task(
    name="workers.email.send_email",
    bind=True,
    autoretry_for=RETRYABLE,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=30,
    time_limit=45,
)
def send_email(self, to: list[str] | str, subject: str, text: str, html: str | None = None) -> None:
    recipients = [to] if isinstance(to, str) else list(to)
    message = Message(subject=subject, recipients=recipients, body=text, html=html)
    # Flask-Mail has no timeout of its own; the socket default bounds a stuck server.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(current_app.config["MAIL_TIMEOUT_SECONDS"])
    try:
        mail.send(message)
    finally:
        socket.setdefaulttimeout(previous)
    log.info("mail sent subject=%r recipients=%d attempt=%d", subject, len(recipients), self.request.retries + 1)
