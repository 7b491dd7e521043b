"""How long a full standings refresh takes: 50 members, a 380-fixture football season.

Run from the project root:  python benchmarks/standings_bench.py [runs]

Prints figures only (no assertions): the median and spread of computing
team_points + standings over several runs. The season is a double round robin
of the 20 bundled Premier League clubs with seeded random scores, so every run
(and every machine) measures the same work.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from auction_app.domain.catalog import bundled_catalog_paths, load_catalog  # noqa: E402
from auction_app.domain.fixtures import AWAY_WIN, DRAW, HOME_WIN  # noqa: E402
from auction_app.domain.fixtures import Fixture, make_fixture_id  # noqa: E402
from auction_app.domain.scoring import default_rules, standings, team_points  # noqa: E402

MEMBERS = 50
TEAMS_PER_MEMBER = 4
DEFAULT_RUNS = 25


def premier_league_keys() -> list[str]:
    catalog = next(
        c for c in map(load_catalog, bundled_catalog_paths()) if c.key == "premier-league"
    )
    return [t.key for t in catalog.teams]


def full_season(team_keys: list[str], rng: random.Random) -> list[Fixture]:
    """Every team plays every other team home and away: 20 * 19 = 380 fixtures."""
    pairs = [(home, away) for home in team_keys for away in team_keys if home != away]
    fixtures = []
    for number, (home, away) in enumerate(pairs):
        day = date(2025, 8, 15) + timedelta(days=number // 10)
        home_goals, away_goals = rng.randint(0, 4), rng.randint(0, 4)
        result = (
            HOME_WIN if home_goals > away_goals else AWAY_WIN if away_goals > home_goals else DRAW
        )
        fixtures.append(
            Fixture(
                make_fixture_id(day, home, away), day, home, away, home_goals, away_goals, result
            )
        )
    return fixtures


def league_members(
    team_keys: list[str], rng: random.Random
) -> tuple[dict[str, list[str]], dict[str, str]]:
    # 50 members but only 20 clubs, so rosters overlap -- fine for timing purposes.
    rosters = {f"user-{n:02d}": rng.sample(team_keys, TEAMS_PER_MEMBER) for n in range(MEMBERS)}
    names = {user: f"Member {user[-2:]}" for user in rosters}
    return rosters, names


def time_once(fixtures, rosters, names, rules) -> float:
    started = time.perf_counter()
    records = team_points(fixtures, rules)
    standings(rosters, records, names)
    return time.perf_counter() - started


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_RUNS
    rng = random.Random(2025)
    keys = premier_league_keys()
    fixtures = full_season(keys, rng)
    rosters, names = league_members(keys, rng)
    rules = default_rules("football")
    time_once(fixtures, rosters, names, rules)  # warm-up: imports, caches
    timings_ms = [1000 * time_once(fixtures, rosters, names, rules) for _ in range(runs)]
    print(
        f"fixtures: {len(fixtures)}  members: {len(rosters)}"
        f"  teams per member: {TEAMS_PER_MEMBER}  runs: {runs}"
    )
    print(
        f"team_points + standings: median {statistics.median(timings_ms):.2f} ms  "
        f"min {min(timings_ms):.2f} ms  max {max(timings_ms):.2f} ms"
    )


if __name__ == "__main__":
    main()
