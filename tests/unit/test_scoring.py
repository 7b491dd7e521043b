"""Scoring and standings: the numbers members see on the league table."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction_app.domain.catalog import bundled_catalog_paths, load_catalog
from auction_app.domain.fixtures import (
    AWAY_WIN,
    DRAW,
    HOME_WIN,
    NO_RESULT,
    Fixture,
    make_fixture_id,
    parse_fixtures,
)
from auction_app.domain.scoring import (
    ScoringRules,
    TeamRecord,
    default_rules,
    rules_problems,
    standings,
    team_points,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fixtures"
CATALOGS = {c.key: c for c in map(load_catalog, bundled_catalog_paths())}
PL = CATALOGS["premier-league"].teams
IPL = CATALOGS["ipl"].teams
FOOTBALL = default_rules("football")
CRICKET = default_rules("cricket")
DAY = date(2025, 8, 16)


def fixture(home, away, home_score=None, away_score=None, result=None, day=DAY):
    if result is None and home_score is not None:
        result = (
            HOME_WIN if home_score > away_score else AWAY_WIN if away_score > home_score else DRAW
        )
    return Fixture(
        make_fixture_id(day, home, away), day, home, away, home_score, away_score, result
    )


def record(points=0, won=0, goals_for=0):
    return TeamRecord(points=points, played=won, won=won, goals_for=goals_for)


def ranks(rows):
    return [(r.rank, r.name) for r in rows]


# --- rules ----------------------------------------------------------------------------


def test_football_defaults_are_3_1_0_plus_a_point_per_goal():
    assert (FOOTBALL.win, FOOTBALL.draw, FOOTBALL.loss, FOOTBALL.per_goal) == (3, 1, 0, 1)


def test_cricket_defaults_are_2_for_a_win_1_for_no_result():
    assert (CRICKET.win, CRICKET.loss, CRICKET.no_result, CRICKET.per_goal) == (2, 0, 1, 0)


def test_unknown_sport_has_no_default_rules():
    with pytest.raises(ValueError, match="unknown sport 'golf'"):
        default_rules("golf")


def test_default_rules_are_valid():
    assert rules_problems(FOOTBALL) == [] and rules_problems(CRICKET) == []


@pytest.mark.parametrize(
    "rules, expected",
    [
        (ScoringRules(win=-1), "points for win can't be negative"),
        (ScoringRules(per_goal=1.5), "points for per goal must be a whole number"),
        (ScoringRules(draw=True), "points for draw must be a whole number"),
        (ScoringRules(win=500), "points for win can't be more than 100"),
        (ScoringRules(win=1, draw=2), "a win must be worth at least as much as a draw"),
        (
            ScoringRules(draw=0, loss=1, no_result=1),
            "a draw must be worth at least as much as a loss",
        ),
        (ScoringRules(no_result=5), "a no-result must be worth between a loss and a win"),
    ],
)
def test_bad_rules_are_explained(rules, expected):
    assert expected in rules_problems(rules)


# --- team points ------------------------------------------------------------------------


def test_football_win_earns_3_plus_goals_and_the_loser_earns_its_goals():
    records = team_points([fixture("liverpool", "bournemouth", 4, 2)], FOOTBALL)
    assert records["liverpool"].points == 3 + 4
    assert records["bournemouth"].points == 0 + 2
    assert (records["liverpool"].won, records["bournemouth"].lost) == (1, 1)
    assert records["bournemouth"].goals_against == 4


def test_goalless_draw_is_one_point_each():
    records = team_points([fixture("aston-villa", "newcastle-united", 0, 0)], FOOTBALL)
    assert records["aston-villa"].points == records["newcastle-united"].points == 1
    assert records["aston-villa"].drawn == 1


def test_unplayed_fixtures_earn_nothing_and_are_not_counted_as_played():
    records = team_points([fixture("arsenal", "chelsea")], FOOTBALL)
    assert records == {}


def test_cricket_no_result_gives_each_side_one_point():
    records = team_points(
        [fixture("royal-challengers-bengaluru", "kolkata-knight-riders", result=NO_RESULT)], CRICKET
    )
    for team in ("royal-challengers-bengaluru", "kolkata-knight-riders"):
        assert (records[team].points, records[team].played, records[team].no_result) == (1, 1, 1)


def test_cricket_runs_do_not_score_by_default():
    records = team_points([fixture("sunrisers-hyderabad", "rajasthan-royals", 286, 242)], CRICKET)
    assert records["sunrisers-hyderabad"].points == 2
    assert records["sunrisers-hyderabad"].goals_for == 286  # still kept for tie-breaks


def test_super_over_winner_gets_the_win_despite_tied_runs():
    records = team_points(
        [fixture("delhi-capitals", "rajasthan-royals", 188, 188, result=HOME_WIN)], CRICKET
    )
    assert records["delhi-capitals"].points == 2 and records["rajasthan-royals"].points == 0


def test_each_result_is_listed_for_the_team_breakdown_in_date_order():
    later = fixture("chelsea", "arsenal", 1, 1, day=DAY + timedelta(days=7))
    records = team_points([later, fixture("arsenal", "fulham", 2, 0)], FOOTBALL)
    results = records["arsenal"].results
    assert [(r.opponent, r.outcome, r.points, r.at_home) for r in results] == [
        ("fulham", "W", 5, True),
        ("chelsea", "D", 2, False),
    ]
    assert records["arsenal"].points == sum(r.points for r in results)


def test_sample_season_points_add_up():
    fixtures = parse_fixtures("pl.csv", (EXAMPLES / "premier-league-sample.csv").read_bytes(), PL)
    records = team_points(fixtures, FOOTBALL)
    # Arsenal: won 1-0 at Man United, beat Leeds 5-0 -> 2 wins (6) + 6 goals
    assert records["arsenal"].points == 12
    assert sum(r.played for r in records.values()) == 2 * len(fixtures)


def test_reimporting_a_changed_result_changes_points_instead_of_adding():
    first = parse_fixtures(
        "a.csv", b"date,home,away,home_score,away_score\n2025-08-16,ARS,CHE,,\n", PL
    )
    assert team_points(first, FOOTBALL) == {}  # not played yet
    played = parse_fixtures(
        "b.csv", b"date,home,away,home_score,away_score\n2025-08-16,Arsenal,Chelsea,1,0\n", PL
    )
    corrected = parse_fixtures(
        "c.json",
        b'[{"date": "2025-08-16", "home": "arsenal", "away": "che",'
        b' "home_score": 1, "away_score": 2}]',
        PL,
    )
    records = team_points(first + played + corrected, FOOTBALL)
    assert records["arsenal"].points == 1 and records["arsenal"].played == 1
    assert records["chelsea"].points == 3 + 2


# --- standings --------------------------------------------------------------------------


def test_members_are_ranked_by_the_points_of_the_teams_they_own():
    records = {"arsenal": record(10), "chelsea": record(4), "fulham": record(3)}
    rows = standings(
        {"u1": ["chelsea", "fulham"], "u2": ["arsenal"]}, records, {"u1": "Ann", "u2": "Bob"}
    )
    assert [(r.rank, r.name, r.points) for r in rows] == [(1, "Bob", 10), (2, "Ann", 7)]
    assert [(t.team_key, t.points) for t in rows[1].teams] == [("chelsea", 4), ("fulham", 3)]


def test_exact_ties_share_a_rank_and_the_next_rank_is_skipped():
    records = {"a": record(9), "b": record(5), "c": record(5), "d": record(1)}
    rows = standings(
        {"u1": ["a"], "u2": ["c"], "u3": ["b"], "u4": ["d"]},
        records,
        {"u1": "Ann", "u2": "Cat", "u3": "Bea", "u4": "Dan"},
    )
    assert ranks(rows) == [(1, "Ann"), (2, "Bea"), (2, "Cat"), (4, "Dan")]


def test_equal_points_are_split_by_wins_then_goals():
    records = {
        "a": record(6, won=2, goals_for=1),
        "b": record(6, won=1, goals_for=9),
        "c": record(6, won=1, goals_for=3),
    }
    rows = standings(
        {"u1": ["c"], "u2": ["b"], "u3": ["a"]}, records, {"u1": "C", "u2": "B", "u3": "A"}
    )
    assert ranks(rows) == [(1, "A"), (2, "B"), (3, "C")]


def test_less_money_spent_breaks_a_remaining_tie_when_given():
    records = {"a": record(6), "b": record(6)}
    rosters, names = {"u1": ["a"], "u2": ["b"]}, {"u1": "Ann", "u2": "Bob"}
    assert ranks(standings(rosters, records, names)) == [(1, "Ann"), (1, "Bob")]
    assert ranks(standings(rosters, records, names, spent={"u1": 90, "u2": 40})) == [
        (1, "Bob"),
        (2, "Ann"),
    ]


def test_tied_members_are_listed_by_name_ignoring_case():
    rows = standings({"u1": [], "u2": [], "u3": []}, {}, {"u1": "zoe", "u2": "Adam", "u3": "mia"})
    assert ranks(rows) == [(1, "Adam"), (1, "mia"), (1, "zoe")]


def test_members_without_teams_or_without_results_still_appear_with_zero():
    rows = standings({"u1": ["arsenal"]}, {}, {"u1": "Ann", "u2": "Bob"})
    assert {(r.name, r.points, len(r.teams)) for r in rows} == {("Ann", 0, 1), ("Bob", 0, 0)}


def test_a_member_without_a_name_is_shown_by_id():
    [row] = standings({"user-7": []}, {}, {})
    assert row.name == "user-7"


def test_a_team_listed_twice_in_a_roster_counts_once():
    [row] = standings({"u1": ["a", "a"]}, {"a": record(5)}, {"u1": "Ann"})
    assert row.points == 5


def test_standings_change_when_a_result_is_corrected():
    rosters, names = {"u1": ["arsenal"], "u2": ["chelsea"]}, {"u1": "Ann", "u2": "Bob"}
    before = standings(rosters, team_points([fixture("arsenal", "chelsea", 1, 0)], FOOTBALL), names)
    after = standings(
        rosters,
        team_points(
            [fixture("arsenal", "chelsea", 1, 0), fixture("arsenal", "chelsea", 0, 3)], FOOTBALL
        ),
        names,
    )
    assert [r.name for r in before] == ["Ann", "Bob"]
    assert [r.name for r in after] == ["Bob", "Ann"]


# --- properties -------------------------------------------------------------------------

TEAM_KEYS = [t.key for t in PL]
rule_values = st.integers(min_value=0, max_value=10)


@st.composite
def valid_rules(draw):
    loss = draw(rule_values)
    draw_points = loss + draw(rule_values)
    win = draw_points + draw(rule_values)
    no_result = draw(st.integers(min_value=loss, max_value=win))
    return ScoringRules(
        win=win, draw=draw_points, loss=loss, no_result=no_result, per_goal=draw(rule_values)
    )


@st.composite
def played_fixtures(draw):
    count = draw(st.integers(min_value=0, max_value=40))
    fixtures = []
    for number in range(count):
        home, away = draw(st.lists(st.sampled_from(TEAM_KEYS), min_size=2, max_size=2, unique=True))
        if draw(st.booleans()):
            fixtures.append(
                fixture(
                    home,
                    away,
                    draw(st.integers(0, 6)),
                    draw(st.integers(0, 6)),
                    day=DAY + timedelta(days=number),
                )
            )
        else:
            fixtures.append(
                fixture(
                    home,
                    away,
                    result=draw(st.sampled_from([NO_RESULT, None])),
                    day=DAY + timedelta(days=number),
                )
            )
    return fixtures


@st.composite
def leagues(draw):
    members = draw(
        st.lists(st.text("abcdefgh", min_size=1, max_size=4), min_size=1, max_size=12, unique=True)
    )
    rosters = {m: draw(st.lists(st.sampled_from(TEAM_KEYS), max_size=4)) for m in members}
    names = {m: draw(st.sampled_from(["Ann", "Bob", "ann", m])) for m in members}
    return rosters, names


@settings(max_examples=100, deadline=None)
@given(played_fixtures(), valid_rules())
def test_points_are_never_negative_and_match_each_teams_results(fixtures, rules):
    for team_record in team_points(fixtures, rules).values():
        assert team_record.points >= 0
        assert team_record.points == sum(r.points for r in team_record.results)
        assert (
            team_record.played
            == team_record.won + team_record.drawn + team_record.lost + team_record.no_result
        )


@settings(max_examples=100, deadline=None)
@given(played_fixtures(), leagues())
def test_standings_list_every_member_once_in_an_order_consistent_with_points(fixtures, league):
    rosters, names = league
    rows = standings(rosters, team_points(fixtures, FOOTBALL), names)
    assert sorted(r.user_id for r in rows) == sorted(rosters)
    assert rows[0].rank == 1
    for position, row in enumerate(rows):
        # Competition ranking: rank = 1 + number of members strictly ahead.
        ahead = [
            other
            for other in rows
            if (-other.points, -other.wins, -other.goals_for)
            < (-row.points, -row.wins, -row.goals_for)
        ]
        assert row.rank == 1 + len(ahead)
        if position:
            previous = rows[position - 1]
            assert previous.points >= row.points
            assert previous.rank <= row.rank


@settings(max_examples=50, deadline=None)
@given(played_fixtures(), leagues())
def test_member_points_are_the_sum_of_their_teams(fixtures, league):
    rosters, names = league
    records = team_points(fixtures, FOOTBALL)
    for row in standings(rosters, records, names):
        owned = set(rosters[row.user_id])
        assert row.points == sum(records[k].points for k in owned if k in records)


@settings(max_examples=50, deadline=None)
@given(played_fixtures())
def test_input_order_of_fixtures_does_not_matter(fixtures):
    assert team_points(fixtures, FOOTBALL) == team_points(list(reversed(fixtures)), FOOTBALL)
