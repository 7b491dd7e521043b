"""HTML pages. Thin: they gather data through services and render a template."""
from __future__ import annotations

from functools import wraps

from flask import Response, current_app, redirect, render_template, request, send_from_directory
from flask_limiter.util import get_remote_address

from auction_app.auth.guards import admin_required, current_user, login_required
from auction_app.auth.schemas import safe_next
from auction_app.clock import utcnow
from auction_app.errors import ApiError
from auction_app.extensions import limiter
from auction_app.repositories import database
from auction_app.repositories import feedback as feedback_repo
from auction_app.repositories import users as users_repo
from auction_app.services import leagues as league_service
from auction_app.services import feedback as feedback_service
from auction_app.services import charts, membership, pages, practice
from auction_app.services.leagues import LeagueError
from auction_app.web import bp

AFTER_TUTORIAL = "/leagues"


def _me() -> dict:
    return current_user()


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def member_page(view):
    """A league page for someone who isn't in it (or a league that doesn't exist): say how to get in."""
    @wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except LeagueError as error:
            if error.status != 404:
                raise
            return render_template("web/not_member.html"), 404
    return run


# --------------------------------------------------------------------------- public

@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.get("/")
def landing():
    return render_template("web/landing.html")


@bp.get("/how-to-play")
def how_to_play():
    return render_template("web/how_to_play.html")


@bp.get("/guide")
def guide():
    return render_template("web/guide.html")


@bp.get("/status")
def status():
    return render_template("web/status.html")


# --------------------------------------------------------------------------- first sign-in

@bp.get("/welcome")
@login_required
def welcome():
    return render_template("web/welcome.html", next=safe_next(request.args.get("next")) or AFTER_TUTORIAL)


@bp.post("/welcome")
@login_required
def welcome_done():
    outcome = "skipped" if request.form.get("outcome") == "skipped" else "done"
    users_repo.mark_tutorial_done(database(), _me()["_id"], outcome)
    return redirect(safe_next(request.form.get("next")) or AFTER_TUTORIAL, code=303)


# --------------------------------------------------------------------------- leagues

@bp.get("/leagues")
@login_required
def dashboard():
    view = pages.dashboard(database(), _me()["_id"])
    if users_repo.needs_tutorial(_me()):
        if not pages.tutorial_still_useful(view):
            # Invited straight into a league that has already auctioned: the tutorial is old news.
            users_repo.mark_tutorial_done(database(), _me()["_id"], "skipped")
        else:
            return redirect("/welcome")
    deleted = "Practice deleted." if request.args.get("deleted") == "1" else None
    return render_template("web/dashboard.html", deleted=deleted, **view)


@bp.post("/leagues/<league_id>/practice/delete")
@login_required
def delete_practice(league_id: str):
    try:
        practice.delete_practice(database(), league_id, _me()["_id"])
    except LeagueError as error:
        view = pages.dashboard(database(), _me()["_id"])
        return render_template("web/dashboard.html", problem=error.message, **view), error.status
    return redirect("/leagues?deleted=1", code=303)


@bp.get("/leagues/new")
@login_required
def new_league():
    sports = [league_service.catalog_view(c) for c in league_service.catalogs(database())]
    return render_template("web/new_league.html", sports=sports)


@bp.get("/join/<token>")
def join(token: str):
    user = current_user()
    try:
        preview = membership.invite_preview(database(), token, user["_id"] if user else None)
    except LeagueError as error:
        return render_template("web/join.html", token=token, preview=None, problem=error.message), error.status
    return render_template("web/join.html", token=token, preview=preview, problem=None, signed_in=bool(user))


@bp.get("/leagues/<league_id>")
@login_required
@member_page
def league(league_id: str):
    view = pages.league_page(database(), league_id, _me()["_id"], _base_url())
    return render_template("web/league.html", league=view)


@bp.get("/leagues/<league_id>/auction")
@login_required
@member_page
def auction_room(league_id: str):
    league, names = pages.room(database(), league_id, _me()["_id"])
    if not league.get("auction_id"):
        return redirect(f"/leagues/{league['_id']}")
    return render_template("web/auction_room.html", league=league, team_names=names, me=_me(),
                           mode="member")


@bp.get("/watch/<token>")
def watch(token: str):
    found = pages.spectator(database(), token)
    if found is None:
        raise ApiError("not_found", "This spectator link isn't valid. Ask the commissioner for a new one.", 404)
    league, names = found
    return render_template("web/auction_room.html", league=league, team_names=names, me=None,
                           mode="spectator", spectator_token=token)


@bp.get("/leagues/<league_id>/results")
@login_required
@member_page
def results(league_id: str):
    league, data = pages.results(database(), league_id, _me()["_id"])
    pictures = None
    if data:
        pictures = {"ladders": charts.price_ladders(data), "value": charts.value(database(), league, data)}
    return render_template("web/results.html", league=league, results=data, pictures=pictures)


# --------------------------------------------------------------------------- feedback

def _feedback_key() -> str:
    user = current_user()
    return f"user:{user['_id']}" if user else f"ip:{get_remote_address()}"


@bp.get("/feedback")
def feedback():
    page = safe_next(request.args.get("from")) or ""
    return render_template("web/feedback.html", form={"page": page}, problems=[], sent=False)


def _upload() -> bytes | None:
    """The screenshot's bytes, read up to just over the limit (the service refuses bigger ones)."""
    upload = request.files.get("screenshot")
    if upload is None or not upload.filename:
        return None
    return upload.stream.read(feedback_service.MAX_SCREENSHOT_BYTES + 1)


@bp.post("/feedback")
@limiter.limit("5 per hour", key_func=_feedback_key, scope="feedback",
               error_message="You've sent 5 reports in the last hour. Thank you! Please wait before sending more.")
def feedback_submit():
    from workers.email import queue_email

    form = {k: request.form.get(k, "") for k in ("happened", "expected", "page")}
    try:
        report = feedback_service.submit(
            database(), user=current_user(), happened=form["happened"], expected=form["expected"],
            page=form["page"], user_agent=request.headers.get("User-Agent", ""), screenshot=_upload(), now=utcnow())
    except feedback_service.FeedbackError as error:
        return render_template("web/feedback.html", form=form, problems=error.problems, sent=False), 400
    subject, text = feedback_service.admin_email(report)
    admins = feedback_service.recipients(database())
    if admins:
        queue_email(admins, subject, text)
    return render_template("web/feedback.html", form={}, problems=[], sent=True)


@bp.get("/admin/feedback")
@admin_required
def admin_feedback():
    """Problem reports from members, newest first, with their screenshots."""
    return render_template("web/admin_feedback.html", reports=feedback_repo.recent(database()))


@bp.get("/admin/feedback/<report_id>/screenshot")
@admin_required
def admin_feedback_screenshot(report_id):
    report = feedback_repo.get(database(), report_id)
    shot = (report or {}).get("screenshot")
    if not shot:
        raise ApiError("not_found", "That report has no screenshot.", 404)
    return Response(bytes(shot["data"]), mimetype=shot["content_type"],
                    headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"})
