"""Backups restore to exactly what was there, with types intact."""
from datetime import datetime, timedelta, timezone

from auction_app import backup


def test_backup_then_restore_brings_back_every_document(scratch_db, tmp_path):
    db = scratch_db
    when = datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)
    db.backup_probe.insert_many([{"_id": "a", "budget": 500, "at": when}, {"_id": "b", "roster": [{"team": "arsenal", "price": 40}]}])
    path = backup.backup(db, tmp_path, now=when)
    db.backup_probe.delete_many({})
    db.backup_probe.insert_one({"_id": "c", "stray": True})

    counts = backup.restore(db, path)

    assert counts["backup_probe"] == 2
    docs = {d["_id"]: d for d in db.backup_probe.find()}
    assert set(docs) == {"a", "b"}
    assert docs["a"]["budget"] == 500 and docs["a"]["at"] == when
    assert docs["b"]["roster"] == [{"team": "arsenal", "price": 40}]


def test_prune_keeps_the_newest_backups(scratch_db, tmp_path):
    db = scratch_db
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    paths = [backup.backup(db, tmp_path, now=start + timedelta(days=i)) for i in range(9)]
    removed = backup.prune(tmp_path, keep=7)
    assert sorted(removed) == paths[:2]
    assert sorted(tmp_path.glob("backup-*.jsonl.gz")) == paths[2:]


def test_nightly_backup_task_runs_on_a_worker(app, worker, settings):
    from pathlib import Path

    from workers.maintenance import nightly_backup

    before = set(Path(settings.BACKUP_DIR).glob("*.gz")) if Path(settings.BACKUP_DIR).exists() else set()
    with app.app_context():
        nightly_backup.delay()
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        after = set(Path(settings.BACKUP_DIR).glob("*.gz")) if Path(settings.BACKUP_DIR).exists() else set()
        if after - before:
            break
        time.sleep(0.2)
    assert after - before, "the worker wrote no backup file"
