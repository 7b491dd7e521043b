"""Lifecycle rules (no Flask): archive finished leagues, delete a member's account,
apply retention, and the weekly funnel for the admin page."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from auction_app.repositories import announcements, audit, lifecycle

log = logging.getLogger(__name__)


class AccountDeletionRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def archive_finished_leagues(db, now: datetime, days: int) -> list[str]:
    """Leagues completed more than `days` ago are archived (kept, marked, out of active lists)."""
    cutoff = now - timedelta(days=days)
    archived = [league["_id"] for league in lifecycle.completed_unarchived(db)
                if league.get("completed_at") and league["completed_at"] <= cutoff
                and lifecycle.archive_league(db, league["_id"], now)]
    for league_id in archived:
        audit.record(db, league_id, "system", "league_archived", now)
    return archived


def delete_account(db, user: dict, now: datetime) -> dict[str, int]:
    """The member's own deletion: personal data removed, what others see anonymised."""
    running = lifecycle.running_auction_for(db, user["_id"])
    if running:
        raise AccountDeletionRefused("auction_in_progress", "You're in an auction that hasn't finished yet. "
                                     "You can delete your account once it has ended.")
    counts = lifecycle.anonymise_member(db, user["_id"], now)
    audit.record(db, None, user["_id"], "account_deleted", now)
    log.info("account deleted and anonymised", extra={"user_id": user["_id"]})
    return counts


def apply_retention(db, now: datetime, config) -> dict[str, int]:
    return {
        "audit": lifecycle.delete_audit_before(db, now - timedelta(days=config["AUDIT_RETENTION_DAYS"])),
        "screenshots": lifecycle.drop_screenshots_before(db, now - timedelta(days=config["FEEDBACK_RETENTION_DAYS"])),
        "announcements": announcements.delete_before(db, now - timedelta(days=config["ANNOUNCEMENT_RETENTION_DAYS"])),
    }


def run_daily(db, now: datetime, config) -> dict:
    archived = archive_finished_leagues(db, now, config["LEAGUE_ARCHIVE_DAYS"])
    removed = apply_retention(db, now, config)
    log.info("lifecycle: %d leagues archived; removed %d audit records, %d screenshots, %d announcements",
             len(archived), removed["audit"], removed["screenshots"], removed["announcements"])
    return {"archived": archived, **removed}


def week_of(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_funnel(db, now: datetime, weeks: int = 8) -> list[dict]:
    """Per sign-up week: signed up → joined (or created) a league → first bid → finished an auction."""
    since = now - timedelta(weeks=weeks)
    cohorts: dict[str, list[str]] = {}
    for user_id, at in lifecycle.signups_since(db, since):
        cohorts.setdefault(week_of(at), []).append(user_id)
    everyone = [uid for ids in cohorts.values() for uid in ids]
    joined = lifecycle.users_who_joined(db, everyone)
    bid = lifecycle.users_who_bid(db, everyone)
    finished = lifecycle.users_who_finished(db, everyone)
    rows = []
    for week in sorted(cohorts, reverse=True):
        ids = set(cohorts[week])
        rows.append({"week": week, "signed_up": len(ids), "joined_league": len(ids & joined),
                     "first_bid": len(ids & bid), "finished_auction": len(ids & finished)})
    return rows
