"""Housekeeping run by beat: expired tokens and sessions, old practice rounds, nightly backups."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from celery import shared_task
from flask import current_app

from auction_app import backup
from auction_app.repositories import database, leagues, login_tokens, sessions, users

log = logging.getLogger(__name__)


@shared_task(name="workers.maintenance.cleanup_expired_tokens")
def cleanup_expired_tokens() -> int:
    deleted = login_tokens.delete_expired(database(), datetime.now(timezone.utc))
    log.info("deleted %d expired sign-in tokens", deleted)
    return deleted


@shared_task(name="workers.maintenance.cleanup_expired_sessions")
def cleanup_expired_sessions() -> int:
    # A day of slack keeps "your session expired" explainable for a while.
    deleted = sessions.delete_expired(database(), datetime.now(timezone.utc) - timedelta(days=1))
    log.info("deleted %d expired sessions", deleted)
    return deleted


@shared_task(name="workers.maintenance.purge_practice_leagues")
def purge_practice_leagues() -> int:
    """Practice rounds (and their bots) are kept PRACTICE_RETENTION_DAYS, then deleted."""
    db = database()
    cutoff = datetime.now(timezone.utc) - timedelta(days=current_app.config["PRACTICE_RETENTION_DAYS"])
    old = leagues.practice_created_before(db, cutoff)
    for league in old:
        bots = [uid for uid in league["member_ids"] if uid != league["commissioner_id"]]
        leagues.delete_with_auction(db, league)
        users.delete_bots(db, bots)
    log.info("deleted %d old practice leagues", len(old))
    return len(old)


@shared_task(name="workers.maintenance.nightly_backup", time_limit=3600, soft_time_limit=3500)
def nightly_backup() -> str:
    config = current_app.config
    path = backup.backup(database(), config["BACKUP_DIR"])
    removed = backup.prune(config["BACKUP_DIR"], config["BACKUP_KEEP"])
    log.info("backup written to %s; %d old backups pruned", path, len(removed))
    return str(path)
