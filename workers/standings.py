"""Standings work that doesn't belong in a web request.

* `broadcast_leagues`: after an admin's sport-wide import, recompute and push
  the new table to every affected league's room (there may be many leagues).
* `send_weekly_summaries` (beat, weekly): fans out one `send_league_summary`
  per league whose auction is complete.
* `send_league_summary`: one email per opted-in member, through
  workers.email.send_email (the only way mail leaves). A summary_log entry per
  (league, week, member) is claimed before the mail is queued, so a repeated
  beat run or a redelivered task never sends the same week's summary twice.
"""
from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app, render_template

from auction_app import realtime
from auction_app.clock import utcnow
from auction_app.repositories import standings as standings_repo
from auction_app.repositories import database, leagues
from auction_app.services import standings as service
from auction_app.services import weekly_summary
from workers.email import queue_email

log = logging.getLogger(__name__)


@shared_task(name="workers.standings.broadcast_leagues")
def broadcast_leagues(league_ids: list[str], reason: str = "import") -> int:
    db = database()
    sent = 0
    for league_id in league_ids:
        view = service.standings_for_league_id(db, league_id)
        if view is None:
            continue
        realtime.emit("standings_updated", {"league_id": league_id, "reason": reason, "standings": view},
                      room=service.room(league_id))
        sent += 1
    return sent


@shared_task(name="workers.standings.send_weekly_summaries")
def send_weekly_summaries() -> int:
    week = weekly_summary.iso_week(utcnow())
    league_ids = standings_repo.league_ids_with_status(database(), leagues.COMPLETED)
    for league_id in league_ids:
        send_league_summary.delay(league_id, week)
    log.info("weekly summaries queued week=%s leagues=%d", week, len(league_ids))
    return len(league_ids)


@shared_task(name="workers.standings.send_league_summary")
def send_league_summary(league_id: str, week: str | None = None) -> int:
    db = database()
    now = utcnow()
    week = week or weekly_summary.iso_week(now)
    base = current_app.config["PUBLIC_BASE_URL"]
    secret = current_app.config["SECRET_KEY"]
    link = f"{base}/leagues/{league_id}/standings"
    sent = 0
    for summary in weekly_summary.weekly_summaries(db, league_id, now):
        if not standings_repo.claim_summary(db, league_id, week, summary["user_id"], now):
            continue  # already sent this week
        unsubscribe = f"{base}/email/unsubscribe/{weekly_summary.unsubscribe_token(secret, summary['user_id'])}"
        text = weekly_summary.summary_text(summary["context"], link, unsubscribe)
        html = render_template("standings/summary_email.html", c=summary["context"], link=link,
                               unsubscribe_link=unsubscribe)
        queue_email(summary["email"], summary["subject"], text, html)
        sent += 1
    return sent
