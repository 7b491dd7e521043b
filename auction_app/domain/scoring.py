"""Points for teams and standings for auction members (who own teams).

* `team_points(fixtures, rules)` turns played fixtures into one `TeamRecord`
  per team.
* `standings(rosters, team_records, member_names)` adds up each member's teams
  and ranks the members.

Default rules (see `default_rules`):

    football: win 3, draw 1, loss 0, no-result 1, plus 1 point per goal scored
    cricket:  win 2, tie 1, loss 0, no-result 1, runs score nothing

Standings tie-breakers, in order (documented in docs/fixtures-format.md):

    1. more points
    2. more wins by the member's teams
    3. more goals / runs scored by the member's teams
    4. less money spent at the auction (only if `spent` is given)
    5. member name (A-Z, ignoring case), then user id -- display order only

Members equal on 1-4 share a rank, with gaps after ("1, 2, 2, 4").

Pure module: standard library only, no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
import datetime
from typing import Hashable, Iterable, Mapping

from auction_app.domain.fixtures import AWAY_WIN, DRAW, HOME_WIN, NO_RESULT, Fixture

MAX_RULE_POINTS = 100  # keeps a mistyped "300 points per win" from reaching a live table

WIN, LOSS = "W", "L"
DRAWN, NO_RESULT_MARK = "D", "NR"


@dataclass(frozen=True)
class ScoringRules:
    win: int = 3
    draw: int = 1
    loss: int = 0
    no_result: int = 1
    per_goal: int = 1  # points per goal (football) or per run (cricket) the team scores


def default_rules(sport: str) -> ScoringRules:
    """The standard rules for a sport ("football" or "cricket")."""
    if sport == "football":
        return ScoringRules(win=3, draw=1, loss=0, no_result=1, per_goal=1)
    if sport == "cricket":
        # Runs score nothing by default: at 150+ runs a match they would swamp the 2 win points.
        return ScoringRules(win=2, draw=1, loss=0, no_result=1, per_goal=0)
    raise ValueError(f"unknown sport '{sport}'; expected 'football' or 'cricket'")


def rules_problems(rules: ScoringRules) -> list[str]:
    """Plain-word reasons these rules can't be used; empty list if they are fine."""
    problems = []
    for field in fields(rules):
        value = getattr(rules, field.name)
        label = field.name.replace("_", " ")
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"points for {label} must be a whole number")
        elif value < 0:
            problems.append(f"points for {label} can't be negative")
        elif value > MAX_RULE_POINTS:
            problems.append(f"points for {label} can't be more than {MAX_RULE_POINTS}")
    if problems:
        return problems  # the order checks below need valid numbers
    if rules.win < rules.draw:
        problems.append("a win must be worth at least as much as a draw")
    if rules.draw < rules.loss:
        problems.append("a draw must be worth at least as much as a loss")
    if not rules.loss <= rules.no_result <= rules.win:
        problems.append("a no-result must be worth between a loss and a win")
    return problems


# --- team records -----------------------------------------------------------------------


@dataclass(frozen=True)
class TeamResult:
    """One played fixture from one team's point of view (for the breakdown screen)."""

    fixture_id: str
    date: datetime.date
    opponent: str  # team key
    at_home: bool
    outcome: str  # "W", "D", "L" or "NR"
    goals_for: int
    goals_against: int
    points: int


@dataclass(frozen=True)
class TeamRecord:
    points: int = 0
    played: int = 0
    won: int = 0
    drawn: int = 0
    lost: int = 0
    no_result: int = 0
    goals_for: int = 0
    goals_against: int = 0
    results: tuple[TeamResult, ...] = ()


EMPTY_RECORD = TeamRecord()


def team_points(fixtures: Iterable[Fixture], rules: ScoringRules) -> dict[str, TeamRecord]:
    """Points and record for every team that has played at least one fixture.

    Fixtures not played yet are ignored. If the same fixture_id appears more than
    once (an old import followed by a corrected one), the LAST one counts -- so
    re-importing a changed result changes the points instead of adding to them.
    """
    latest = {fixture.fixture_id: fixture for fixture in fixtures}
    results_by_team: dict[str, list[TeamResult]] = {}
    for fixture in latest.values():
        if not fixture.played:
            continue
        for team, result in _both_sides(fixture, rules):
            results_by_team.setdefault(team, []).append(result)
    return {team: _record(results) for team, results in results_by_team.items()}


def _both_sides(fixture: Fixture, rules: ScoringRules) -> list[tuple[str, TeamResult]]:
    home_outcome = _home_outcome(fixture.result)
    away_outcome = {WIN: LOSS, LOSS: WIN}.get(home_outcome, home_outcome)  # D and NR are symmetric
    home_goals, away_goals = fixture.home_score or 0, fixture.away_score or 0
    return [
        (
            fixture.home,
            _side(fixture, fixture.away, True, home_outcome, home_goals, away_goals, rules),
        ),
        (
            fixture.away,
            _side(fixture, fixture.home, False, away_outcome, away_goals, home_goals, rules),
        ),
    ]


def _home_outcome(result: str) -> str:
    return {HOME_WIN: WIN, AWAY_WIN: LOSS, DRAW: DRAWN, NO_RESULT: NO_RESULT_MARK}[result]


def _side(
    fixture: Fixture,
    opponent: str,
    at_home: bool,
    outcome: str,
    goals_for: int,
    goals_against: int,
    rules: ScoringRules,
) -> TeamResult:
    outcome_points = {
        WIN: rules.win,
        DRAWN: rules.draw,
        LOSS: rules.loss,
        NO_RESULT_MARK: rules.no_result,
    }[outcome]
    return TeamResult(
        fixture_id=fixture.fixture_id,
        date=fixture.date,
        opponent=opponent,
        at_home=at_home,
        outcome=outcome,
        goals_for=goals_for,
        goals_against=goals_against,
        points=outcome_points + rules.per_goal * goals_for,
    )


def _record(results: list[TeamResult]) -> TeamRecord:
    ordered = tuple(sorted(results, key=lambda r: (r.date, r.fixture_id)))
    outcomes = [r.outcome for r in ordered]
    return TeamRecord(
        points=sum(r.points for r in ordered),
        played=len(ordered),
        won=outcomes.count(WIN),
        drawn=outcomes.count(DRAWN),
        lost=outcomes.count(LOSS),
        no_result=outcomes.count(NO_RESULT_MARK),
        goals_for=sum(r.goals_for for r in ordered),
        goals_against=sum(r.goals_against for r in ordered),
        results=ordered,
    )


# --- member standings ---------------------------------------------------------------------


@dataclass(frozen=True)
class TeamBreakdown:
    """One owned team's contribution to a member's total."""

    team_key: str
    points: int
    played: int
    won: int
    drawn: int
    lost: int
    goals_for: int


@dataclass(frozen=True)
class StandingRow:
    rank: int  # shared by exact ties: 1, 2, 2, 4
    user_id: Hashable
    name: str
    points: int
    wins: int
    goals_for: int
    spent: int | None
    teams: tuple[TeamBreakdown, ...]  # highest-scoring team first


def standings(
    rosters: Mapping[Hashable, Iterable[str]],
    team_records: Mapping[str, TeamRecord],
    member_names: Mapping[Hashable, str],
    spent: Mapping[Hashable, int] | None = None,
) -> list[StandingRow]:
    """Rank members by the combined record of the teams they own.

    Members are everyone in `rosters` or `member_names` (a member who bought no
    team still appears, with 0 points). Teams with no record yet count as zero.
    Order: points, then wins, then goals/runs scored, then less money `spent`
    (when given) -- members equal on all of these share a rank -- and finally
    name and user id, which only fix the display order of tied members.
    """
    members = list(dict.fromkeys([*member_names, *rosters]))  # keeps first-seen order, no repeats
    rows = [_member_row(m, rosters.get(m, ()), team_records, member_names, spent) for m in members]
    rows.sort(key=_display_order)
    return _with_ranks(rows)


def _member_row(
    user_id: Hashable,
    team_keys: Iterable[str],
    team_records: Mapping[str, TeamRecord],
    member_names: Mapping[Hashable, str],
    spent: Mapping[Hashable, int] | None,
) -> StandingRow:
    breakdown = [
        _breakdown(key, team_records.get(key, EMPTY_RECORD)) for key in dict.fromkeys(team_keys)
    ]
    breakdown.sort(key=lambda b: (-b.points, b.team_key))
    return StandingRow(
        rank=0,
        user_id=user_id,
        name=member_names.get(user_id) or str(user_id),
        points=sum(b.points for b in breakdown),
        wins=sum(b.won for b in breakdown),
        goals_for=sum(b.goals_for for b in breakdown),
        spent=None if spent is None else spent.get(user_id, 0),
        teams=tuple(breakdown),
    )


def _breakdown(team_key: str, record: TeamRecord) -> TeamBreakdown:
    return TeamBreakdown(
        team_key=team_key,
        points=record.points,
        played=record.played,
        won=record.won,
        drawn=record.drawn,
        lost=record.lost,
        goals_for=record.goals_for,
    )


def _ranking_key(row: StandingRow) -> tuple:
    """What decides the rank; equal keys mean an exact tie (shared rank)."""
    return (-row.points, -row.wins, -row.goals_for, row.spent if row.spent is not None else 0)


def _display_order(row: StandingRow) -> tuple:
    # Name and id only order tied members so the table doesn't reshuffle between refreshes.
    return (*_ranking_key(row), row.name.casefold(), str(row.user_id))


def _with_ranks(ordered: list[StandingRow]) -> list[StandingRow]:
    """Competition ranking: 1, 2, 2, 4."""
    ranked: list[StandingRow] = []
    for position, row in enumerate(ordered, start=1):
        previous = ranked[-1] if ranked else None
        same_as_previous = previous is not None and _ranking_key(previous) == _ranking_key(row)
        rank = previous.rank if same_as_previous else position
        ranked.append(replace(row, rank=rank))
    return ranked
