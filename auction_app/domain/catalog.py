"""Sports catalogs: a competition (e.g. the Premier League) and its teams.

A catalog is plain JSON::

    {"key": "premier-league", "name": "Premier League", "sport": "football",
     "teams": [{"key": "arsenal", "name": "Arsenal", "short": "ARS"}, ...]}

`parse_catalog` checks everything and reports *all* problems at once, in plain
words, so whoever edits a catalog file can fix it in one pass.

Pure module: standard library only, no Flask, no database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPORTS = frozenset({"football", "cricket"})
MIN_TEAMS = 2
MAX_TEAMS = 200
MAX_KEY_LENGTH = 64
MAX_NAME_LENGTH = 80
MAX_SHORT_LENGTH = 6

# Lowercase words separated by single hyphens: "manchester-united".
# Slugs end up in URLs and fixture ids, so nothing else is allowed.
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Short names are shown in tight table cells: letters and digits only.
_SHORT = re.compile(r"^[A-Za-z0-9]+$")

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "catalog" / "data"


@dataclass(frozen=True)
class Team:
    key: str
    name: str
    short: str


@dataclass(frozen=True)
class Catalog:
    key: str
    name: str
    sport: str
    teams: tuple[Team, ...]

    def team(self, key: str) -> Team | None:
        """The team with this key, or None."""
        return next((t for t in self.teams if t.key == key), None)

    @property
    def team_keys(self) -> frozenset[str]:
        return frozenset(t.key for t in self.teams)


class CatalogError(ValueError):
    """A catalog is invalid; `problems` lists every reason in plain words."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def normalise_label(text: str) -> str:
    """How names are compared: trimmed, inner spaces collapsed, case-folded.

    Shared with the fixture importer so that "Man  City " style variations are
    treated the same everywhere.
    """
    return " ".join(text.split()).casefold()


def parse_catalog(data: Any) -> Catalog:
    """Validate a catalog dict and return a `Catalog`, or raise `CatalogError`."""
    if not isinstance(data, dict):
        raise CatalogError(["the catalog must be a JSON object with key, name, sport and teams"])
    problems: list[str] = []
    key = _text_field(data, "key", "catalog", MAX_KEY_LENGTH, problems)
    name = _text_field(data, "name", "catalog", MAX_NAME_LENGTH, problems)
    sport = _text_field(data, "sport", "catalog", MAX_KEY_LENGTH, problems)
    if key is not None and not _SLUG.match(key):
        problems.append(
            f"catalog key '{key}' must be lowercase letters, digits and single hyphens"
            " (like 'premier-league')"
        )
    if sport is not None and sport not in SPORTS:
        problems.append(
            f"sport '{sport}' is not supported; use one of: {', '.join(sorted(SPORTS))}"
        )
    teams = _parse_teams(data.get("teams"), problems)
    if problems:
        raise CatalogError(problems)
    return Catalog(key=key, name=name, sport=sport, teams=tuple(teams))


def load_catalog(path: Path | str) -> Catalog:
    """Read and validate a catalog JSON file (a convenience around `parse_catalog`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError([f"{path.name} could not be read as JSON: {exc}"]) from exc
    return parse_catalog(data)


def bundled_catalog_paths() -> list[Path]:
    """The catalog JSON files shipped with the app, sorted by file name."""
    return sorted(BUNDLED_DIR.glob("*.json"))


def _text_field(
    obj: dict, field: str, where: str, max_length: int, problems: list[str]
) -> str | None:
    """A required, non-empty, trimmed string field; records a problem and returns None otherwise."""
    if field not in obj or obj[field] is None:
        problems.append(f"{where} is missing '{field}'")
        return None
    value = obj[field]
    if not isinstance(value, str):
        problems.append(f"{where} '{field}' must be text")
        return None
    value = value.strip()
    if not value:
        problems.append(f"{where} '{field}' is empty")
        return None
    if len(value) > max_length:
        problems.append(
            f"{where} '{field}' is too long ({len(value)} characters, at most {max_length})"
        )
        return None
    return value


def _parse_teams(raw: Any, problems: list[str]) -> list[Team]:
    if raw is None:
        problems.append("catalog is missing 'teams'")
        return []
    if not isinstance(raw, list):
        problems.append("catalog 'teams' must be a list")
        return []
    if len(raw) < MIN_TEAMS:
        problems.append(f"a catalog needs at least {MIN_TEAMS} teams, this one has {len(raw)}")
    if len(raw) > MAX_TEAMS:
        problems.append(f"a catalog can have at most {MAX_TEAMS} teams, this one has {len(raw)}")
        return []  # don't bury the message under thousands of per-team ones
    teams = [
        team
        for number, item in enumerate(raw, start=1)
        if (team := _parse_team(number, item, problems))
    ]
    problems.extend(_duplicate_problems(teams))
    return teams


def _parse_team(number: int, item: Any, problems: list[str]) -> Team | None:
    where = f"team {number}"
    if not isinstance(item, dict):
        problems.append(f"{where} must be an object with key, name and short")
        return None
    before = len(problems)
    key = _text_field(item, "key", where, MAX_KEY_LENGTH, problems)
    name = _text_field(item, "name", where, MAX_NAME_LENGTH, problems)
    short = _text_field(item, "short", where, MAX_SHORT_LENGTH, problems)
    if key is not None and not _SLUG.match(key):
        problems.append(
            f"{where} key '{key}' must be lowercase letters, digits and single hyphens"
            " (like 'aston-villa')"
        )
    if short is not None and not _SHORT.match(short):
        problems.append(f"{where} short name '{short}' must be letters and digits only")
    if len(problems) > before:
        return None
    return Team(key=key, name=" ".join(name.split()), short=short)


def _duplicate_problems(teams: list[Team]) -> list[str]:
    """Keys, names and short names must each be unique (names ignoring case).

    Fixture imports match a team by key, name or short name, so a label used by
    two different teams (e.g. one team's short name equal to another's name)
    would make imports ambiguous: that is reported too, once per pair of teams.
    """
    problems = _same_field_duplicates(teams, "key", "team key")
    problems += _same_field_duplicates(teams, "name", "team name")
    problems += _same_field_duplicates(teams, "short", "short name")
    problems += _cross_field_clashes(teams)
    return problems


def _same_field_duplicates(teams: list[Team], field: str, label: str) -> list[str]:
    seen: dict[str, Team] = {}
    reported: set[str] = set()
    problems = []
    for team in teams:
        value = getattr(team, field)
        first = seen.setdefault(normalise_label(value), team)
        if first is not team and normalise_label(value) not in reported:
            reported.add(normalise_label(value))
            problems.append(f"{label} '{value}' is used more than once")
    return problems


def _cross_field_clashes(teams: list[Team]) -> list[str]:
    """A label of one team equal to a *different kind* of label of another team."""
    owners: dict[str, list[tuple[str, Team]]] = {}
    for team in teams:
        for field in ("key", "name", "short"):
            owners.setdefault(normalise_label(getattr(team, field)), []).append((field, team))
    problems = []
    reported: set[tuple[str, str]] = set()
    wording = {"key": "key", "name": "name", "short": "short name"}
    for label, uses in owners.items():
        for i, (field_a, team_a) in enumerate(uses):
            later_uses = uses[i + 1:]  # each pair once
            for field_b, team_b in later_uses:
                pair = (team_a.key, team_b.key)
                # Same team, same-field duplicates and repeated keys are reported elsewhere.
                if team_a.key == team_b.key or field_a == field_b or pair in reported:
                    continue
                reported.add(pair)
                problems.append(
                    f"'{label}' is the {wording[field_a]} of '{team_a.key}'"
                    f" and the {wording[field_b]} of '{team_b.key}' "
                    "(it would be ambiguous when importing fixtures)"
                )
    return problems
