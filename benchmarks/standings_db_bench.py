"""Standings end to end against a real database: 50 members, a 380-fixture season.

Run from the project root:  python benchmarks/standings_db_bench.py [runs]

Starts its own nx-27017 (the local MongoDB emulator, as tests/support/services.py
does) in a temporary directory, stores a completed auction for a 50-member
league, imports a full Premier League season (a 380-row CSV, 20 clubs home and
away, seeded random scores) through the same service the API uses, then times:

* the import itself (parse + validate + one fixture-set write), once;
* a standings refresh end to end (read league, catalog, rules, fixture sets and
  auction from the database, team_points + standings, build the JSON view) --
  what every import, scoring change, page load and socket join costs;
* the pure compute on exactly the same data, and the pure benchmark of
  benchmarks/standings_bench.py, both measured in this same run as baselines.

Prints figures only, no assertions.
"""
from __future__ import annotations

import csv
import io
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing
sys.path.insert(0, str(ROOT / "benchmarks"))

import standings_bench as pure  # noqa: E402

from auction_app.db import connect  # noqa: E402
from auction_app.domain.catalog import bundled_catalog_paths, load_catalog  # noqa: E402
from auction_app.domain.scoring import default_rules, standings, team_points  # noqa: E402
from auction_app.repositories import auctions, leagues, sports  # noqa: E402
from auction_app.services import standings as service  # noqa: E402
from tests.support import services  # noqa: E402

MEMBERS = 50
ROSTER_SLOTS = 3
DEFAULT_RUNS = 25


def season_csv(fixtures) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "home", "away", "home_score", "away_score", "competition", "round"])
    for f in fixtures:
        writer.writerow([f.date.isoformat(), f.home, f.away, f.home_score, f.away_score, "Premier League", ""])
    return out.getvalue().encode()


def store_league(db, catalog, rng) -> tuple[dict, str]:
    """A league of 50 members whose auction is complete.

    An auction sells each team once and the Premier League has 20 clubs, so
    with the default roster of 3 only 7 members own teams (2-3 each); the
    other 43 own none and still appear in the table with 0 points.
    """
    now = datetime.now(timezone.utc)
    member_ids = [f"user-{n:02d}" for n in range(MEMBERS)]
    teams = [t.key for t in catalog.teams]
    owners = rng.sample(member_ids, len(teams) // ROSTER_SLOTS + 1)
    winners = {team: owners[i % len(owners)] for i, team in enumerate(teams)}
    league_id = secrets.token_urlsafe(9)
    league = {
        "_id": league_id, "name": "Benchmark league", "sport_key": catalog.key, "kind": "real",
        "commissioner_id": member_ids[0], "status": leagues.COMPLETED, "settings": {}, "team_keys": teams,
        "lot_order": teams, "members": {u: {"name": f"Member {u[-2:]}", "role": "member", "joined_at": now}
                                        for u in member_ids},
        "member_ids": member_ids, "member_count": MEMBERS, "auction_id": "A" + league_id,
        "created_at": now, "updated_at": now,
    }
    leagues.insert(db, league)
    spent = {u: 0 for u in member_ids}
    lots = {}
    for team, winner in winners.items():
        price = rng.randint(1, 60)
        spent[winner] += price
        lots[team] = {"status": "sold", "round": 0, "price": price, "winner_id": winner}
    auctions.insert(db, {
        "_id": "A" + league_id, "league_id": league_id, "status": auctions.COMPLETED, "seq": 100,
        "settings": {}, "lot_order": teams, "member_order": member_ids, "lots": lots, "lot": None,
        "members": {u: {"name": f"Member {u[-2:]}", "spent": spent[u],
                        "filled": sum(1 for w in winners.values() if w == u)} for u in member_ids},
        "outbox": [], "started_at": now, "completed_at": now,
    })
    return league, member_ids[0]


def median_ms(fn, runs: int) -> tuple[float, float, float]:
    fn()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append(1000 * (time.perf_counter() - started))
    return statistics.median(timings), min(timings), max(timings)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_RUNS
    rng = random.Random(2025)
    catalog = next(c for c in map(load_catalog, bundled_catalog_paths()) if c.key == "premier-league")
    fixtures = pure.full_season([t.key for t in catalog.teams], rng)
    content = season_csv(fixtures)

    with tempfile.TemporaryDirectory(prefix="standings-bench-") as workdir:
        proc, url = services.start_mongo(Path(workdir))
        client = connect(url, 5000)
        try:
            db = client["standings_bench"]
            sports.upsert(db, catalog)
            league, commissioner = store_league(db, catalog, rng)

            started = time.perf_counter()
            _, summary = service.import_for_league(db, league["_id"], commissioner, "season.csv", content,
                                                   datetime.now(timezone.utc))
            import_ms = 1000 * (time.perf_counter() - started)
            view = service.standings_for_league_id(db, league["_id"])

            end_to_end = median_ms(lambda: service.standings_for_league_id(db, league["_id"]), runs)

            # Pure compute on exactly the rosters and fixtures stored above.
            rosters = {r["user_id"]: [t["team_key"] for t in r["teams"]] for r in view["standings"]}
            names = {r["user_id"]: r["name"] for r in view["standings"]}
            spent = {r["user_id"]: r["spent"] for r in view["standings"]}
            rules = default_rules("football")
            same_data = median_ms(lambda: standings(rosters, team_points(fixtures, rules), names, spent), runs)

            # The pure benchmark's own workload (4 overlapping teams per member), same run, same machine.
            b_rosters, b_names = pure.league_members([t.key for t in catalog.teams], random.Random(2025))
            baseline = median_ms(lambda: pure.time_once(fixtures, b_rosters, b_names, rules), runs)
        finally:
            client.close()
            services.stop_process(proc)

    owners = sum(1 for r in view["standings"] if r["teams"])
    print(f"database: nx-27017 (local MongoDB emulator)  runs: {runs}")
    print(f"league: {MEMBERS} members ({owners} own teams)  fixtures: {view['fixtures']['total']} "
          f"({view['fixtures']['played']} played)  CSV: {len(content):,} bytes")
    print(f"import (parse + validate + one set write), once:     {import_ms:8.2f} ms  "
          f"(created {summary['created']})")
    print(f"standings refresh end to end (reads + compute + view): median {end_to_end[0]:.2f} ms  "
          f"min {end_to_end[1]:.2f} ms  max {end_to_end[2]:.2f} ms")
    print(f"pure compute, same data:                            median {same_data[0]:.2f} ms  "
          f"min {same_data[1]:.2f} ms  max {same_data[2]:.2f} ms")
    print(f"pure baseline (standings_bench workload):           median {baseline[0]:.2f} ms  "
          f"min {baseline[1]:.2f} ms  max {baseline[2]:.2f} ms")


if __name__ == "__main__":
    main()
