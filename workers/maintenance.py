"""Housekeeping run by beat: token cleanup and nightly backups."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from celery import shared_task
from flask import current_app

from auction_app import backup
from auction_app.repositories import database, login_tokens

log = logging.getLogger(__name__)


@shared_task(name="workers.maintenance.cleanup_expired_tokens")
def cleanup_expired_tokens() -> int:
    deleted = login_tokens.delete_expired(database(), datetime.now(timezone.utc))
    log.info("deleted %d expired sign-in tokens", deleted)
    return deleted


@shared_task(name="workers.maintenance.nightly_backup", time_limit=3600, soft_time_limit=3500)
def nightly_backup() -> str:
    config = current_app.config
    path = backup.backup(database(), config["BACKUP_DIR"])
    removed = backup.prune(config["BACKUP_DIR"], config["BACKUP_KEEP"])
    log.info("backup written to %s; %d old backups pruned", path, len(removed))
    return str(path)
