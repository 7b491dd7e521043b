"""The weekly standings summary by email: who wants it, what it says, the unsubscribe link.

No Flask here; workers/standings.py sends it (beat, weekly) and the standings routes
switch it on and off.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from pymongo.database import Database

from auction_app.domain.scoring import EMPTY_RECORD
from auction_app.repositories import leagues as leagues_repo
from auction_app.repositories import users as users_repo
from auction_app.services.standings import compute, score_label, team_name

WEEKLY_SUMMARY = "weekly_summary"  # the email preference name on the user
_UNSUBSCRIBE_SALT = "weekly-summary-unsubscribe"


def unsubscribe_token(secret: str, user_id: str) -> str:
    """A signed token that switches the weekly summary off for one user, no sign-in needed."""
    return URLSafeSerializer(secret, salt=_UNSUBSCRIBE_SALT).dumps({"u": user_id})


def user_id_from_unsubscribe(secret: str, token: str) -> str | None:
    try:
        data = URLSafeSerializer(secret, salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, str) else None


def set_weekly_summary(db: Database, user_id: str, enabled: bool) -> bool:
    return users_repo.set_email_preference(db, user_id, WEEKLY_SUMMARY, enabled)


def wants_weekly_summary(user: dict) -> bool:
    return users_repo.wants_email(user, WEEKLY_SUMMARY)


def iso_week(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def weekly_summaries(db: Database, league_id: str, now: datetime) -> list[dict]:
    """One summary per opted-in member: {user_id, email, subject, text, context}. [] if nothing to say."""
    league = leagues_repo.get(db, league_id)
    if league is None:
        return []
    ctx, records, rows = compute(db, league)
    label = score_label(ctx.catalog)
    since = (now - timedelta(days=7)).date()
    users = {u["_id"]: u for u in users_repo.get_many(db, list(ctx.names))}
    out = []
    for row in rows:
        user = users.get(row.user_id)
        if user is None or not user.get("email") or user.get("disabled_at") or not wants_weekly_summary(user):
            continue
        recent = []
        for team in row.teams:
            for r in records.get(team.team_key, EMPTY_RECORD).results:
                if r.date >= since:
                    recent.append({"date": r.date.isoformat(), "team": team_name(ctx.catalog, team.team_key),
                                   "opponent": team_name(ctx.catalog, r.opponent), "outcome": r.outcome,
                                   "score": f"{r.goals_for}-{r.goals_against}", "points": r.points})
        recent.sort(key=lambda r: r["date"])
        context = {
            "league_name": league["name"], "name": row.name, "rank": row.rank, "rank_text": _ordinal(row.rank),
            "members": len(rows), "points": row.points, "label": label,
            "table": [{"rank": r.rank, "name": r.name, "points": r.points, "me": r.user_id == row.user_id}
                      for r in rows],
            "teams": [{"name": team_name(ctx.catalog, t.team_key), "points": t.points, "won": t.won,
                       "drawn": t.drawn, "lost": t.lost} for t in row.teams],
            "recent": recent,
        }
        out.append({"user_id": row.user_id, "email": user["email"],
                    "subject": f"Your week in {league['name']}: {_ordinal(row.rank)} of {len(rows)}",
                    "context": context})
    return out


def summary_text(context: dict, link: str, unsubscribe_link: str) -> str:
    c = context
    lines = [f"Hi {c['name']},", "",
             f"You're {c['rank_text']} of {c['members']} in {c['league_name']} with {c['points']} points.", "",
             "Standings:"]
    for r in c["table"]:
        lines.append(f"  {r['rank']:>2}. {r['name']} - {r['points']} pts{'  <- you' if r['me'] else ''}")
    lines += ["", "Your teams:"]
    for t in c["teams"] or [{"name": "no teams", "points": 0, "won": 0, "drawn": 0, "lost": 0}]:
        lines.append(f"  {t['name']}: {t['points']} pts (won {t['won']}, drawn {t['drawn']}, lost {t['lost']})")
    lines += ["", "Your teams' results in the last 7 days:"]
    if c["recent"]:
        for r in c["recent"]:
            lines.append(f"  {r['date']} {r['team']} {r['score']} v {r['opponent']} ({r['outcome']}, "
                         f"+{r['points']} pts)")
    else:
        lines.append("  none this week")
    lines += ["", f"Full standings: {link}", "",
              "You get this summary once a week. To stop it, open this link (no sign-in needed):",
              unsubscribe_link, "or switch it off on your account page."]
    return "\n".join(lines)
