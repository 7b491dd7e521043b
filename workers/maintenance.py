"""Housekeeping run by beat: expired tokens and sessions, old practice rounds, nightly backups."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from celery import shared_task
from flask import current_app

from auction_app import backup_storage
from auction_app.repositories import database, leagues, login_tokens, ops_state, sessions, users

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


@shared_task(name="workers.maintenance.run_lifecycle")
def run_lifecycle() -> dict:
    """Archive leagues finished LEAGUE_ARCHIVE_DAYS ago; retention for audit, screenshots, announcements."""
    from auction_app.ops.lifecycle import run_daily

    done = run_daily(database(), datetime.now(timezone.utc), current_app.config)
    return {"archived": len(done["archived"]), **{k: v for k, v in done.items() if k != "archived"}}


@shared_task(name="workers.maintenance.nightly_backup", time_limit=3600, soft_time_limit=3500)
def nightly_backup() -> str:
    """Private (0600) backup, encrypted and copied off-site when configured, 7 daily + 4 weekly kept;
    then the restore drill checks it (docs/runbook.md)."""
    outcome = backup_storage.run_backup(database(), current_app.config)
    ops_state.record_success(database(), ops_state.BACKUP, datetime.now(timezone.utc), file=outcome.path.name,
                             encrypted=outcome.encrypted, offsite=outcome.offsite)
    log.info("backup written to %s (off-site: %s); %d local and %d off-site old backups pruned",
             outcome.path.name, outcome.offsite or "not configured", len(outcome.pruned), len(outcome.pruned_offsite))
    restore_drill.delay()
    return str(outcome.path)


@shared_task(name="workers.maintenance.restore_drill", time_limit=3600, soft_time_limit=3500)
def restore_drill() -> bool:
    """Restore the newest backup into a scratch database and check it (sets the drill metric)."""
    from auction_app.ops.drill import run_drill

    return run_drill(current_app.config, database())["ok"]
