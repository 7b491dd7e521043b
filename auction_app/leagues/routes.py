"""JSON endpoints under /api for leagues and invitations (see docs/leagues.md)."""
from __future__ import annotations


from flask import current_app, jsonify
from flask_limiter.util import get_remote_address

from auction_app.auth.guards import current_user, login_required
from auction_app.clock import utcnow
from auction_app.effects import carry_out
from auction_app.extensions import limiter
from auction_app.leagues import bp
from auction_app.leagues.limits import take_invitations
from auction_app.leagues.schemas import CreateLeague, Invitations, ProxyMax, UpdateLeague
from auction_app.repositories import database
from auction_app.services import league_proxies, membership
from auction_app.services import leagues as service
from auction_app.services import auction_engine
from auction_app.validation import parse_json


def _user() -> dict:
    return current_user()  # login_required has run


def _base_url() -> str:
    # Links are built from the configured public address, never from the Host header.
    return current_app.config["PUBLIC_BASE_URL"]


def _per_user() -> str:
    user = current_user()
    return f"user:{user['_id']}" if user else f"ip:{get_remote_address()}"


# --------------------------------------------------------------------------- catalogs

@bp.get("/sports")
@login_required
def sports():
    return jsonify({"sports": [service.catalog_view(c) for c in service.catalogs(database())]})


# --------------------------------------------------------------------------- leagues

@bp.post("/leagues")
@login_required
@limiter.limit("5 per 5 minutes", key_func=_per_user, scope="league-create",
               error_message="You've created 5 leagues in the last few minutes.",
               deduct_when=lambda response: response.status_code == 201)
def create_league():
    body = parse_json(CreateLeague)
    user = _user()
    league = service.create_league(database(), user, name=body.name, sport_key=body.sport_key,
                                   kind=body.kind, changes=body.changes(), now=utcnow())
    return jsonify({"league": service.league_view(database(), league, user["_id"], _base_url())}), 201


@bp.get("/leagues")
@login_required
def my_leagues():
    user = _user()
    leagues = service.my_leagues(database(), user["_id"])
    return jsonify({"leagues": [service.league_summary(league, user["_id"]) for league in leagues]})


@bp.get("/leagues/<league_id>")
@login_required
def get_league(league_id: str):
    user = _user()
    league = service.member_league(database(), league_id, user["_id"])
    return jsonify({"league": service.league_view(database(), league, user["_id"], _base_url())})


@bp.patch("/leagues/<league_id>")
@login_required
def update_league(league_id: str):
    user = _user()
    # Membership first: a non-member gets 404 whatever they send.
    service.member_league(database(), league_id, user["_id"])
    body = parse_json(UpdateLeague)
    league = service.update_league(database(), league_id, user["_id"], name=body.name,
                                   changes=body.changes(), now=utcnow())
    return jsonify({"league": service.league_view(database(), league, user["_id"], _base_url())})


@bp.post("/leagues/<league_id>/invite-link/rotate")
@login_required
def rotate_invite(league_id: str):
    user = _user()
    league = service.rotate_invite(database(), league_id, user["_id"], utcnow())
    return jsonify({"invite_link": service.invite_link(_base_url(), league)})


@bp.post("/leagues/<league_id>/spectator-link/rotate")
@login_required
def rotate_spectator(league_id: str):
    """Commissioner only: the old spectator link stops working and its open screens are disconnected."""
    user = _user()
    league = service.rotate_spectator(database(), league_id, user["_id"], utcnow())
    return jsonify({"spectator_link": service.spectator_link(_base_url(), league)})


@bp.post("/leagues/<league_id>/invitations")
@login_required
@limiter.limit("20 per hour", key_func=_per_user, scope="league-invitations",
               error_message="You've sent a lot of invitations in the last hour.")
def send_invitations(league_id: str):
    from workers.invitations import send_invitation

    user = _user()
    service.member_league(database(), league_id, user["_id"])
    body = parse_json(Invitations)
    league, accepted, rejected = membership.plan_invitations(database(), league_id, user["_id"], body.emails, utcnow())
    take_invitations(user, len(accepted))  # per member per day, lower for new accounts
    for address in accepted:
        send_invitation.delay(league["_id"], address, user["_id"])
    return jsonify({"accepted": accepted, "rejected": rejected}), 202


@bp.post("/leagues/<league_id>/leave")
@login_required
def leave_league(league_id: str):
    membership.leave_league(database(), league_id, _user()["_id"], utcnow())
    return jsonify({"left": True})


@bp.delete("/leagues/<league_id>/members/<member_id>")
@login_required
def remove_member(league_id: str, member_id: str):
    user = _user()
    league = membership.remove_member(database(), league_id, user["_id"], member_id, utcnow())
    return jsonify({"members": service.members_view(league), "member_count": league["member_count"]})


# --------------------------------------------------------------------------- invites

@bp.get("/invites/<token>")
def invite_preview(token: str):
    # Anyone holding the link may see what they're invited to (the join page shows it before sign-in).
    user = current_user()
    return jsonify(membership.invite_preview(database(), token, user["_id"] if user else None))


@bp.post("/invites/<token>/join")
@login_required
@limiter.limit("10 per hour", key_func=_per_user, scope="league-join",
               error_message="You've tried to join 10 leagues in the last hour.")
def join(token: str):
    user = _user()
    league = membership.join_with_invite(database(), token, user, utcnow())
    return jsonify({"league": service.league_view(database(), league, user["_id"], _base_url())}), 201


# --------------------------------------------------------------------------- proxy maximums (private)

@bp.get("/leagues/<league_id>/proxies")
@login_required
def my_proxies(league_id: str):
    return jsonify(league_proxies.my_proxies(database(), league_id, _user()["_id"]))


@bp.put("/leagues/<league_id>/proxies/<team_key>")
@login_required
def set_proxy(league_id: str, team_key: str):
    user = _user()
    service.member_league(database(), league_id, user["_id"])
    body = parse_json(ProxyMax)
    mine = league_proxies.set_proxy(database(), league_id, user["_id"], team_key, body.max_amount, utcnow())
    # If that team is on the block right now, the engine bids for the new maximum at once.
    league = service.member_league(database(), league_id, user["_id"])
    if league.get("auction_id"):
        auction_engine.run_proxies(database(), league["auction_id"], utcnow(), publish=carry_out)
    return jsonify(mine)


@bp.delete("/leagues/<league_id>/proxies/<team_key>")
@login_required
def clear_proxy(league_id: str, team_key: str):
    return jsonify(league_proxies.clear_proxy(database(), league_id, _user()["_id"], team_key))
