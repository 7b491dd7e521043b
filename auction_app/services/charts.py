"""Data for the pictures on the standings and results pages. No Flask here.

* season(): each member's points and rank after every match day, computed with the
  same pure scoring functions as the table (domain.scoring), on the fixtures played
  up to that day.
* price_ladders(): for each sold team, the bids in order (how its price climbed).
* value(): for each sold team, points scored per unit spent.
"""
from __future__ import annotations

from pymongo.database import Database

from auction_app.domain.scoring import standings, team_points
from auction_app.services import standings as standings_service


def _context(db: Database, league: dict):
    # The standings service owns how rosters, fixtures and rules are gathered; reuse it.
    return standings_service._context(db, league)  # noqa: SLF001 (one gathering, not two)


def season(db: Database, league: dict) -> dict:
    ctx = _context(db, league)
    played = sorted({f.date for f in ctx.fixtures if f.played})
    members = [{"user_id": uid, "name": name} for uid, name in ctx.names.items()]
    series = {m["user_id"]: {"points": [], "rank": []} for m in members}
    for day in played:
        records = team_points([f for f in ctx.fixtures if f.played and f.date <= day], ctx.rules)
        for row in standings(ctx.rosters, records, ctx.names, ctx.spent):
            if row.user_id in series:
                series[row.user_id]["points"].append(row.points)
                series[row.user_id]["rank"].append(row.rank)
    return {"days": [d.isoformat() for d in played],
            "members": [dict(m, **series[m["user_id"]]) for m in members]}


def price_ladders(results: dict) -> list[dict]:
    """[{team_key, team_name, winner, price, steps: [amounts in bid order]}] for sold teams."""
    sold = {t["team_key"]: (m["name"], t["price"]) for m in results["members"] for t in m["roster"]}
    ladders: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for bid in results["bids"]:
        if bid["team_key"] in sold:
            ladders.setdefault(bid["team_key"], []).append(bid["amount"])
            names[bid["team_key"]] = bid["team_name"]
    return [{"team_key": key, "team_name": names[key], "winner": sold[key][0], "price": sold[key][1],
             "steps": steps} for key, steps in ladders.items()]


def value(db: Database, league: dict, results: dict) -> list[dict]:
    """[{team_name, winner, price, points, per_unit}] best value first; empty before any result."""
    ctx = _context(db, league)
    records = team_points([f for f in ctx.fixtures if f.played], ctx.rules)
    if not records:
        return []
    rows = []
    for member in results["members"]:
        for team in member["roster"]:
            record = records.get(team["team_key"])
            points = record.points if record else 0
            rows.append({"team_name": team["team_name"], "winner": member["name"], "price": team["price"],
                         "points": points, "per_unit": round(points / team["price"], 2) if team["price"] else 0})
    return sorted(rows, key=lambda r: (-r["per_unit"], r["team_name"]))
