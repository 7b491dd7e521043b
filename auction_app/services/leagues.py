"""Leagues: creating, reading, settings, links and who may do what (the business rules).

Joining, invitations and leaving are in `services/membership.py`; hidden maximums in
`services/league_proxies.py`. Both get their league through `member_league` here.

No Flask here. Every function takes a database handle and plain values and
either returns plain data or raises `LeagueError` (a stable code, a sentence a
member understands, an HTTP-like status) that the route layer turns into a
response.

Authorization is decided here, once, for every operation on a league:

* `member_league` is the only way an operation gets hold of a league. Anyone
  who is not a member gets the same "not found" as for a league that does not
  exist, so a member of league A learns nothing about league B.
* Commissioner-only operations then call `require_commissioner` (403 for
  members).

"""
from __future__ import annotations

import secrets
from dataclasses import asdict, fields
from datetime import datetime

from pymongo.database import Database

from auction_app.auth import revocation
from auction_app.domain.auction_rules import AuctionSettings, settings_problems
from auction_app.domain.catalog import Catalog
from auction_app.services.errors import ServiceError
from auction_app.repositories import audit
from auction_app.repositories import leagues as leagues_repo
from auction_app.repositories import sports as sports_repo
from auction_app.repositories._dates import as_utc

SETUP, RUNNING, COMPLETED = leagues_repo.SETUP, leagues_repo.RUNNING, leagues_repo.COMPLETED

SETTING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AuctionSettings))
DEFAULT_MAX_MEMBERS = 16
MIN_MEMBERS_LIMIT = 2
MAX_MEMBERS_LIMIT = 50
MAX_INVITATIONS = 50
KINDS = ("real", "practice")
LOT_ORDER_MODES = ("random", "custom")

COMMISSIONER = "commissioner"
MEMBER = "member"

_random = secrets.SystemRandom()


class LeagueError(ServiceError):
    """A refusal about leagues, membership or proxies."""


# --------------------------------------------------------------------------- ids and tokens

def new_id() -> str:
    return secrets.token_urlsafe(9)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def invite_link(base_url: str, league: dict) -> str:
    return f"{base_url.rstrip('/')}/join/{league['invite_token']}"


def spectator_link(base_url: str, league: dict) -> str:
    return f"{base_url.rstrip('/')}/watch/{league['spectator_token']}"


# --------------------------------------------------------------------------- access

def _not_found() -> LeagueError:
    return LeagueError("league_not_found", "We couldn't find that league.", 404)


def member_league(db: Database, league_id, user_id: str) -> dict:
    """The league if `user_id` is a member of it; otherwise 'not found' (existence is not revealed)."""
    league = leagues_repo.get(db, league_id) if isinstance(league_id, str) else None
    if league is None or user_id not in (league.get("members") or {}):
        raise _not_found()
    return league


def is_commissioner(league: dict, user_id: str) -> bool:
    return league.get("commissioner_id") == user_id


def require_commissioner(league: dict, user_id: str, action: str) -> None:
    if not is_commissioner(league, user_id):
        raise LeagueError("not_commissioner", f"Only the commissioner can {action}.", 403)


def started_error(message: str) -> LeagueError:
    return LeagueError("league_started", message, 409)


# --------------------------------------------------------------------------- catalogs

def catalogs(db: Database) -> list[Catalog]:
    return sports_repo.all_catalogs(db)


def catalog_view(catalog: Catalog) -> dict:
    return {"key": catalog.key, "name": catalog.name, "sport": catalog.sport,
            "teams": [asdict(t) for t in catalog.teams]}


def _catalog_for(db: Database, sport_key) -> Catalog:
    catalog = sports_repo.get(db, sport_key) if isinstance(sport_key, str) else None
    if catalog is None:
        known = ", ".join(c.key for c in sports_repo.all_catalogs(db)) or "none loaded yet"
        raise LeagueError("unknown_sport", f"'{sport_key}' is not a sport we know (available: {known}).", 400,
                          details=[f"'{sport_key}' is not a sport we know."])
    return catalog


# --------------------------------------------------------------------------- settings planning

def _team_problems(catalog: Catalog, team_keys: list[str]) -> list[str]:
    problems = []
    if not team_keys:
        problems.append("Pick at least one team for the auction.")
    unknown = [k for k in dict.fromkeys(team_keys) if catalog.team(k) is None]
    if unknown:
        listed = ", ".join(f"'{k}'" for k in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        problems.append(f"{'This team is' if len(unknown) == 1 else 'These teams are'} not in the "
                        f"{catalog.name}: {listed}.")
    repeated = [k for k in dict.fromkeys(team_keys) if team_keys.count(k) > 1]
    if repeated:
        problems.append(f"Each team can be in the auction only once; repeated: {', '.join(repeated)}.")
    return problems


def _order_problems(team_keys: list[str], lot_order: list[str]) -> list[str]:
    problems = []
    wanted = set(team_keys)
    missing = [k for k in team_keys if k not in lot_order]
    extra = [k for k in dict.fromkeys(lot_order) if k not in wanted]
    repeated = [k for k in dict.fromkeys(lot_order) if lot_order.count(k) > 1]
    if missing:
        problems.append(f"The lot order must list every team in the auction; missing: {', '.join(missing)}.")
    if extra:
        problems.append(f"The lot order lists teams that aren't in the auction: {', '.join(extra)}.")
    if repeated:
        problems.append(f"The lot order lists a team more than once: {', '.join(repeated)}.")
    return problems


def _plan_setup(catalog: Catalog, current: dict | None, changes: dict, member_count: int) -> dict:
    """The league fields (settings, team_keys, lot_order) after applying `changes`.

    `current` is the league being edited, or None for a new league. `changes`
    holds only what the organiser sent (setting names, max_members, team_keys,
    lot_order_mode, lot_order). Raises LeagueError with every problem at once.
    """
    problems: list[str] = []
    base_settings = {**asdict(AuctionSettings()), **current["settings"]} if current else {
        **asdict(AuctionSettings()), "max_members": DEFAULT_MAX_MEMBERS, "lot_order_mode": "random"}
    settings = dict(base_settings)
    for name in SETTING_FIELDS:
        if changes.get(name) is not None:
            settings[name] = changes[name]

    # Teams: default every team of the catalog; stored in catalog order for a stable display.
    teams_changed = False
    if changes.get("team_keys") is not None:
        requested = list(changes["team_keys"])
        team_problems = _team_problems(catalog, requested)
        problems += team_problems
        chosen = set(requested)
        team_keys = [t.key for t in catalog.teams if t.key in chosen]
        teams_changed = current is None or team_keys != list(current["team_keys"])
    elif current is not None:
        team_keys = list(current["team_keys"])
        team_problems = []
    else:
        team_keys = [t.key for t in catalog.teams]
        team_problems = []
        teams_changed = True

    max_members = changes.get("max_members")
    if max_members is not None:
        if not MIN_MEMBERS_LIMIT <= max_members <= MAX_MEMBERS_LIMIT:
            problems.append(f"The maximum number of members must be between {MIN_MEMBERS_LIMIT} "
                            f"and {MAX_MEMBERS_LIMIT}.")
        elif max_members < member_count:
            problems.append(f"The league already has {member_count} members, so the maximum can't be "
                            f"lower than {member_count}.")
        settings["max_members"] = max_members

    if not team_problems:
        auction_settings = AuctionSettings(**{name: settings[name] for name in SETTING_FIELDS})
        problems += settings_problems(auction_settings, len(team_keys))

    # Lot order: random (drawn now and recorded) or the commissioner's own.
    sent_order = changes.get("lot_order")
    mode = changes.get("lot_order_mode") or ("custom" if sent_order is not None else base_settings["lot_order_mode"])
    current_order = list(current["lot_order"]) if current else []
    if mode == "random":
        if sent_order is not None:
            problems.append("A lot order can only be given when the lot order mode is 'custom'.")
            lot_order = current_order
        elif teams_changed or base_settings["lot_order_mode"] != "random" or not current_order:
            lot_order = list(team_keys)
            _random.shuffle(lot_order)
        else:
            lot_order = current_order
    else:
        if sent_order is not None:
            lot_order = list(sent_order)
            if not team_problems:
                problems += _order_problems(team_keys, lot_order)
        elif current is not None and base_settings["lot_order_mode"] == "custom":
            # Keep the commissioner's order for the teams that stay; new teams go last.
            lot_order = [k for k in current_order if k in team_keys]
            lot_order += [k for k in team_keys if k not in lot_order]
        else:
            lot_order = []
            problems.append("Please give the lot order (every team in the auction, once) "
                            "when choosing a custom order.")
    settings["lot_order_mode"] = mode

    if problems:
        raise LeagueError("invalid_settings", " ".join(problems), 400, details=problems)
    return {"settings": settings, "team_keys": team_keys, "lot_order": lot_order}


# --------------------------------------------------------------------------- create / read / update

def display_name(user: dict) -> str:
    name = (user.get("display_name") or "").strip()
    return name or (user.get("email") or "member").split("@")[0]


def create_league(db: Database, user: dict, *, name: str, sport_key: str, now: datetime,
                  kind: str = "real", changes: dict | None = None) -> dict:
    """Create a league; its creator becomes commissioner and first member."""
    catalog = _catalog_for(db, sport_key)
    plan = _plan_setup(catalog, None, changes or {}, member_count=1)
    user_id = user["_id"]
    league = {
        "_id": new_id(),
        "name": name,
        "sport_key": catalog.key,
        "kind": kind,
        "commissioner_id": user_id,
        "status": SETUP,
        "settings": plan["settings"],
        "team_keys": plan["team_keys"],
        "lot_order": plan["lot_order"],
        "invite_token": new_token(),
        "spectator_token": new_token(),
        "members": {user_id: {"name": display_name(user), "role": COMMISSIONER, "joined_at": now}},
        "member_ids": [user_id],
        "member_count": 1,
        "created_at": now,
        "updated_at": now,
    }
    leagues_repo.insert(db, league)
    audit.record(db, league["_id"], user_id, "league_created", now, name=name, sport_key=catalog.key)
    return leagues_repo.get(db, league["_id"]) or league


def my_leagues(db: Database, user_id: str) -> list[dict]:
    return leagues_repo.for_member(db, user_id)


def update_league(db: Database, league_id, user_id: str, *, now: datetime, name: str | None = None,
                  changes: dict | None = None) -> dict:
    """Change name/settings/teams/lot order: commissioner only, before the auction starts."""
    changes = changes or {}
    for _attempt in range(3):
        league = member_league(db, league_id, user_id)
        require_commissioner(league, user_id, "change the league's settings")
        if league["status"] != SETUP:
            raise started_error("The auction has started, so settings can't change any more.")
        catalog = _catalog_for(db, league["sport_key"])
        plan = _plan_setup(catalog, league, changes, member_count=league["member_count"])
        update = dict(plan, updated_at=now)
        if name is not None:
            update["name"] = name
        # Only if nobody changed the league meanwhile (another edit, a join that the
        # new maximum must still leave room for): otherwise re-read and decide again.
        where = {"updated_at": league["updated_at"], "member_count": league["member_count"]}
        updated = leagues_repo.update_setup(db, league["_id"], update, where=where)
        if updated is not None:
            changed = sorted(k for k in changes if changes[k] is not None) + (["name"] if name else [])
            audit.record(db, league["_id"], user_id, "league_updated", now, fields=",".join(changed))
            return updated
    raise LeagueError("conflict", "The league changed while you were saving. Please reload and try again.", 409)


def rotate_invite(db: Database, league_id, user_id: str, now: datetime) -> dict:
    league = member_league(db, league_id, user_id)
    require_commissioner(league, user_id, "change the invite link")
    leagues_repo.rotate_invite(db, league["_id"], new_token())
    audit.record(db, league["_id"], user_id, "invite_rotated", now)
    return leagues_repo.get(db, league["_id"])


def rotate_spectator(db: Database, league_id, user_id: str, now: datetime) -> dict:
    """A new spectator link; the old one stops working, and screens watching with it are disconnected."""
    league = member_league(db, league_id, user_id)
    require_commissioner(league, user_id, "change the spectator link")
    leagues_repo.rotate_spectator(db, league["_id"], new_token())
    audit.record(db, league["_id"], user_id, "spectator_link_rotated", now)
    revocation.spectator_link_rotated(league["_id"])
    return leagues_repo.get(db, league["_id"])


# --------------------------------------------------------------------------- views

def team_view(catalog: Catalog | None, key: str) -> dict:
    team = catalog.team(key) if catalog else None
    if team is None:  # a catalog update removed it; the league keeps the key
        return {"key": key, "name": key, "short": key[:6].upper()}
    return asdict(team)


def _iso(value) -> str | None:
    value = as_utc(value)  # the local emulator reads `$set` dates back as strings
    return value.isoformat() if isinstance(value, datetime) else None


def members_view(league: dict) -> list[dict]:
    members = [
        {"user_id": uid, "name": m.get("name"), "role": m.get("role"), "joined_at": _iso(m.get("joined_at"))}
        for uid, m in (league.get("members") or {}).items()
    ]
    members.sort(key=lambda m: (m["role"] != COMMISSIONER, m["joined_at"] or "", m["user_id"]))
    return members


def league_view(db: Database, league: dict, user_id: str, base_url: str) -> dict:
    """Everything a member's league page needs. Invite link only for the commissioner."""
    catalog = sports_repo.get(db, league["sport_key"])
    commissioner = (league.get("members") or {}).get(league["commissioner_id"], {})
    view = {
        "id": league["_id"],
        "name": league["name"],
        "kind": league.get("kind", "real"),
        "status": league["status"],
        "sport": {"key": league["sport_key"], "name": catalog.name if catalog else league["sport_key"],
                  "sport": catalog.sport if catalog else None},
        "commissioner": {"user_id": league["commissioner_id"], "name": commissioner.get("name")},
        "my_role": COMMISSIONER if is_commissioner(league, user_id) else MEMBER,
        "settings": dict(league["settings"]),
        "teams": [team_view(catalog, k) for k in league["team_keys"]],
        "lot_order": [dict(team_view(catalog, k), position=i) for i, k in enumerate(league["lot_order"], 1)],
        "members": members_view(league),
        "member_count": league["member_count"],
        "max_members": league["settings"]["max_members"],
        "spectator_link": spectator_link(base_url, league),
        "auction_id": league.get("auction_id"),
        "scheduled_start_at": _iso(league.get("scheduled_start_at")),
        "created_at": _iso(league.get("created_at")),
        "updated_at": _iso(league.get("updated_at")),
    }
    if is_commissioner(league, user_id):
        view["invite_link"] = invite_link(base_url, league)
    return view


def league_summary(league: dict, user_id: str) -> dict:
    commissioner = (league.get("members") or {}).get(league["commissioner_id"], {})
    return {
        "id": league["_id"],
        "name": league["name"],
        "kind": league.get("kind", "real"),
        "status": league["status"],
        "sport_key": league["sport_key"],
        "my_role": COMMISSIONER if is_commissioner(league, user_id) else MEMBER,
        "commissioner_name": commissioner.get("name"),
        "member_count": league["member_count"],
        "max_members": league["settings"]["max_members"],
        "team_count": len(league["team_keys"]),
        "auction_id": league.get("auction_id"),
        "scheduled_start_at": _iso(league.get("scheduled_start_at")),
        "created_at": _iso(league.get("created_at")),
    }
