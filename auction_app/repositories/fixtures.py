"""Imported fixtures and results, kept as "fixture sets".

A fixture set is ONE document holding every fixture of one scope:

* ``sport:<sport_key>`` -- imported by an administrator; serves every league of
  that sport (one import, every league's standings move);
* ``league:<league_id>`` -- imported by a league's commissioner; serves only
  that league (a commissioner can't change another league's results).

A league's fixtures are both sets merged by ``fixture_id``; when both hold the
same fixture, the one imported last wins (``imported_ms``), so a later
correction by either the admin or the commissioner is what counts.

All or nothing, without transactions
------------------------------------
The file is parsed and validated completely first (domain.fixtures raises
before anything is written). The merge of the new rows into the set is then
computed in memory and written with ONE ``replace_one`` of the whole set
document, filtered on the ``version`` that was read. A single-document write is
atomic on every MongoDB (and on the local emulator, which has no isolated
multi-document transactions), so readers see either the set before the import
or the set after it, never a mix; a crash before the write leaves the old set,
after it the new one. Two imports racing on the same set can't lose each
other's rows: the loser's filter no longer matches, so it re-reads the winner's
set, merges again and retries. Re-importing the same fixture replaces it
(same ``fixture_id``), so imports are idempotent.

The fixture date is a calendar date and is stored as "YYYY-MM-DD" text; the
only datetimes (created_at, updated_at) are written by insert/replace, so they
stay typed on the emulator too.

Size: a 380-match season is ~80 KB as BSON, so a set stays far below MongoDB's
16 MB document limit; MAX_FIXTURES_PER_SET keeps a runaway series of imports
from ever reaching it.
"""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from auction_app.repositories._dates import normalize

MAX_FIXTURES_PER_SET = 20_000
MAX_ATTEMPTS = 10  # each failed attempt means another import succeeded meanwhile
_DATES = ("created_at", "updated_at")
# What makes two versions of a fixture "the same result" (imported_ms is not part of it).
RESULT_FIELDS = ("date", "home", "away", "home_score", "away_score", "result", "competition", "round")


class SetConflict(RuntimeError):
    """Other imports kept changing the set; the caller should ask to retry."""


class SetTooLarge(ValueError):
    def __init__(self, total: int):
        super().__init__(total)
        self.total = total


def sport_set_id(sport_key: str) -> str:
    return f"sport:{sport_key}"


def league_set_id(league_id: str) -> str:
    return f"league:{league_id}"


def get_set(db: Database, set_id: str) -> dict | None:
    return normalize(db.fixture_sets.find_one({"_id": set_id}), _DATES)


def sets(db: Database, set_ids: list[str]) -> list[dict]:
    return [normalize(d, _DATES) for d in db.fixture_sets.find({"_id": {"$in": list(set_ids)}})]


def merge(db: Database, set_id: str, scope: dict, incoming: list[dict], now: datetime) -> dict:
    """Merge `incoming` fixture dicts (each with a `fixture_id`) into the set in one write.

    `scope` holds the descriptive fields of a new set (sport_key, league_id).
    Returns {"created", "updated", "unchanged", "total", "version"}.
    Raises SetTooLarge (nothing written) or SetConflict.
    """
    for _attempt in range(MAX_ATTEMPTS):
        current = db.fixture_sets.find_one({"_id": set_id})
        existing = {f["fixture_id"]: f for f in (current or {}).get("fixtures", [])}
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        merged = dict(existing)
        for fixture in incoming:
            before = existing.get(fixture["fixture_id"])
            if before is None:
                counts["created"] += 1
            elif any(before.get(k) != fixture.get(k) for k in RESULT_FIELDS):
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            merged[fixture["fixture_id"]] = fixture
        if len(merged) > MAX_FIXTURES_PER_SET:
            raise SetTooLarge(len(merged))
        fixtures = [merged[k] for k in sorted(merged)]
        if current is None:
            doc = {"_id": set_id, **scope, "version": 1, "fixtures": fixtures, "import_count": 1,
                   "created_at": now, "updated_at": now}
            try:
                db.fixture_sets.insert_one(doc)
            except DuplicateKeyError:
                continue  # someone created it first: merge into theirs
            return dict(counts, total=len(fixtures), version=1)
        version = current["version"]
        doc = dict(current, fixtures=fixtures, version=version + 1,
                   import_count=current.get("import_count", 0) + 1, updated_at=now)
        if db.fixture_sets.replace_one({"_id": set_id, "version": version}, doc).matched_count == 1:
            return dict(counts, total=len(fixtures), version=version + 1)
    raise SetConflict(set_id)
