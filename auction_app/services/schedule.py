"""When a league's auction starts by itself (the commissioner can still start it earlier).

Plain module: no Flask. The clock sweep starts a league once its time has come
(auction_engine.start_scheduled); members are told by email and on the league page.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo.database import Database

from auction_app.repositories import audit, leagues as leagues_repo
from auction_app.services.leagues import LeagueError, member_league, require_commissioner

EARLIEST = timedelta(minutes=1)
LATEST = timedelta(days=60)


def parse_start_time(text: str | None) -> datetime | None:
    """An ISO 8601 time with its time zone ('2026-12-05T19:30:00+00:00'), or None."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise LeagueError("invalid_start_time", "Give the start time as a date and time, "
                                                "like 2026-12-05T19:30:00+00:00.", 400) from None
    if value.tzinfo is None:
        raise LeagueError("invalid_start_time", "Give the start time with its time zone.", 400)
    return value.astimezone(timezone.utc)


def schedule_auction(db: Database, league_id, user_id: str, starts_at: datetime | None, now: datetime) -> dict:
    """Set or clear the start time. Returns the league as it is now."""
    league = member_league(db, league_id, user_id)
    require_commissioner(league, user_id, "schedule the auction")
    if league["status"] != leagues_repo.SETUP:
        raise LeagueError("league_started", "The auction has already started.", 409)
    if starts_at is not None:
        if starts_at < now + EARLIEST:
            raise LeagueError("invalid_start_time", "Choose a start time at least a minute from now.", 400)
        if starts_at > now + LATEST:
            raise LeagueError("invalid_start_time", "Choose a start time within the next 60 days.", 400)
    updated = leagues_repo.schedule_start(db, league["_id"], starts_at)
    if updated is None:
        raise LeagueError("league_started", "The auction has already started.", 409)
    audit.record(db, league["_id"], user_id, "auction_scheduled" if starts_at else "auction_unscheduled", now,
                 starts_at=starts_at.isoformat() if starts_at else None)
    return updated


def schedule_notice_context(db: Database, league_id: str, base_url: str) -> dict | None:
    """What the 'your auction has a start time' email says (None when there is nothing to say)."""
    league = leagues_repo.get(db, league_id)
    if league is None or league["status"] != leagues_repo.SETUP or not league.get("scheduled_start_at"):
        return None
    return {"league_name": league["name"], "starts_at": league["scheduled_start_at"],
            "link": f"{base_url}/leagues/{league['_id']}",
            "commissioner_name": league["members"][league["commissioner_id"]]["name"],
            "member_ids": [uid for uid in league["member_ids"] if uid != league["commissioner_id"]]}
