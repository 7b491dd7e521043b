"""Read-side date normalisation shared by the repositories.

nx-27017 (the local MongoDB emulator) returns datetimes written by `$set` in an
update as strings ("2026-01-01 12:00:00.123000", UTC). Real MongoDB returns
datetimes. Repositories pass every date they read through `as_utc` so callers
always get timezone-aware UTC datetimes either way.
"""
from __future__ import annotations

from datetime import datetime, timezone


def as_utc(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return value


def normalize(doc: dict | None, fields: tuple[str, ...]) -> dict | None:
    if doc is None:
        return None
    for name in fields:
        if name in doc:
            doc[name] = as_utc(doc[name])
    return doc
