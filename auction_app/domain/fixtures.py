"""Fixture / result imports (CSV or JSON), parsed and validated all-or-nothing.

`parse_fixtures(filename, content, teams)` returns a list of `Fixture` when the
whole file is good; otherwise it raises `FixtureImportError` whose `problems`
list holds EVERY bad row (not just the first), each as `RowProblem(row, message)`.

Row numbers, as shown to the user:

* CSV: the header is row 1, so the first data row is row 2 -- the same number
  a spreadsheet shows. Blank lines are skipped but still counted, so numbers
  match the line numbers in a text editor too.
* JSON: items of the top-level list count from 1.
* Row 0 means "the whole file" (empty, too big, wrong format, not JSON...).

Columns (CSV header names / JSON keys, case-insensitive):

    date, home, away, home_score, away_score   required
    competition, round, result                 optional

Teams are matched by key, name or short name, ignoring case and extra spaces
("arsenal", "Arsenal", "ARS"). Leave both scores empty for a fixture not yet
played. The optional `result` column is for what scores can't say: "no-result"
(abandoned, e.g. rained off; scores must be empty), or an explicit "home",
"away" or "draw" for cricket matches decided by a super over or a rain rule,
which then wins over the score comparison. See docs/fixtures-format.md.

Reading the file into rows is `auction_app.domain.fixture_files`; this module
validates the rows. Pure module: standard library only, no Flask, no database.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from auction_app.domain.catalog import Team, normalise_label
# parse_fixtures raises FixtureImportError with RowProblems: callers import them from here.
from auction_app.domain.fixture_files import FixtureImportError, RawRow, RowProblem, read_rows

MAX_SCORE = 999  # anything above is almost certainly a typo (cricket totals stay well under)
MAX_LABEL_LENGTH = 80  # competition / round text

# Values of `Fixture.result`; None means "not played yet".
HOME_WIN = "home"
AWAY_WIN = "away"
DRAW = "draw"
NO_RESULT = "no-result"

# What people may type in the `result` column, mapped to the values above.
_RESULT_WORDS = {
    "home": HOME_WIN,
    "away": AWAY_WIN,
    "draw": DRAW,
    "tie": DRAW,
    "no-result": NO_RESULT,
    "no result": NO_RESULT,
    "nr": NO_RESULT,
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE_NUMBER = re.compile(r"^\d+$")
_NEGATIVE_NUMBER = re.compile(r"^-\s*\d+(?:\.\d*)?$")


@dataclass(frozen=True)
class Fixture:
    fixture_id: str  # "YYYY-MM-DD:home-key:away-key" -- stable, so re-imports replace results
    date: date
    home: str  # team key
    away: str  # team key
    home_score: int | None
    away_score: int | None
    result: str | None  # HOME_WIN / AWAY_WIN / DRAW / NO_RESULT, or None if not played yet
    competition: str = ""
    round: str = ""

    @property
    def played(self) -> bool:
        return self.result is not None


def make_fixture_id(day: date, home_key: str, away_key: str) -> str:
    """Stable id for a fixture: the same match in a later import gets the same id.

    ':' never appears in a team key (keys are slugs), so the id is unambiguous.
    """
    return f"{day.isoformat()}:{home_key}:{away_key}"


def parse_fixtures(filename: str, content: bytes, teams: tuple[Team, ...]) -> list[Fixture]:
    """Parse a CSV or JSON fixture file; all rows must be valid or nothing is returned.

    CSV row numbers count the header as row 1, so data rows start at row 2.
    JSON items are numbered from 1. Row 0 in a problem means the whole file.
    Raises FixtureImportError listing every problem found.
    """
    rows, shape_problems = read_rows(filename, content)
    return _build_fixtures(rows, _team_lookup(teams), shape_problems)


# --- validating rows ------------------------------------------------------------------


def _team_lookup(teams: Iterable[Team]) -> dict[str, Team]:
    lookup: dict[str, Team] = {}
    for team in teams:
        for label in (team.key, team.name, team.short):
            lookup.setdefault(normalise_label(label), team)
    return lookup


def _build_fixtures(
    rows: list[RawRow], lookup: dict[str, Team], shape_problems: list[RowProblem]
) -> list[Fixture]:
    fixtures: list[Fixture] = []
    problems: list[RowProblem] = list(shape_problems)
    first_row_of_match: dict[tuple[date, frozenset[str]], int] = {}
    for row_number, values in rows:
        fixture, messages = _parse_row(values, lookup)
        problems.extend(RowProblem(row_number, m) for m in messages)
        if fixture is None:
            continue
        # Same date + same two teams (either way round) is the same match entered twice.
        match = (fixture.date, frozenset((fixture.home, fixture.away)))
        earlier = first_row_of_match.setdefault(match, row_number)
        if earlier != row_number:
            problems.append(RowProblem(row_number, f"the same fixture is already on row {earlier}"))
            continue
        fixtures.append(fixture)
    if problems:
        # Stable sort: rows in file order, each row's problems in column order.
        raise FixtureImportError(sorted(problems, key=lambda p: p.row))
    return fixtures


def _parse_row(values: dict[str, str], lookup: dict[str, Team]) -> tuple[Fixture | None, list[str]]:
    """One row -> (Fixture, []) or (None, [every problem in the row])."""
    messages: list[str] = []
    day = _parse_date(values["date"], messages)
    home = _find_team(values["home"], "home", lookup, messages)
    away = _find_team(values["away"], "away", lookup, messages)
    if home is not None and home is away:
        messages.append(f"{home.name} can't play itself")
    home_score = _parse_score(values["home_score"], "home score", messages)
    away_score = _parse_score(values["away_score"], "away score", messages)
    result = _parse_result(
        values.get("result", ""),
        values["home_score"],
        values["away_score"],
        home_score,
        away_score,
        messages,
    )
    competition = _parse_label(values.get("competition", ""), "competition", messages)
    round_label = _parse_label(values.get("round", ""), "round", messages)
    if messages:
        return None, messages
    return (
        Fixture(
            fixture_id=make_fixture_id(day, home.key, away.key),
            date=day,
            home=home.key,
            away=away.key,
            home_score=home_score,
            away_score=away_score,
            result=result,
            competition=competition,
            round=round_label,
        ),
        [],
    )


def _parse_date(raw: str, messages: list[str]) -> date | None:
    text = raw.strip()
    if not text:
        messages.append("date is empty")
        return None
    if not _ISO_DATE.match(text):
        messages.append(f"date '{text}' is not in YYYY-MM-DD form (e.g. 2025-08-16)")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        messages.append(f"date '{text}' is not a real calendar date")
        return None


def _find_team(raw: str, side: str, lookup: dict[str, Team], messages: list[str]) -> Team | None:
    label = normalise_label(raw)
    if not label:
        messages.append(f"{side} team is empty")
        return None
    team = lookup.get(label)
    if team is None:
        messages.append(f"unknown {side} team '{raw.strip()}'{_suggestion(label, lookup)}")
    return team


def _suggestion(label: str, lookup: dict[str, Team]) -> str:
    """A 'did you mean' hint for typos like 'Arsnal'."""
    close = difflib.get_close_matches(label, list(lookup), n=1, cutoff=0.75)
    return f" (did you mean '{lookup[close[0]].name}'?)" if close else ""


def _parse_score(raw: str, what: str, messages: list[str]) -> int | None:
    """'' -> None (not played); a whole number 0..MAX_SCORE -> int; anything else is a problem."""
    text = raw.strip()
    if not text:
        return None
    if _NEGATIVE_NUMBER.match(text):
        messages.append(f"{what} '{text}' is negative; scores can't be below 0")
        return None
    if not _WHOLE_NUMBER.match(text):
        messages.append(f"{what} '{text}' is not a whole number")
        return None
    score = int(text)
    if score > MAX_SCORE:
        messages.append(f"{what} {score} is too high (at most {MAX_SCORE})")
        return None
    return score


def _parse_result(
    raw: str,
    raw_home: str,
    raw_away: str,
    home_score: int | None,
    away_score: int | None,
    messages: list[str],
) -> str | None:
    """Work out the fixture's result from the `result` column and the scores."""
    word = normalise_label(raw)
    has_home, has_away = bool(raw_home.strip()), bool(raw_away.strip())
    if word and word not in _RESULT_WORDS:
        messages.append(
            f"result '{raw.strip()}' is not understood;"
            " use home, away, draw or no-result (or leave it empty)"
        )
        return None
    explicit = _RESULT_WORDS.get(word)
    if explicit == NO_RESULT:
        if has_home or has_away:
            messages.append("a no-result fixture must have empty scores")
        return NO_RESULT
    if has_home != has_away:
        messages.append(
            "only one score is filled in; give both scores, or leave both empty if not played yet"
        )
        return None
    if not has_home:
        if explicit is not None:
            messages.append(f"result '{raw.strip()}' needs both scores")
        return None  # not played yet
    if home_score is None or away_score is None:
        return None  # the score problem is already reported
    if explicit is not None:
        return explicit  # super over / rain rule: the stated winner beats the raw scores
    if home_score > away_score:
        return HOME_WIN
    return AWAY_WIN if away_score > home_score else DRAW


def _parse_label(raw: str, what: str, messages: list[str]) -> str:
    text = " ".join(raw.split())
    if len(text) > MAX_LABEL_LENGTH:
        messages.append(f"{what} is too long ({len(text)} characters, at most {MAX_LABEL_LENGTH})")
    return text
