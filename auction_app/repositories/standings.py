"""Per-league scoring rules, the weekly-summary send log, and the league look-ups
the standings feature needs.

Standings themselves are not stored: they are computed from the auction's
rosters, the fixture sets and the rules in a few milliseconds (see
docs/standings.md and benchmarks/standings_db_bench.py), so they can never be
stale or half-updated.

`league_scoring`: one document per league, ``_id`` = league id, holding the
commissioner's rules (absent = the sport's defaults). Written with a
whole-document replace (upsert), so the datetime stays typed on the emulator.

`summary_log`: one document per (league, week, member) weekly summary, written
BEFORE the mail is queued; the unique ``_id`` makes a repeated or redelivered
weekly task skip whoever already got this week's mail (at most once per week).
"""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from auction_app.repositories._dates import normalize


def get_rules(db: Database, league_id: str) -> dict | None:
    return normalize(db.league_scoring.find_one({"_id": league_id}), ("updated_at",))


def save_rules(db: Database, league_id: str, rules: dict, actor_id: str, now: datetime) -> None:
    doc = {"_id": league_id, "rules": dict(rules), "updated_by": actor_id, "updated_at": now}
    db.league_scoring.replace_one({"_id": league_id}, doc, upsert=True)


def claim_summary(db: Database, league_id: str, week: str, user_id: str, now: datetime) -> bool:
    """True the first time this member's summary for this week is claimed; False after."""
    try:
        db.summary_log.insert_one({"_id": f"{league_id}:{week}:{user_id}", "league_id": league_id,
                                   "week": week, "user_id": user_id, "sent_at": now})
        return True
    except DuplicateKeyError:
        return False


# The two league look-ups below read the `leagues` collection (owned by
# repositories/leagues.py) with projections only; they live here so the
# standings feature touches no other module. Both are index-friendly scalar
# queries (sport_key is indexed; status is a small equality filter).

def league_ids_for_sport(db: Database, sport_key: str) -> list[str]:
    return [d["_id"] for d in db.leagues.find({"sport_key": sport_key}, {"_id": 1})]


def league_ids_with_status(db: Database, status: str) -> list[str]:
    return [d["_id"] for d in db.leagues.find({"status": status}, {"_id": 1})]
