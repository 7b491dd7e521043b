"""Joining a league (invite links), inviting by email, leaving and removing members.

No Flask here; errors are `LeagueError`s, as in `services/leagues.py`.

Membership changes are single atomic conditional updates in the leagues
repository (`join`, `remove_member`), so a race for the last seat can never
overfill a league. When one of them does nothing we re-read the league and
explain why (full, started, token rotated, already a member).
"""
from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from pymongo.database import Database

from auction_app.auth import revocation
from auction_app.repositories import audit
from auction_app.repositories import leagues as leagues_repo
from auction_app.repositories import proxies as proxies_repo
from auction_app.repositories import sports as sports_repo
from auction_app.services.leagues import (
    MEMBER, SETUP, LeagueError, display_name, invite_link, is_commissioner, member_league, require_commissioner,
    started_error,
)

# --------------------------------------------------------------------------- invitations and joining

INVITE_INVALID = "This invite link is no longer valid. Ask the commissioner for a new one."


def _invite_invalid() -> LeagueError:
    return LeagueError("invite_invalid", INVITE_INVALID, 404)


def _league_by_token(db: Database, token) -> dict:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise _invite_invalid()
    league = leagues_repo.by_invite_token(db, token)
    if league is None:
        raise _invite_invalid()
    return league


def _join_refusal(league: dict, user_id: str) -> LeagueError | None:
    """Why `user_id` can't join `league` now (None if nothing stops them)."""
    if user_id in (league.get("members") or {}):
        return LeagueError("already_member", f"You're already a member of {league['name']}.", 409,
                           details={"league_id": league["_id"]})
    if league["status"] != SETUP:
        return started_error(f"The auction for {league['name']} has already started, so new members can't join.")
    if league["member_count"] >= league["settings"]["max_members"]:
        return LeagueError("league_full", f"{league['name']} is full: it already has "
                                          f"{league['settings']['max_members']} members. "
                                          "Ask the commissioner to make room.", 409)
    return None


def invite_preview(db: Database, token, user_id: str | None = None) -> dict:
    """What the join page shows before someone joins."""
    league = _league_by_token(db, token)
    catalog = sports_repo.get(db, league["sport_key"])
    commissioner = (league.get("members") or {}).get(league["commissioner_id"], {})
    refusal = _join_refusal(league, user_id or "")
    return {
        "league": {
            "name": league["name"],
            "sport": {"key": league["sport_key"], "name": catalog.name if catalog else league["sport_key"]},
            "commissioner_name": commissioner.get("name"),
            "member_count": league["member_count"],
            "max_members": league["settings"]["max_members"],
            "status": league["status"],
            "team_count": len(league["team_keys"]),
            "budget": league["settings"]["budget"],
            "roster_slots": league["settings"]["roster_slots"],
        },
        "can_join": refusal is None,
        "reason": None if refusal is None else {"code": refusal.code, "message": refusal.message},
        "league_id": league["_id"] if refusal is not None and refusal.code == "already_member" else None,
    }


def join_with_invite(db: Database, token, user: dict, now: datetime) -> dict:
    """Join the league the invite token belongs to. One atomic conditional update."""
    league = _league_by_token(db, token)
    user_id = user["_id"]
    member = {"name": display_name(user), "role": MEMBER, "joined_at": now}
    joined = leagues_repo.join(db, league["_id"], user_id, member, invite_token=token)
    if joined is not None:
        audit.record(db, league["_id"], user_id, "member_joined", now)
        return joined
    # Nothing changed: say why, from the league as it is now.
    current = leagues_repo.get(db, league["_id"])
    if current is None:
        raise _invite_invalid()
    refusal = _join_refusal(current, user_id)
    if refusal is not None and refusal.code == "already_member":
        raise refusal
    if current.get("invite_token") != token:
        raise _invite_invalid()
    if refusal is not None:
        raise refusal
    raise LeagueError("join_failed", "We couldn't add you just now. Please try again.", 409)


def check_invitation_emails(emails: list[str]) -> tuple[list[str], list[dict]]:
    """Split addresses into ones we'll invite (normalised) and ones we won't, with reasons."""
    accepted: list[str] = []
    rejected: list[dict] = []
    seen: set[str] = set()
    for raw in emails:
        try:
            address = validate_email(raw, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            rejected.append({"email": raw, "code": "invalid_email", "reason": str(exc)})
            continue
        if address.lower() in seen:
            rejected.append({"email": raw, "code": "duplicate", "reason": "This address is listed more than once."})
            continue
        seen.add(address.lower())
        accepted.append(address)
    return accepted, rejected


def plan_invitations(db: Database, league_id, user_id: str, emails: list[str], now: datetime) -> tuple[dict, list[str], list[dict]]:
    """Check the commissioner may invite and which addresses to send to. The caller queues the mail."""
    league = member_league(db, league_id, user_id)
    require_commissioner(league, user_id, "send invitations")
    if league["status"] != SETUP:
        raise started_error("The auction has started, so nobody new can join.")
    if league["member_count"] >= league["settings"]["max_members"]:
        raise LeagueError("league_full", f"{league['name']} is full, so there is nobody more to invite. "
                                         "Raise the maximum number of members first.", 409)
    accepted, rejected = check_invitation_emails(emails)
    if accepted:
        audit.record(db, league["_id"], user_id, "invitations_sent", now, count=len(accepted))
    return league, accepted, rejected


def invitation_context(db: Database, league_id: str, inviter_id: str, base_url: str) -> dict | None:
    """What an invitation email says, from the league as it is when the email is sent.

    None when there is nothing to invite to any more (league gone or started).
    """
    league = leagues_repo.get(db, league_id)
    if league is None or league["status"] != SETUP:
        return None
    catalog = sports_repo.get(db, league["sport_key"])
    inviter = (league.get("members") or {}).get(inviter_id) or \
        (league.get("members") or {}).get(league["commissioner_id"], {})
    return {
        "league_name": league["name"],
        "sport_name": catalog.name if catalog else league["sport_key"],
        "inviter_name": inviter.get("name") or "Your commissioner",
        "invite_link": invite_link(base_url, league),
        "budget": league["settings"]["budget"],
        "roster_slots": league["settings"]["roster_slots"],
        "member_count": league["member_count"],
        "max_members": league["settings"]["max_members"],
    }


# --------------------------------------------------------------------------- leaving and removal

def leave_league(db: Database, league_id, user_id: str, now: datetime) -> None:
    league = member_league(db, league_id, user_id)
    if is_commissioner(league, user_id):
        raise LeagueError("commissioner_cannot_leave",
                          "You're the commissioner, so you can't leave your own league.", 409)
    if league["status"] != SETUP:
        raise started_error("The auction has started, so members can't leave any more.")
    if not leagues_repo.remove_member(db, league["_id"], user_id):
        current = member_league(db, league["_id"], user_id)  # 404 if already gone
        if current["status"] != SETUP:
            raise started_error("The auction has started, so members can't leave any more.")
        raise LeagueError("leave_failed", "We couldn't take you out of the league just now. Please try again.", 409)
    proxies_repo.clear_for_member(db, league["_id"], user_id)
    audit.record(db, league["_id"], user_id, "member_left", now)
    revocation.membership_ended(league["_id"], user_id)


def remove_member(db: Database, league_id, actor_id: str, target_id, now: datetime) -> dict:
    league = member_league(db, league_id, actor_id)
    require_commissioner(league, actor_id, "remove members")
    if target_id == league["commissioner_id"]:
        raise LeagueError("cannot_remove_commissioner", "The commissioner can't be removed from the league.", 400)
    if not isinstance(target_id, str) or target_id not in league["members"]:
        raise LeagueError("member_not_found", "That person isn't a member of this league.", 404)
    if league["status"] != SETUP:
        raise started_error("The auction has started, so members can't be removed any more.")
    name = league["members"][target_id].get("name")
    if not leagues_repo.remove_member(db, league["_id"], target_id):
        current = leagues_repo.get(db, league["_id"])
        if current is None or target_id not in current["members"]:
            raise LeagueError("member_not_found", "That person isn't a member of this league.", 404)
        if current["status"] != SETUP:
            raise started_error("The auction has started, so members can't be removed any more.")
        raise LeagueError("remove_failed", "We couldn't remove that member just now. Please try again.", 409)
    proxies_repo.clear_for_member(db, league["_id"], target_id)
    audit.record(db, league["_id"], actor_id, "member_removed", now, member_id=target_id, member_name=name)
    revocation.membership_ended(league["_id"], target_id)  # open sockets leave the league's rooms at once
    return leagues_repo.get(db, league["_id"])
