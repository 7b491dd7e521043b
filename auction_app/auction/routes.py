"""REST API for the auction. Bids go through the same engine function as Socket.IO."""
from __future__ import annotations

import re
import time

from flask import Response, jsonify, request

from auction_app import metrics
from auction_app.auction import bp
from auction_app.auction.access import auction_for_member, auction_for_spectator, league_for_member
from auction_app.auction.ratelimit import check_bid_rate
from auction_app.auction.schemas import RestBidIn, RestNominateIn, ScheduleIn, UndoIn
from auction_app.auth.guards import current_user, login_required
from auction_app.clock import utcnow
from auction_app.effects import carry_out
from auction_app.errors import ApiError
from auction_app.extensions import limiter
from auction_app.repositories import audit, database, leagues
from auction_app import realtime
from auction_app.services import auction_engine, practice, results as results_service, schedule
from auction_app.validation import parse_json


@bp.post("/api/leagues/<league_id>/auction/start")
@login_required
def start_auction(league_id):
    user = current_user()
    league = league_for_member(league_id, user["_id"])
    auction, _ = auction_engine.start(database(), league, user["_id"], utcnow(), publish=carry_out)
    return jsonify(auction_engine.snapshot(database(), auction, user["_id"], utcnow())), 201


@bp.put("/api/leagues/<league_id>/auction/schedule")
@login_required
def schedule_auction(league_id):
    """The commissioner sets (or clears, with null) when the auction starts by itself."""
    from workers.invitations import send_schedule_notice

    user = current_user()
    body = parse_json(ScheduleIn)
    starts_at = schedule.parse_start_time(body.starts_at)
    league = schedule.schedule_auction(database(), league_id, user["_id"], starts_at, utcnow())
    starts_at = league.get("scheduled_start_at")
    realtime.emit("auction_scheduled", {"league_id": league["_id"],
                                        "starts_at": starts_at.isoformat() if starts_at else None},
                  room=auction_engine.lobby_room(league["_id"]))
    if starts_at:
        send_schedule_notice.delay(league["_id"], league["scheduled_start_ms"])
    return jsonify({"league_id": league["_id"], "starts_at": starts_at.isoformat() if starts_at else None})


@bp.post("/api/practice")
@login_required
@limiter.limit("10 per hour", key_func=lambda: current_user()["_id"],
               error_message="You've started 10 practice auctions in the last hour.")
def start_practice():
    """Start a practice auction against bots for the signed-in member."""
    user = current_user()
    league, auction, effects = practice.start_practice(database(), user, utcnow())
    carry_out(effects)
    return jsonify({"league_id": league["_id"], "auction_id": auction["_id"]}), 201


@bp.get("/api/auctions/<auction_id>")
@login_required
def auction_state(auction_id):
    user = current_user()
    auction = auction_for_member(auction_id, user["_id"])
    return jsonify(auction_engine.snapshot(database(), auction, user["_id"], utcnow()))


@bp.get("/api/spectate/<auction_id>")
def spectator_state(auction_id):
    auction = auction_for_spectator(auction_id, request.args.get("token", ""))
    return jsonify(auction_engine.snapshot(database(), auction, None, utcnow()))


@bp.get("/api/watch/<spectator_token>")
def spectator_link(spectator_token):
    """What a spectator link points at: the league and its auction (read-only, no sign-in)."""
    league = leagues.by_spectator_token(database(), spectator_token)
    if league is None:
        raise ApiError("not_found", "This spectator link isn't valid. Ask the commissioner for a new one.", 404)
    return jsonify({"league_id": league["_id"], "league_name": league["name"], "status": league["status"],
                    "auction_id": league.get("auction_id")})


@bp.post("/api/auctions/<auction_id>/bids")
@login_required
def place_bid(auction_id):
    user = current_user()
    body = parse_json(RestBidIn)
    _check_rate(user)
    started = time.perf_counter()
    result = auction_engine.place_bid(database(), auction_id, user["_id"], body.amount, body.idempotency_key,
                                      utcnow(), lot_id=body.lot_id, seen_price=_seen(body),
                                      first_attempt=not body.retry, publish=carry_out)
    metrics.observe_bid(result.accepted, result.code, time.perf_counter() - started)
    return _bid_answer(result)


@bp.post("/api/auctions/<auction_id>/nominate")
@login_required
def nominate(auction_id):
    """With nominations on: the member whose turn it is puts a team up with an opening bid."""
    user = current_user()
    body = parse_json(RestNominateIn)
    _check_rate(user)
    return _bid_answer(auction_engine.nominate(database(), auction_id, user["_id"], body.team_key, body.amount,
                                               body.idempotency_key, utcnow(), publish=carry_out))


def _check_rate(user: dict) -> None:
    limited = check_bid_rate(user["_id"])
    if limited is not None:
        raise ApiError(limited.code, limited.message, 429)


def _bid_answer(result):
    if result.accepted:
        return jsonify(result.to_ack()), (200 if result.duplicate else 201)
    return jsonify(result.to_ack()), REFUSAL_STATUS.get(result.code, 409)


# Refused bids are 409 (the auction's state said no) unless the request itself was wrong.
REFUSAL_STATUS = {"invalid_amount": 400, "lot_required": 400, "not_member": 404, "auction_not_found": 404,
                  "key_reused": 422, "team_not_available": 400, "not_your_turn": 403, "busy": 503}


def _seen(body):
    return body.seen_price if "seen_price" in body.model_fields_set else auction_engine.UNSET


CONTROLS = {
    "pause": auction_engine.pause,
    "resume": auction_engine.resume,
    "skip": auction_engine.skip,
    "undo": auction_engine.undo_last_sale,
    "end": auction_engine.end_early,
}


@bp.post("/api/auctions/<auction_id>/<action>")
@login_required
def commissioner_control(auction_id, action):
    if action not in CONTROLS:
        raise ApiError("not_found", "We couldn't find that action.", 404)
    user = current_user()
    auction_for_member(auction_id, user["_id"])
    extra = {}
    if action == "undo" and request.get_data():
        extra["team_key"] = parse_json(UndoIn).team_key
    CONTROLS[action](database(), auction_id, user["_id"], utcnow(), publish=carry_out, **extra)
    auction = auction_for_member(auction_id, user["_id"])
    return jsonify(auction_engine.snapshot(database(), auction, user["_id"], utcnow()))


@bp.get("/api/auctions/<auction_id>/results")
@login_required
def results(auction_id):
    return jsonify(_member_results(auction_id))


def _member_results(auction_id: str) -> dict:
    return results_service.results(database(), auction_for_member(auction_id, current_user()["_id"]))


@bp.get("/api/auctions/<auction_id>/results.csv")
@login_required
def results_csv(auction_id):
    data = _member_results(auction_id)
    return _csv(results_service.results_csv(data), _file_name(data, "results"))


@bp.get("/api/auctions/<auction_id>/bids.csv")
@login_required
def bids_csv(auction_id):
    data = _member_results(auction_id)
    return _csv(results_service.bids_csv(data), _file_name(data, "bids"))


def _file_name(data: dict, what: str) -> str:
    """'friday-club-results.csv': named after the league, in letters a file system accepts."""
    league = leagues.get(database(), data["league_id"]) or {}
    slug = re.sub(r"[^a-z0-9]+", "-", (league.get("name") or "auction").lower()).strip("-")[:60] or "auction"
    return f"{slug}-{what}.csv"


@bp.get("/api/auctions/<auction_id>/audit")
@login_required
def audit_log(auction_id):
    user = current_user()
    auction = auction_for_member(auction_id, user["_id"])
    if auction["commissioner_id"] != user["_id"]:
        raise ApiError("not_commissioner", "Only the commissioner can see the audit log.", 403)
    entries = audit.for_league(database(), auction["league_id"])
    return jsonify([{"action": e["action"], "actor_id": e["actor_id"], "at": e["at"].isoformat(),
                     "details": e.get("details") or {}} for e in entries])


def _csv(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
