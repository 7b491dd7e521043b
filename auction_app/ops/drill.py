"""The nightly restore drill: the newest backup restored into a scratch database,
counts and auction invariants compared, the scratch database dropped.
A pass sets `restore_drill_last_success_timestamp_seconds` (via ops_state)."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone
from pathlib import Path

from auction_app import backup_storage
from auction_app.repositories import ops_state

log = logging.getLogger(__name__)


def run_drill(config, db, path: str | Path | None = None, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    path = Path(path) if path else backup_storage.latest_backup(config["BACKUP_DIR"])
    if path is None:
        result = {"ok": False, "problems": [f"no backup found in {config['BACKUP_DIR']}"], "restored": {}}
    else:
        # A name of its own per run: a drill started by hand while the nightly one runs must not
        # restore into (or drop) the same scratch database.
        scratch_name = f"{db.name}_restore_drill_{uuid.uuid4().hex[:8]}"
        db.client.drop_database(scratch_name)
        try:
            result = backup_storage.restore_drill(db, db.client[scratch_name], path,
                                                  config.get("BACKUP_ENCRYPTION_KEY"))
        except backup_storage.BackupError as exc:
            result = {"ok": False, "problems": [str(exc)], "restored": {}}
        finally:
            db.client.drop_database(scratch_name)
    result["file"] = path.name if path else None
    ops_state.put(db, ops_state.RESTORE_DRILL, {"last_run_at": now, "last_ok": result["ok"],
                                                "last_problems": result["problems"][:20]})
    if result["ok"]:
        ops_state.record_success(db, ops_state.RESTORE_DRILL, now, file=result["file"])
        log.info("restore drill passed for %s", result["file"])
    else:
        log.error("restore drill FAILED for %s: %s", result["file"], "; ".join(result["problems"][:5]))
    return result
