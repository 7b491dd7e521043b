"""Fixture imports: what a league admin sees when uploading a CSV or JSON file."""

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction_app.domain.catalog import bundled_catalog_paths, load_catalog
from auction_app.domain.fixture_files import MAX_IMPORT_BYTES
from auction_app.domain.fixtures import (
    AWAY_WIN,
    DRAW,
    HOME_WIN,
    NO_RESULT,
    FixtureImportError,
    RowProblem,
    parse_fixtures,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fixtures"
CATALOGS = {c.key: c for c in map(load_catalog, bundled_catalog_paths())}
PL = CATALOGS["premier-league"].teams
IPL = CATALOGS["ipl"].teams
HEADER = "date,home,away,home_score,away_score\n"


def parse_csv(body: str, teams=PL, header: str = HEADER):
    return parse_fixtures("results.csv", (header + body).encode(), teams)


def problems_of(filename: str, content: bytes, teams=PL) -> list[RowProblem]:
    with pytest.raises(FixtureImportError) as caught:
        parse_fixtures(filename, content, teams)
    return caught.value.problems


def csv_problems(body: str, header: str = HEADER) -> list[RowProblem]:
    return problems_of("results.csv", (header + body).encode())


def messages(problems: list[RowProblem]) -> list[str]:
    return [str(p) for p in problems]


# --- the sample files ------------------------------------------------------------


def test_premier_league_sample_csv_imports_with_names_in_mixed_forms():
    fixtures = parse_fixtures("pl.csv", (EXAMPLES / "premier-league-sample.csv").read_bytes(), PL)
    assert len(fixtures) == 20
    assert all(f.played for f in fixtures)
    by_id = {f.fixture_id: f for f in fixtures}
    # "MUN" / "ARS" short names and "  Newcastle United ", " LIV " with stray spaces
    assert by_id["2025-08-17:manchester-united:arsenal"].result == AWAY_WIN
    assert by_id["2025-08-25:newcastle-united:liverpool"].away_score == 3
    assert by_id["2025-08-16:aston-villa:newcastle-united"].result == DRAW
    assert by_id["2025-08-15:liverpool:bournemouth"].round == "Matchweek 1"


def test_premier_league_sample_json_has_results_and_unplayed_fixtures():
    fixtures = parse_fixtures("pl.json", (EXAMPLES / "premier-league-sample.json").read_bytes(), PL)
    assert len(fixtures) == 12
    unplayed = [f for f in fixtures if not f.played]
    assert [f.fixture_id for f in unplayed] == [
        "2025-09-13:arsenal:nottingham-forest",
        "2025-09-13:manchester-city:manchester-united",
    ]
    assert all(f.result is None and f.home_score is None for f in unplayed)


def test_ipl_sample_has_a_super_over_win_and_a_no_result():
    fixtures = {
        f.fixture_id: f
        for f in parse_fixtures("ipl.csv", (EXAMPLES / "ipl-sample.csv").read_bytes(), IPL)
    }
    assert len(fixtures) == 17
    super_over = fixtures["2025-04-16:delhi-capitals:rajasthan-royals"]
    assert (super_over.home_score, super_over.away_score, super_over.result) == (188, 188, HOME_WIN)
    washed_out = fixtures["2025-05-17:royal-challengers-bengaluru:kolkata-knight-riders"]
    assert washed_out.result == NO_RESULT and washed_out.home_score is None


def test_bad_sample_reports_every_bad_row_with_its_number_and_imports_nothing():
    problems = problems_of("bad.csv", (EXAMPLES / "premier-league-bad.csv").read_bytes())
    assert [p.row for p in problems] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert messages(problems) == [
        "row 3: unknown home team 'Arsnal' (did you mean 'Arsenal'?)",
        "row 4: date '16/08/2025' is not in YYYY-MM-DD form (e.g. 2025-08-16)",
        "row 5: Tottenham Hotspur can't play itself",
        "row 6: unknown home team 'Wolves'",
        "row 7: home score '-1' is negative; scores can't be below 0",
        "row 8: home score 'three' is not a whole number",
        "row 9: date '2025-02-30' is not a real calendar date",
        "row 10: only one score is filled in;"
        " give both scores, or leave both empty if not played yet",
        "row 11: the same fixture is already on row 2",
        "row 12: has 6 values but the header has 5 columns",
    ]


# --- row numbering -----------------------------------------------------------------


def test_csv_rows_count_the_header_as_row_1():
    problems = csv_problems("2025-08-16,Arsenal,Chelsea,1,0\n2025-08-16,Nowhere FC,Chelsea,1,0\n")
    assert [p.row for p in problems] == [3]


def test_blank_lines_still_count_so_numbers_match_the_editor():
    problems = csv_problems("2025-08-16,Arsenal,Chelsea,1,0\n\n\n2025-08-17,Arsenal,Arsenal,1,0\n")
    assert [p.row for p in problems] == [5]


def test_json_items_count_from_1():
    items = [
        {"date": "2025-08-16", "home": "ARS", "away": "CHE", "home_score": 1, "away_score": 0},
        {"date": "2025-08-16", "home": "XXX", "away": "FUL", "home_score": 1, "away_score": 0},
    ]
    problems = problems_of("r.json", json.dumps(items).encode())
    assert messages(problems) == ["row 2: unknown home team 'XXX'"]


def test_several_problems_in_one_row_are_all_reported():
    problems = csv_problems("2025-13-01,Nowhere,Elsewhere,x,-2\n")
    assert all(p.row == 2 for p in problems)
    assert len(problems) == 5  # date, both teams, both scores


# --- teams ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["manchester-united", "Manchester United", "MUN", " mun ", "MANCHESTER   united"]
)
def test_teams_match_by_key_name_or_short_name_ignoring_case_and_spaces(written):
    [fixture] = parse_csv(f'2025-08-17,"{written}",Arsenal,0,1\n')
    assert fixture.home == "manchester-united"


def test_fixture_id_is_the_same_however_the_team_is_written():
    [a] = parse_csv("2025-08-17,MUN,ARS,0,1\n")
    [b] = parse_csv("2025-08-17,Manchester United,arsenal,2,2\n")
    assert a.fixture_id == b.fixture_id == "2025-08-17:manchester-united:arsenal"


def test_a_team_of_another_league_is_unknown():
    assert messages(csv_problems("2025-08-16,Mumbai Indians,Chelsea,1,0\n")) == [
        "row 2: unknown home team 'Mumbai Indians'"
    ]


def test_same_fixture_twice_is_reported_even_with_home_and_away_swapped():
    problems = csv_problems(
        "2025-08-16,ARS,CHE,1,0\n2025-08-16,Chelsea,Arsenal,0,1\n"
        "2025-08-16,arsenal,chelsea,1,0\n"
    )
    assert messages(problems) == [
        "row 3: the same fixture is already on row 2",
        "row 4: the same fixture is already on row 2",
    ]


def test_the_same_teams_on_different_dates_are_different_fixtures():
    fixtures = parse_csv("2025-08-16,ARS,CHE,1,0\n2026-01-10,CHE,ARS,2,2\n")
    assert len({f.fixture_id for f in fixtures}) == 2


# --- scores and results -----------------------------------------------------------------


def test_empty_scores_mean_not_played_yet():
    [fixture] = parse_csv("2025-09-13,Arsenal,Nottingham Forest,,\n")
    assert fixture.result is None and not fixture.played


@pytest.mark.parametrize("home, away, result", [(2, 1, HOME_WIN), (0, 3, AWAY_WIN), (1, 1, DRAW)])
def test_scores_decide_the_result(home, away, result):
    [fixture] = parse_csv(f"2025-08-16,ARS,CHE,{home},{away}\n")
    assert (fixture.home_score, fixture.away_score, fixture.result) == (home, away, result)


@pytest.mark.parametrize(
    "score, reason",
    [
        ("-1", "is negative"),
        ("1.5", "is not a whole number"),
        ("two", "is not a whole number"),
        ("1000", "is too high"),
    ],
)
def test_bad_scores_are_explained(score, reason):
    [problem] = csv_problems(f"2025-08-16,ARS,CHE,{score},0\n")
    assert reason in problem.message and problem.row == 2


def test_only_one_score_is_an_error():
    [problem] = csv_problems("2025-08-16,ARS,CHE,,2\n")
    assert "only one score" in problem.message


@pytest.mark.parametrize("word", ["no-result", "No Result", "NR"])
def test_no_result_is_written_in_the_result_column_with_empty_scores(word):
    header = "date,home,away,home_score,away_score,result\n"
    [fixture] = parse_fixtures("r.csv", (header + f"2025-05-17,RCB,KKR,,,{word}\n").encode(), IPL)
    assert fixture.result == NO_RESULT and fixture.played


def test_no_result_with_scores_is_an_error():
    header = "date,home,away,home_score,away_score,result\n"
    [problem] = problems_of("r.csv", (header + "2025-05-05,SRH,DC,,133,no-result\n").encode(), IPL)
    assert problem.message == "a no-result fixture must have empty scores"


def test_explicit_winner_overrides_tied_scores_for_a_super_over():
    header = "date,home,away,home_score,away_score,result\n"
    [fixture] = parse_fixtures("r.csv", (header + "2025-04-16,DC,RR,188,188,home\n").encode(), IPL)
    assert fixture.result == HOME_WIN


def test_unknown_result_word_is_an_error():
    header = "date,home,away,home_score,away_score,result\n"
    [problem] = problems_of("r.csv", (header + "2025-04-16,DC,RR,188,188,won\n").encode(), IPL)
    assert "result 'won' is not understood" in problem.message


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["16/08/2025", "2025-8-16", "20250816", "Aug 16 2025", "2025-08-16T15:00"]
)
def test_dates_must_be_iso_form(bad):
    [problem] = csv_problems(f"{bad},ARS,CHE,1,0\n")
    assert "YYYY-MM-DD" in problem.message


def test_impossible_date_is_an_error():
    [problem] = csv_problems("2025-02-29,ARS,CHE,1,0\n")
    assert problem.message == "date '2025-02-29' is not a real calendar date"


def test_dates_become_real_dates():
    [fixture] = parse_csv("2024-02-29,ARS,CHE,1,0\n")
    assert fixture.date == date(2024, 2, 29)


# --- columns ---------------------------------------------------------------------------------


def test_missing_column_is_reported_on_the_header_row():
    problems = csv_problems("2025-08-16,ARS,CHE,1\n", header="date,home,away,home_score\n")
    assert messages(problems) == ["row 1: missing column: away_score"]


def test_unknown_column_is_reported_with_the_allowed_ones():
    problems = csv_problems("2025-08-16,ARS,CHE,1,0,Emirates\n", header=HEADER.strip() + ",venue\n")
    assert len(problems) == 1 and problems[0].row == 1
    assert "unknown column: venue" in problems[0].message
    assert "allowed columns are date, home, away" in problems[0].message


def test_a_nameless_column_is_explained():
    problems = csv_problems("2025-08-16,ARS,CHE,1,0,\n", header=HEADER.strip() + ",\n")
    assert messages(problems) == [
        "row 1: a column has no name (is there an extra comma in the header?)"
    ]


def test_header_is_case_insensitive_and_optional_columns_are_kept():
    header = "Date, Home ,AWAY,Home_Score,Away_Score,Competition,Round\n"
    [fixture] = parse_csv("2025-08-16,ARS,CHE,1,0,Premier League,Matchweek 1\n", header=header)
    assert (fixture.competition, fixture.round) == ("Premier League", "Matchweek 1")


def test_json_item_with_missing_or_extra_keys_is_reported_on_that_item():
    items = [
        {"date": "2025-08-16", "home": "ARS", "away": "CHE", "home_score": 1, "away_score": 0},
        {"date": "2025-08-16", "home": "FUL", "away": "BRE", "home_score": 1},
        {
            "date": "2025-08-17",
            "home": "EVE",
            "away": "LEE",
            "home_score": 1,
            "away_score": 0,
            "venue": "x",
        },
        "not an object",
    ]
    problems = problems_of("r.json", json.dumps(items).encode())
    assert [p.row for p in problems] == [2, 3, 4]
    assert "missing column: away_score" in problems[0].message
    assert "unknown column: venue" in problems[1].message


def test_json_scores_must_be_whole_numbers():
    items = [
        {"date": "2025-08-16", "home": "ARS", "away": "CHE", "home_score": 1.5, "away_score": True}
    ]
    problems = problems_of("r.json", json.dumps(items).encode())
    assert [p.message for p in problems] == [
        "home score '1.5' is not a whole number",
        "away score 'true' is not a whole number",
    ]


# --- whole-file problems --------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file(content):
    assert messages(problems_of("r.csv", content)) == ["the file is empty"]


def test_header_without_fixtures():
    assert messages(problems_of("r.csv", HEADER.encode())) == [
        "the file has a header but no fixtures"
    ]
    assert messages(problems_of("r.json", b"[]")) == ["the file has no fixtures"]


def test_file_over_1_mb_is_refused_before_reading():
    content = (HEADER + "2025-08-16,ARS,CHE,1,0\n" * 50_000).encode()
    assert len(content) > MAX_IMPORT_BYTES
    [problem] = problems_of("r.csv", content)
    assert problem.row == 0 and "too big" in problem.message and "1 MB" in problem.message


@pytest.mark.parametrize("name", ["results.xlsx", "results.txt", "results", "csv"])
def test_only_csv_and_json_files_are_accepted(name):
    [problem] = problems_of(name, (HEADER + "2025-08-16,ARS,CHE,1,0\n").encode())
    assert "only .csv and .json files can be imported" in problem.message


def test_extension_is_case_insensitive():
    assert (
        len(parse_fixtures("RESULTS.CSV", (HEADER + "2025-08-16,ARS,CHE,1,0\n").encode(), PL)) == 1
    )


def test_content_must_match_the_extension():
    as_json = json.dumps(
        [{"date": "2025-08-16", "home": "ARS", "away": "CHE", "home_score": 1, "away_score": 0}]
    ).encode()
    assert "contains JSON" in problems_of("r.csv", as_json)[0].message
    assert (
        "doesn't contain JSON"
        in problems_of("r.json", (HEADER + "2025-08-16,ARS,CHE,1,0\n").encode())[0].message
    )
    assert "binary file" in problems_of("r.csv", b"PK\x03\x04\x00\x00 spreadsheet")[0].message


def test_broken_json_says_where():
    [problem] = problems_of("r.json", b'[{"date": "2025-08-16",}]')
    assert problem.message.startswith("the file is not valid JSON") and "line 1" in problem.message


def test_json_must_be_a_list():
    [problem] = problems_of("r.json", b'{"date": "2025-08-16"}')
    assert "must be a list of fixtures" in problem.message


def test_non_utf8_text_is_explained():
    # Saved by an old Excel in Windows-1252: the e-acute is the single byte 0xE9.
    content = (HEADER + "2025-08-16,ARS,CHE,1,0,Atl\u00e9tico\n").encode("cp1252")
    [problem] = problems_of("r.csv", content)
    assert problem.row == 0 and "not UTF-8" in problem.message


def test_excel_byte_order_mark_is_fine():
    content = "\ufeff".encode() + (HEADER + "2025-08-16,ARS,CHE,1,0\n").encode()
    assert len(parse_fixtures("r.csv", content, PL)) == 1


def test_windows_line_endings_are_fine():
    content = (
        (HEADER + "2025-08-16,ARS,CHE,1,0\n2025-08-17,FUL,BRE,0,0\n").replace("\n", "\r\n").encode()
    )
    assert len(parse_fixtures("r.csv", content, PL)) == 2


def test_fixtures_are_immutable():
    [fixture] = parse_csv("2025-08-16,ARS,CHE,1,0\n")
    with pytest.raises(AttributeError):
        fixture.home_score = 5  # type: ignore[misc]


# --- properties ---------------------------------------------------------------------------


def team_forms(team):
    return st.sampled_from(
        [team.key, team.name, team.short, team.name.upper(), f"  {team.short.lower()} "]
    )


@st.composite
def valid_fixture_rows(draw):
    """Distinct (date, home, away) rows with scores or empty scores, teams in any written form."""
    count = draw(st.integers(min_value=1, max_value=25))
    rows, seen = [], set()
    for _ in range(count):
        day = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
        home, away = draw(st.lists(st.sampled_from(PL), min_size=2, max_size=2, unique=True))
        if (day, frozenset((home.key, away.key))) in seen:
            continue
        seen.add((day, frozenset((home.key, away.key))))
        scores = draw(st.one_of(st.just(("", "")), st.tuples(st.integers(0, 9), st.integers(0, 9))))
        rows.append((day, home, away, draw(team_forms(home)), draw(team_forms(away)), scores))
    return rows


def to_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "home", "away", "home_score", "away_score"])
    for day, _, _, home_text, away_text, (hs, as_) in rows:
        writer.writerow([day.isoformat(), home_text, away_text, hs, as_])
    return buffer.getvalue().encode()


@settings(max_examples=60, deadline=None)
@given(valid_fixture_rows())
def test_any_valid_csv_round_trips_to_the_same_fixtures(rows):
    fixtures = parse_fixtures("r.csv", to_csv(rows), PL)
    assert [(f.date, f.home, f.away) for f in fixtures] == [
        (d, h.key, a.key) for d, h, a, *_ in rows
    ]
    for fixture, (*_, (hs, as_)) in zip(fixtures, rows):
        assert fixture.home_score == (None if hs == "" else hs)
        assert fixture.played == (hs != "")


@settings(max_examples=60, deadline=None)
@given(valid_fixture_rows(), st.data())
def test_exactly_the_broken_rows_are_reported(rows, data):
    broken = data.draw(st.sets(st.integers(0, len(rows) - 1), min_size=1))
    damaged = [
        (d, h, a, "Nowhere Town" if i in broken else ht, at, s)
        for i, (d, h, a, ht, at, s) in enumerate(rows)
    ]
    problems = problems_of("r.csv", to_csv(damaged))
    assert [p.row for p in problems] == sorted(i + 2 for i in broken)
