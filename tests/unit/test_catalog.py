"""Catalog validation: what a league admin sees when picking or editing a catalog."""

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auction_app.domain.catalog import (
    MAX_TEAMS,
    Catalog,
    CatalogError,
    Team,
    bundled_catalog_paths,
    load_catalog,
    parse_catalog,
)

VALID = {
    "key": "mini-league",
    "name": "Mini League",
    "sport": "football",
    "teams": [
        {"key": "arsenal", "name": "Arsenal", "short": "ARS"},
        {"key": "chelsea", "name": "Chelsea", "short": "CHE"},
        {"key": "fulham", "name": "Fulham", "short": "FUL"},
    ],
}


def problems_of(data) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(data)
    return caught.value.problems


def with_changes(**changes):
    data = copy.deepcopy(VALID)
    data.update(changes)
    return data


def bundled(key: str) -> Catalog:
    return next(c for c in map(load_catalog, bundled_catalog_paths()) if c.key == key)


# --- bundled catalogs -----------------------------------------------------------


def test_bundled_catalogs_are_the_premier_league_and_ipl():
    assert sorted(p.name for p in bundled_catalog_paths()) == ["ipl.json", "premier-league.json"]


def test_premier_league_has_the_20_clubs_of_2025_26():
    catalog = bundled("premier-league")
    names = {t.name for t in catalog.teams}
    assert catalog.sport == "football"
    assert len(catalog.teams) == 20
    assert {"Sunderland", "Leeds United", "Burnley"} <= names  # promoted for 2025-26
    assert not {"Leicester City", "Ipswich Town", "Southampton"} & names  # relegated
    assert catalog.team("manchester-united") == Team(
        "manchester-united", "Manchester United", "MUN"
    )


def test_ipl_has_the_10_franchises():
    catalog = bundled("ipl")
    assert catalog.sport == "cricket"
    assert len(catalog.teams) == 10
    assert catalog.team("mumbai-indians").short == "MI"
    assert {t.short for t in catalog.teams} == {
        "CSK",
        "DC",
        "GT",
        "KKR",
        "LSG",
        "MI",
        "PBKS",
        "RR",
        "RCB",
        "SRH",
    }


def test_catalog_is_immutable_and_teams_are_a_tuple():
    catalog = parse_catalog(VALID)
    assert isinstance(catalog.teams, tuple)
    with pytest.raises(AttributeError):
        catalog.name = "Changed"  # type: ignore[misc]


# --- problems, in plain words ---------------------------------------------------


def test_missing_fields_are_each_named():
    problems = problems_of({"teams": VALID["teams"]})
    assert "catalog is missing 'key'" in problems
    assert "catalog is missing 'name'" in problems
    assert "catalog is missing 'sport'" in problems


def test_every_problem_is_reported_at_once_not_just_the_first():
    data = with_changes(key="Mini League", sport="golf", teams=[{"key": "a", "name": "A"}])
    problems = problems_of(data)
    assert any("lowercase letters" in p for p in problems)
    assert any("sport 'golf' is not supported" in p for p in problems)
    assert any("at least 2 teams" in p for p in problems)
    assert "team 1 is missing 'short'" in problems


def test_duplicate_team_key_name_and_short_are_reported():
    teams = VALID["teams"] + [{"key": "chelsea", "name": "ARSENAL", "short": "ful"}]
    problems = problems_of(with_changes(teams=teams))
    assert "team key 'chelsea' is used more than once" in problems
    assert "team name 'ARSENAL' is used more than once" in problems  # names ignore case
    assert "short name 'ful' is used more than once" in problems


def test_a_label_shared_by_two_teams_would_make_imports_ambiguous():
    teams = VALID["teams"] + [{"key": "che", "name": "Cheltenham", "short": "CTN"}]
    problems = problems_of(with_changes(teams=teams))
    assert any("'che'" in p and "ambiguous" in p for p in problems)


@pytest.mark.parametrize(
    "bad_key", ["Arsenal", "aston villa", "-arsenal", "arsenal-", "a--b", "ars_enal", ""]
)
def test_team_keys_must_be_slugs(bad_key):
    teams = [{"key": bad_key, "name": "X", "short": "X"}] + VALID["teams"]
    assert any("team 1" in p for p in problems_of(with_changes(teams=teams)))


def test_sport_must_be_football_or_cricket():
    assert problems_of(with_changes(sport="rugby")) == [
        "sport 'rugby' is not supported; use one of: cricket, football"
    ]
    assert parse_catalog(with_changes(sport="cricket")).sport == "cricket"


def test_too_many_teams_is_one_clear_message():
    teams = [{"key": f"t{i}", "name": f"Team {i}", "short": f"T{i}"} for i in range(MAX_TEAMS + 1)]
    assert problems_of(with_changes(teams=teams)) == [
        f"a catalog can have at most {MAX_TEAMS} teams, this one has {MAX_TEAMS + 1}"
    ]


def test_exactly_max_teams_is_fine():
    teams = [{"key": f"t{i}", "name": f"Team {i}", "short": f"T{i}"} for i in range(MAX_TEAMS)]
    assert len(parse_catalog(with_changes(teams=teams)).teams) == MAX_TEAMS


def test_too_long_strings_are_rejected_with_the_limit():
    teams = [{"key": "x", "name": "N" * 81, "short": "TOOLONG"}] + VALID["teams"]
    problems = problems_of(with_changes(name="L" * 200, teams=teams))
    assert "catalog 'name' is too long (200 characters, at most 80)" in problems
    assert "team 1 'name' is too long (81 characters, at most 80)" in problems
    assert "team 1 'short' is too long (7 characters, at most 6)" in problems


def test_wrong_types_are_explained():
    assert problems_of([]) == ["the catalog must be a JSON object with key, name, sport and teams"]
    assert "catalog 'teams' must be a list" in problems_of(with_changes(teams={"a": 1}))
    assert "catalog 'name' must be text" in problems_of(with_changes(name=5))
    assert "team 2 must be an object with key, name and short" in problems_of(
        with_changes(teams=[VALID["teams"][0], "chelsea", VALID["teams"][2]])
    )


def test_whitespace_around_values_is_trimmed():
    teams = [{"key": " arsenal ", "name": "  Arsenal ", "short": "ARS "}] + VALID["teams"][1:]
    assert parse_catalog(with_changes(teams=teams)).teams[0] == Team("arsenal", "Arsenal", "ARS")


def test_error_message_lists_all_problems():
    error = CatalogError(["first thing", "second thing"])
    assert str(error) == "first thing; second thing"


def test_unreadable_catalog_file_is_a_catalog_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert "broken.json could not be read as JSON" in caught.value.problems[0]


# --- properties -----------------------------------------------------------------

# Keys start with a-p and shorts with Q, so a key can never equal another team's short name.
slugs = st.from_regex(r"[a-p][a-z0-9]{0,7}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)


@given(st.lists(slugs, min_size=2, max_size=30, unique=True))
def test_any_set_of_distinct_teams_parses_and_keeps_order(keys):
    teams = [{"key": k, "name": f"Team {k}", "short": f"Q{i}"} for i, k in enumerate(keys)]
    catalog = parse_catalog(with_changes(teams=teams))
    assert [t.key for t in catalog.teams] == keys


@given(st.lists(slugs, min_size=2, max_size=20, unique=True), st.data())
def test_repeating_any_team_is_always_rejected(keys, data):
    teams = [{"key": k, "name": f"Team {k}", "short": f"Q{i}"} for i, k in enumerate(keys)]
    repeated = data.draw(st.sampled_from(teams))
    problems = problems_of(with_changes(teams=teams + [dict(repeated)]))
    assert f"team key '{repeated['key']}' is used more than once" in problems
