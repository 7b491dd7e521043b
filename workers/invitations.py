"""League invitation emails: one task per address, sent through workers.email.send_email.

The link is built when the email is sent, from PUBLIC_BASE_URL and the league's
current invite token, so an invitation queued just before the commissioner
rotated the link still carries a link that works.
"""
from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app, render_template

from auction_app.repositories import database
from auction_app.services.membership import invitation_context
from workers.email import queue_email

log = logging.getLogger(__name__)
SUBJECT = "You're invited to a league on Club Auction"


@shared_task(name="workers.invitations.send_invitation", soft_time_limit=30, time_limit=45)
def send_invitation(league_id: str, email: str, inviter_id: str) -> bool:
    context = invitation_context(database(), league_id, inviter_id, current_app.config["PUBLIC_BASE_URL"])
    if context is None:
        log.info("invitation not sent: league %s is gone or has started", league_id)
        return False
    # Fixed text: names members typed go in the body (escaped), never in the subject line,
    # which is what a spammer would want to control.
    subject = SUBJECT
    text = render_template("email/invitation.txt", **context)
    html = render_template("email/invitation.html", **context)
    queue_email(email, subject, text, html)
    return True


@shared_task(name="workers.invitations.send_schedule_notice", soft_time_limit=30, time_limit=45)
def send_schedule_notice(league_id: str, starts_at_ms: int) -> int:
    """Tell every member when the auction starts (once per member and start time)."""
    from auction_app.clock import utcnow
    from auction_app.repositories import mail_claims, users
    from auction_app.services.schedule import schedule_notice_context

    db = database()
    context = schedule_notice_context(db, league_id, current_app.config["PUBLIC_BASE_URL"])
    if context is None:
        return 0
    text = render_template("email/auction_scheduled.txt", **context)
    html = render_template("email/auction_scheduled.html", **context)
    sent = 0
    for user_id, address in users.emails_by_id(db, context["member_ids"]).items():
        if mail_claims.claim(db, f"schedule:{league_id}:{starts_at_ms}:{user_id}", utcnow()):
            queue_email(address, "Your league's auction has a start time", text, html)
            sent += 1
    return sent
