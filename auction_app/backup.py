"""Logical backups of every collection, and restore.

Backups are gzip'd Extended JSON (canonical mode, so dates, ints and binary keep
their types), one file per run. No MongoDB tools are needed, so the same code
works against nx-27017 locally and a real replica set in production. For large
production datasets, prefer `mongodump`/snapshots as docs/runbook.md explains.
"""
from __future__ import annotations

import gzip
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from bson import json_util
from pymongo.database import Database

from auction_app.db import create_indexes
from auction_app.repositories import auctions

FORMAT_VERSION = 1
_JSON_OPTIONS = json_util.CANONICAL_JSON_OPTIONS.with_options(tz_aware=True)


def backup(db: Database, directory: str | os.PathLike, now: datetime | None = None) -> Path:
    now = now or datetime.now(timezone.utc)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"backup-{now:%Y%m%dT%H%M%SZ}.jsonl.gz"
    partial = final.with_suffix(".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"format": FORMAT_VERSION, "created_at": now.isoformat(), "database": db.name}) + "\n")
        # Auctions first: a log record written meanwhile is then newer than its auction,
        # and restore drops it; a record the auction has but the log lacks is in its outbox.
        for name in sorted(db.list_collection_names(), key=lambda n: (n != "auctions", n)):
            for doc in db[name].find():
                out.write(json.dumps({"c": name, "d": json.loads(json_util.dumps(doc, json_options=_JSON_OPTIONS))}) + "\n")
    partial.rename(final)  # a crash mid-backup never leaves a file that looks complete
    return final


def prune(directory: str | os.PathLike, keep: int) -> list[Path]:
    files = sorted(Path(directory).glob("backup-*.jsonl.gz"))
    doomed = files[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


def restore(db: Database, path: str | os.PathLike) -> dict[str, int]:
    """Replace the database's contents with the backup's. Returns documents per collection."""
    counts: dict[str, int] = {}
    # A document changed while the backup read its collection can be listed twice (a cursor
    # is no snapshot): the later copy is the newer one.
    batches: dict[str, dict] = {}
    with gzip.open(path, "rt", encoding="utf-8") as src:
        header = json.loads(src.readline())
        if header.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path} is not a backup this version can restore")
        for line in src:
            row = json.loads(line)
            doc = json_util.loads(json.dumps(row["d"]), json_options=_JSON_OPTIONS)
            batches.setdefault(row["c"], {})[doc.get("_id")] = doc
    for name in db.list_collection_names():
        db[name].drop()
    for name, by_id in batches.items():
        docs = list(by_id.values())
        for start in range(0, len(docs), 500):
            db[name].insert_many(docs[start:start + 500])
        counts[name] = len(docs)
    create_indexes(db)
    reconcile_auction_logs(db)
    return counts


def reconcile_auction_logs(db: Database) -> int:
    """Make every auction's log agree with the auction: drop records newer than the
    auction (written while the backup ran), store the ones its outbox still holds."""
    from auction_app.services import auction_store

    dropped = 0
    for auction_id in auctions.all_ids(db):
        state = auctions.get(db, auction_id)
        dropped += auctions.delete_log_after(db, auction_id, state["seq"])
        auction_store.complete_outbox(db, state)
    return dropped
