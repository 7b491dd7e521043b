"""The one date codec at the repository boundary.

Every date the product stores is named `at` or `*_at`. Real MongoDB returns them
as datetimes; nx-27017 (the local emulator) returns a datetime written by `$set`
in an update as a string ("2026-01-01 12:00:00.123000", UTC). `DatedDocument` is
the client's document class (auction_app.db.connect), so every document read,
at any depth and through any query, gets aware UTC datetimes either way.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

_DATETIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]00:?00)?$")


def is_date_field(name) -> bool:
    return isinstance(name, str) and (name == "at" or name.endswith("_at"))


def as_utc(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return value


class DatedDocument(dict):
    """A BSON document whose date fields always read back as aware UTC datetimes."""

    def __setitem__(self, key, value):
        if isinstance(value, str) and is_date_field(key) and _DATETIME_TEXT.match(value):
            value = as_utc(value)
        super().__setitem__(key, value)


def normalize(doc: dict | None, fields: tuple[str, ...]) -> dict | None:
    """Kept for callers that predate DatedDocument; a no-op on documents it decoded."""
    if doc is None:
        return None
    for name in fields:
        if name in doc:
            doc[name] = as_utc(doc[name])
    return doc
