"""Fixture imports, scoring rules and league standings: the business rules.

No Flask here (the routes and the Celery tasks call in with a database handle).
Every refusal is a `LeagueError` (stable code, plain sentence, status), the
same class the league service uses, so the route layer turns both into the
one error shape.

* Imports: the file is parsed and validated completely by
  `domain.fixtures.parse_fixtures` (every bad row reported, nothing written),
  then merged into ONE fixture-set document in one atomic write
  (repositories/fixtures.py explains why that is all-or-nothing without
  transactions). A commissioner's import serves their league; an admin's
  import serves every league of the sport.
* Standings are computed, not stored: rosters from the auction document (lots
  with status "sold", grouped by winner), fixtures from the sport's and the
  league's fixture sets, and the league's rules (or the sport's defaults),
  through the pure `domain.scoring` functions. 50 members and a 380-fixture
  season take a few milliseconds, so there is no cache to go stale.

The weekly summary email is in `services/weekly_summary.py`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from pymongo.database import Database

from auction_app.domain.catalog import Catalog
from auction_app.domain.fixtures import Fixture, FixtureImportError, parse_fixtures
from auction_app.offload import off_event_loop
from auction_app.domain.scoring import (
    EMPTY_RECORD, ScoringRules, TeamRecord, default_rules, rules_problems, standings, team_points)
from auction_app.repositories import audit
from auction_app.repositories import auctions as auctions_repo
from auction_app.repositories import fixtures as fixtures_repo
from auction_app.repositories import leagues as leagues_repo
from auction_app.repositories import sports as sports_repo
from auction_app.repositories import standings as standings_repo
from auction_app.services.leagues import LeagueError, member_league, require_commissioner

RULE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ScoringRules))


def room(league_id: str) -> str:
    """The Socket.IO room of a league's standings page."""
    return f"league:{league_id}"


# --------------------------------------------------------------------------- fixtures <-> documents

def _fixture_doc(fixture: Fixture, imported_ms: int) -> dict:
    return {"fixture_id": fixture.fixture_id, "date": fixture.date.isoformat(), "home": fixture.home,
            "away": fixture.away, "home_score": fixture.home_score, "away_score": fixture.away_score,
            "result": fixture.result, "competition": fixture.competition, "round": fixture.round,
            "imported_ms": imported_ms}


def _fixture_from_doc(doc: dict) -> Fixture:
    return Fixture(fixture_id=doc["fixture_id"], date=date.fromisoformat(doc["date"]), home=doc["home"],
                   away=doc["away"], home_score=doc.get("home_score"), away_score=doc.get("away_score"),
                   result=doc.get("result"), competition=doc.get("competition") or "",
                   round=doc.get("round") or "")


# --------------------------------------------------------------------------- context

def _catalog(db: Database, sport_key: str) -> Catalog:
    catalog = sports_repo.get(db, sport_key)
    if catalog is None:
        raise LeagueError("unknown_sport", f"'{sport_key}' is not a sport we know.", 404)
    return catalog


@dataclass
class _Context:
    league: dict
    catalog: Catalog
    rules: ScoringRules
    rules_are_default: bool
    fixtures: list[Fixture]
    last_import_at: datetime | None
    rosters: dict[str, list[str]]
    names: dict[str, str]
    spent: dict[str, int] | None
    owners: dict[str, str]  # team key -> user id
    auction_status: str | None


def _fixture_docs(db: Database, league: dict) -> tuple[list[dict], datetime | None]:
    """The league's effective fixtures: the sport's set and the league's own, merged.

    When both hold the same fixture the later import wins, so a correction by
    the admin or by the commissioner is what counts.
    """
    ids = [fixtures_repo.sport_set_id(league["sport_key"]), fixtures_repo.league_set_id(league["_id"])]
    latest: dict[str, dict] = {}
    last_import = None
    for fixture_set in fixtures_repo.sets(db, ids):
        updated = fixture_set.get("updated_at")
        if updated is not None and (last_import is None or updated > last_import):
            last_import = updated
        for doc in fixture_set.get("fixtures", []):
            known = latest.get(doc["fixture_id"])
            if known is None or doc.get("imported_ms", 0) >= known.get("imported_ms", 0):
                latest[doc["fixture_id"]] = doc
    return [latest[k] for k in sorted(latest)], last_import


def rules_for(db: Database, league: dict, catalog: Catalog) -> tuple[ScoringRules, bool]:
    defaults = default_rules(catalog.sport)
    stored = standings_repo.get_rules(db, league["_id"])
    if not stored:
        return defaults, True
    rules = ScoringRules(**{k: int(stored["rules"].get(k, getattr(defaults, k))) for k in RULE_FIELDS})
    return rules, rules == defaults


def _rosters(db: Database, league: dict) -> tuple[dict, dict, dict | None, dict, str | None]:
    members = league.get("members") or {}
    names = {uid: m.get("name") or uid for uid, m in members.items()}
    auction = auctions_repo.get(db, league["auction_id"]) if league.get("auction_id") else None
    if auction is None:
        return {uid: [] for uid in names}, names, None, {}, None
    for uid, m in auction["members"].items():
        names.setdefault(uid, m.get("name") or uid)
    rosters: dict[str, list[str]] = {uid: [] for uid in names}
    owners = {}
    for team in auction["lot_order"]:
        lot = auction["lots"].get(team) or {}
        if lot.get("status") == "sold" and lot.get("winner_id"):
            rosters.setdefault(lot["winner_id"], []).append(team)
            owners[team] = lot["winner_id"]
    spent = {uid: int(m.get("spent", 0)) for uid, m in auction["members"].items()}
    return rosters, names, spent, owners, auction["status"]


def _context(db: Database, league: dict) -> _Context:
    catalog = _catalog(db, league["sport_key"])
    rules, is_default = rules_for(db, league, catalog)
    docs, last_import = _fixture_docs(db, league)
    rosters, names, spent, owners, auction_status = _rosters(db, league)
    return _Context(league, catalog, rules, is_default, [_fixture_from_doc(d) for d in docs], last_import,
                    rosters, names, spent, owners, auction_status)


def compute(db: Database, league: dict):
    ctx = _context(db, league)
    records = team_points(ctx.fixtures, ctx.rules)
    rows = standings(ctx.rosters, records, ctx.names, ctx.spent)
    return ctx, records, rows


# --------------------------------------------------------------------------- views

def team_name(catalog: Catalog, key: str) -> str:
    team = catalog.team(key)
    return team.name if team else key


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def score_label(catalog: Catalog) -> str:
    return "runs" if catalog.sport == "cricket" else "goals"


def _view(ctx: _Context, rows) -> dict:
    played = sum(1 for f in ctx.fixtures if f.played)
    return {
        "league": {"id": ctx.league["_id"], "name": ctx.league["name"], "sport_key": ctx.catalog.key,
                   "sport_name": ctx.catalog.name, "sport": ctx.catalog.sport},
        "auction_status": ctx.auction_status,
        "score_label": score_label(ctx.catalog),
        "rules": asdict(ctx.rules),
        "default_rules": asdict(default_rules(ctx.catalog.sport)),
        "rules_are_default": ctx.rules_are_default,
        "fixtures": {"total": len(ctx.fixtures), "played": played, "last_import_at": _iso(ctx.last_import_at)},
        "standings": [
            {"rank": r.rank, "user_id": r.user_id, "name": r.name, "points": r.points, "wins": r.wins,
             "goals_for": r.goals_for, "spent": r.spent,
             "teams": [dict(asdict(t), team_name=team_name(ctx.catalog, t.team_key)) for t in r.teams]}
            for r in rows
        ],
    }


def standings_view(db: Database, league: dict) -> dict:
    """The league's table, each member's per-team breakdown, and the rules in force."""
    ctx, _records, rows = compute(db, league)
    return _view(ctx, rows)


def member_standings(db: Database, league_id, user_id: str) -> dict:
    return standings_view(db, member_league(db, league_id, user_id))


def standings_for_league_id(db: Database, league_id: str) -> dict | None:
    """For workers: the table of a league, or None if it no longer exists."""
    league = leagues_repo.get(db, league_id)
    return standings_view(db, league) if league else None


def _result_view(catalog: Catalog, result) -> dict:
    return {"fixture_id": result.fixture_id, "date": result.date.isoformat(), "opponent_key": result.opponent,
            "opponent_name": team_name(catalog, result.opponent), "at_home": result.at_home,
            "outcome": result.outcome, "goals_for": result.goals_for, "goals_against": result.goals_against,
            "points": result.points}


def team_results(db: Database, league_id, user_id: str, team_key) -> dict:
    """One team's record and every result, with who owns it in this league."""
    league = member_league(db, league_id, user_id)
    ctx = _context(db, league)
    team = ctx.catalog.team(team_key) if isinstance(team_key, str) else None
    if team is None:
        raise LeagueError("team_not_found", f"There is no team '{team_key}' in the {ctx.catalog.name}.", 404)
    record: TeamRecord = team_points(ctx.fixtures, ctx.rules).get(team.key, EMPTY_RECORD)
    owner_id = ctx.owners.get(team.key)
    upcoming = [{"fixture_id": f.fixture_id, "date": f.date.isoformat(), "at_home": f.home == team.key,
                 "opponent_key": f.away if f.home == team.key else f.home,
                 "opponent_name": team_name(ctx.catalog, f.away if f.home == team.key else f.home)}
                for f in ctx.fixtures if not f.played and team.key in (f.home, f.away)]
    return {
        "league_id": league["_id"],
        "team": asdict(team),
        "owner": {"user_id": owner_id, "name": ctx.names.get(owner_id, owner_id)} if owner_id else None,
        "score_label": score_label(ctx.catalog),
        "record": {k: getattr(record, k) for k in ("points", "played", "won", "drawn", "lost", "no_result",
                                                   "goals_for", "goals_against")},
        "results": [_result_view(ctx.catalog, r) for r in record.results],
        "upcoming": upcoming,
    }


# --------------------------------------------------------------------------- imports

def _parse(filename: str, content: bytes, catalog: Catalog) -> list[Fixture]:
    try:
        # About 0.7 s of CPU for a 1 MB file: never on the event loop that serves the live rooms.
        return off_event_loop(parse_fixtures, filename, content, catalog.teams)
    except FixtureImportError as exc:
        rows = [p for p in exc.problems if p.row]
        if rows:
            count = len({p.row for p in rows})
            message = (f"Nothing was imported: {count} row{'s' if count != 1 else ''} of the file "
                       f"{'have' if count != 1 else 'has'} problems. Fix every row listed and upload the file again.")
        else:
            message = f"Nothing was imported: {exc.problems[0].message}."
        details = [{"row": p.row, "message": p.message, "text": str(p)} for p in exc.problems]
        raise LeagueError("import_refused", message, 400, details=details) from None


def _store(db: Database, set_id: str, scope: dict, fixtures: list[Fixture], now: datetime) -> dict:
    stamp = time.time_ns() // 1_000_000
    docs = [_fixture_doc(f, stamp) for f in fixtures]
    try:
        summary = fixtures_repo.merge(db, set_id, scope, docs, now)
    except fixtures_repo.SetTooLarge as exc:
        raise LeagueError("too_many_fixtures",
                          f"Nothing was imported: that would make {exc.total:,} fixtures, more than the "
                          f"{fixtures_repo.MAX_FIXTURES_PER_SET:,} we keep for one competition.", 400) from None
    except fixtures_repo.SetConflict:
        raise LeagueError("conflict", "Another import was saving at the same moment, so nothing was imported. "
                                      "Please upload the file again.", 409) from None
    played = sum(1 for f in fixtures if f.played)
    return dict(summary, imported=len(fixtures), played=played)


def import_for_league(db: Database, league_id, user_id: str, filename: str, content: bytes,
                      now: datetime) -> tuple[dict, dict]:
    """A commissioner's import for their own league. Returns (league, summary)."""
    league = member_league(db, league_id, user_id)
    require_commissioner(league, user_id, "import fixtures and results")
    catalog = _catalog(db, league["sport_key"])
    fixtures = _parse(filename, content, catalog)
    summary = _store(db, fixtures_repo.league_set_id(league["_id"]),
                     {"scope": "league", "league_id": league["_id"], "sport_key": league["sport_key"]},
                     fixtures, now)
    audit.record(db, league["_id"], user_id, "fixtures_imported", now, file=filename[:120],
                 imported=summary["imported"], created=summary["created"], updated=summary["updated"])
    return league, summary


def import_for_sport(db: Database, sport_key, actor_id: str, filename: str, content: bytes,
                     now: datetime) -> tuple[dict, list[str]]:
    """An admin's import for a whole sport. Returns (summary, ids of the leagues it affects)."""
    catalog = sports_repo.get(db, sport_key) if isinstance(sport_key, str) else None
    if catalog is None:
        raise LeagueError("unknown_sport", f"'{sport_key}' is not a sport we know.", 404)
    fixtures = _parse(filename, content, catalog)
    summary = _store(db, fixtures_repo.sport_set_id(catalog.key), {"scope": "sport", "sport_key": catalog.key},
                     fixtures, now)
    return summary, standings_repo.league_ids_for_sport(db, catalog.key)


# --------------------------------------------------------------------------- scoring rules

def rules_view(db: Database, league_id, user_id: str) -> dict:
    league = member_league(db, league_id, user_id)
    catalog = _catalog(db, league["sport_key"])
    rules, is_default = rules_for(db, league, catalog)
    return {"rules": asdict(rules), "default_rules": asdict(default_rules(catalog.sport)),
            "rules_are_default": is_default, "sport": catalog.sport}


def update_rules(db: Database, league_id, user_id: str, changes: dict | None, now: datetime) -> dict:
    """Change (some of) the rules, or reset them to the sport's defaults with changes=None."""
    league = member_league(db, league_id, user_id)
    require_commissioner(league, user_id, "change the scoring rules")
    catalog = _catalog(db, league["sport_key"])
    current, _ = rules_for(db, league, catalog)
    rules = default_rules(catalog.sport) if changes is None else ScoringRules(**{**asdict(current), **changes})
    problems = [p[0].upper() + p[1:] + "." for p in rules_problems(rules)]
    if problems:
        raise LeagueError("invalid_rules", " ".join(problems), 400, details=problems)
    standings_repo.save_rules(db, league["_id"], asdict(rules), user_id, now)
    audit.record(db, league["_id"], user_id, "scoring_changed", now,
                 **{k: v for k, v in asdict(rules).items()})
    return league
