"""Outgoing mail. Mail is only ever sent here, never from a web request."""
from __future__ import annotations

import logging
import smtplib
import socket

from celery import shared_task
from flask import current_app
from flask_mail import Message


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
    deliver(message)
    log.info("mail sent subject=%r recipients=%d attempt=%d", subject, len(recipients), self.request.retries + 1)


def deliver(message: Message) -> None:
    """Send through the configured SMTP server with a timeout on this connection only.

    (Flask-Mail's own connection has no timeout; changing the process-wide socket default
    instead would also change it for every other thread of the worker.)"""
    config = current_app.config
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.sendmail(message.sender, list(message.send_to), message.as_bytes())


def queue_email(to: list[str] | str, subject: str, text: str, html: str | None = None) -> None:
    """Queue a message for send_email. Its addresses and body (sign-in links and codes) are
    left out of the task's printed form, which Celery shows in events, logs and error reports."""
    count = 1 if isinstance(to, str) else len(to)
    send_email.apply_async((to, subject, text, html), argsrepr=f"(<{count} recipient(s)>, {subject!r}, <body>)",
                           kwargsrepr="{}")
