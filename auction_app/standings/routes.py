"""Standings endpoints (see docs/standings.md).

JSON under /api; the standings page at /leagues/<id>/standings; the weekly
summary's unsubscribe page at /email/unsubscribe/<token> (no sign-in).
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from auction_app import realtime
from auction_app.auth.guards import admin_required, current_user, login_required
from auction_app.clock import utcnow
from auction_app.domain.fixture_files import MAX_IMPORT_BYTES
from auction_app.errors import ApiError
from auction_app.extensions import limiter
from auction_app.repositories import database
from auction_app.security import state
from auction_app.services import charts
from auction_app.services import standings as service
from auction_app.services import weekly_summary
from auction_app.services.leagues import is_commissioner
from auction_app.standings import bp
from auction_app.standings.schemas import EmailPreferencesIn, ScoringIn
from auction_app.validation import parse_json

# Room for multipart headers around a 1 MB file; anything bigger is refused unread.
MAX_UPLOAD_BYTES = MAX_IMPORT_BYTES + 64 * 1024
IMPORTS_PER_HOUR = 5

log = logging.getLogger(__name__)


def broadcast(league_id: str, view: dict, reason: str) -> None:
    """Everyone with the league's standings page open gets the new table at once.

    The change is already saved when this runs, so a broken message queue must not
    turn it into an error: pages re-fetch the table whenever they reconnect.
    """
    try:
        realtime.emit("standings_updated", {"league_id": league_id, "reason": reason, "standings": view},
                      room=service.room(league_id))
    except Exception:  # noqa: BLE001
        log.exception("standings broadcast failed league=%s reason=%s", league_id, reason)


# --------------------------------------------------------------------------- imports

def _per_league() -> str:
    return f"league:{request.view_args.get('league_id', '')}"


def _per_sport() -> str:
    return f"sport:{request.view_args.get('sport_key', '')}"


def _applied(response) -> bool:
    return response.status_code == 200


def _attempted(response) -> bool:
    # Sign-in, membership and role refusals never use up the league's allowance.
    return response.status_code not in (401, 403, 404, 429)


def _upload() -> tuple[str, bytes]:
    """(filename, bytes) from a multipart `file` field, or a raw CSV / JSON body."""
    request.max_content_length = MAX_UPLOAD_BYTES
    try:
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise ApiError("no_file", "Please choose a CSV or JSON file to upload.", 400)
            return upload.filename, upload.read(MAX_IMPORT_BYTES + 1)
        if request.mimetype == "application/json":
            return "upload.json", request.get_data(cache=False)
        if request.mimetype in ("text/csv", "application/csv"):
            return "upload.csv", request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise ApiError("too_large", f"Nothing was imported: the file is too big; the limit is "
                                    f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB.", 413) from None
    raise ApiError("unsupported_media_type",
                   "Upload the file as a form field named 'file', or send the file itself with "
                   "Content-Type text/csv or application/json.", 415)


@bp.post("/api/leagues/<league_id>/fixtures")
@login_required
@limiter.limit(f"{IMPORTS_PER_HOUR} per hour", key_func=_per_league, scope="fixture-import",
               error_message=f"This league has already imported fixtures {IMPORTS_PER_HOUR} times in the last hour.",
               deduct_when=_applied)
@limiter.limit("30 per hour", key_func=_per_league, scope="fixture-import-attempts",
               error_message="There have been a lot of import attempts for this league in the last hour.",
               deduct_when=_attempted)
def import_fixtures(league_id: str):
    user = current_user()
    db = database()
    # Membership and role before the body is read: a non-member gets 404, a member 403.
    league = service.member_league(db, league_id, user["_id"])
    service.require_commissioner(league, user["_id"], "import fixtures and results")
    filename, content = _upload()
    league, summary = service.import_for_league(db, league_id, user["_id"], filename, content, utcnow())
    view = service.standings_view(db, league)
    broadcast(league["_id"], view, "import")
    return jsonify({"import": summary, "standings": view})


@bp.post("/api/admin/sports/<sport_key>/fixtures")
@admin_required
@limiter.limit(f"{IMPORTS_PER_HOUR * 4} per hour", key_func=_per_sport, scope="sport-fixture-import",
               error_message="This sport's fixtures have been imported many times in the last hour.",
               deduct_when=_attempted)
def import_sport_fixtures(sport_key: str):
    from workers.standings import broadcast_leagues

    user = current_user()
    filename, content = _upload()
    summary, league_ids = service.import_for_sport(database(), sport_key, user["_id"], filename, content, utcnow())
    if league_ids:
        # Possibly many leagues: recompute and broadcast from a worker, not in this request.
        try:
            broadcast_leagues.delay(league_ids, "import")
        except Exception:  # noqa: BLE001  (saved already; pages re-fetch on reconnect)
            log.exception("could not queue standings broadcast sport=%s", sport_key)
    return jsonify({"import": summary, "leagues_affected": len(league_ids)})


# --------------------------------------------------------------------------- reading

@bp.get("/api/leagues/<league_id>/standings")
@login_required
def get_standings(league_id: str):
    return jsonify(service.member_standings(database(), league_id, current_user()["_id"]))


@bp.get("/api/leagues/<league_id>/teams/<team_key>/results")
@login_required
def team_results(league_id: str, team_key: str):
    return jsonify(service.team_results(database(), league_id, current_user()["_id"], team_key))


# --------------------------------------------------------------------------- scoring rules

@bp.get("/api/leagues/<league_id>/scoring")
@login_required
def get_scoring(league_id: str):
    return jsonify(service.rules_view(database(), league_id, current_user()["_id"]))


def _rules_changed(league_id: str, changes: dict | None):
    user = current_user()
    db = database()
    league = service.update_rules(db, league_id, user["_id"], changes, utcnow())
    view = service.standings_view(db, league)
    broadcast(league["_id"], view, "scoring")
    return jsonify({"rules": view["rules"], "rules_are_default": view["rules_are_default"], "standings": view})


@bp.put("/api/leagues/<league_id>/scoring")
@login_required
def put_scoring(league_id: str):
    user = current_user()
    league = service.member_league(database(), league_id, user["_id"])
    service.require_commissioner(league, user["_id"], "change the scoring rules")
    changes = parse_json(ScoringIn).changes()
    if not changes:
        raise ApiError("invalid_request", "Send at least one of: win, draw, loss, no_result, per_goal.", 400)
    return _rules_changed(league_id, changes)


@bp.delete("/api/leagues/<league_id>/scoring")
@login_required
def reset_scoring(league_id: str):
    return _rules_changed(league_id, None)


# --------------------------------------------------------------------------- email preferences

@bp.get("/api/account/email-preferences")
@login_required
def email_preferences():
    return jsonify({"weekly_summary": weekly_summary.wants_weekly_summary(current_user())})


@bp.put("/api/account/email-preferences")
@login_required
def set_email_preferences():
    body = parse_json(EmailPreferencesIn)
    weekly_summary.set_weekly_summary(database(), current_user()["_id"], body.weekly_summary)
    return jsonify({"weekly_summary": body.weekly_summary})


# --------------------------------------------------------------------------- pages

@bp.get("/leagues/<league_id>/standings")
@login_required
def standings_page(league_id: str):
    user = current_user()
    db = database()
    league = service.member_league(db, league_id, user["_id"])
    view = service.standings_view(db, league)
    return render_template("standings/standings.html", view=view, league=league, season=charts.season(db, league),
                           is_commissioner=is_commissioner(league, user["_id"]), me=user["_id"])


@bp.get("/leagues/<league_id>/standings/season.json")
@login_required
def season_chart(league_id: str):
    """The season chart's numbers (the page redraws it after a live update)."""
    db = database()
    league = service.member_league(db, league_id, current_user()["_id"])
    return jsonify(charts.season(db, league))


def _unsubscribe_user(token: str) -> str:
    state().no_referrer = True  # the token is in the URL: never send it on as a Referer
    state().private_page = True
    user_id = weekly_summary.user_id_from_unsubscribe(current_app.config["SECRET_KEY"], token)
    if user_id is None:
        raise ApiError("invalid_link", "This unsubscribe link isn't valid. You can switch the weekly "
                                       "summary off on your account page instead.", 404)
    return user_id


@bp.get("/email/unsubscribe/<token>")
def unsubscribe_page(token: str):
    _unsubscribe_user(token)
    # A button, not an automatic change: mail scanners open links, people press buttons.
    return render_template("standings/unsubscribe.html", token=token, done=False)


@bp.post("/email/unsubscribe/<token>")
def unsubscribe(token: str):
    user_id = _unsubscribe_user(token)
    weekly_summary.set_weekly_summary(database(), user_id, False)
    return render_template("standings/unsubscribe.html", token=token, done=True)
