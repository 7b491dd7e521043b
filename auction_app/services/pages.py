"""What the server-rendered pages show, gathered from the league and auction services.

No Flask here. Pages call these with the database handle and the signed-in
member's id; authorization is the league service's (`member_league`).
"""
from __future__ import annotations

from pymongo.database import Database

from auction_app.repositories import auctions as auctions_repo
from auction_app.repositories import bids as bids_repo
from auction_app.repositories import leagues as leagues_repo
from auction_app.repositories import sports as sports_repo
from auction_app.services import league_proxies
from auction_app.services import leagues as league_service
from auction_app.services import results as results_service

STATUS_WORDS = {
    leagues_repo.SETUP: "Waiting for the auction",
    leagues_repo.RUNNING: "Auction live now",
    leagues_repo.COMPLETED: "Auction completed",
}
PRACTICE = "practice"


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def dashboard(db: Database, user_id: str) -> dict:
    """My real leagues and my practice leagues, kept apart."""
    summaries = [league_service.league_summary(lg, user_id) for lg in league_service.my_leagues(db, user_id)]
    for item in summaries:
        item["status_words"] = status_words(item["status"])
        # Practice leagues all share a name: tell them apart by when they were started.
        created = item.get("created_at") or ""
        item["created_words"] = f"{created[:16].replace('T', ' ')} UTC" if created else ""
    return {"leagues": [s for s in summaries if s["kind"] != PRACTICE],
            "practice": [s for s in summaries if s["kind"] == PRACTICE]}


def tutorial_still_useful(dashboard_view: dict) -> bool:
    """The first-visit tutorial helps before a member's first auction, not after it."""
    return not any(league["status"] != leagues_repo.SETUP for league in dashboard_view["leagues"])


def team_names(db: Database, league: dict) -> dict[str, str]:
    catalog = sports_repo.get(db, league["sport_key"])
    names = {t.key: t.name for t in catalog.teams} if catalog else {}
    return {key: names.get(key, key) for key in league["team_keys"]}


def team_shorts(db: Database, league: dict) -> dict[str, str]:
    """Short names ("ARS", "CSK") for boards where a full name would wrap on a phone."""
    catalog = sports_repo.get(db, league["sport_key"])
    shorts = {t.key: t.short for t in catalog.teams} if catalog else {}
    return {key: shorts.get(key) or key[:3].upper() for key in league["team_keys"]}


def league_page(db: Database, league_id: str, user_id: str, base_url: str) -> dict:
    league = league_service.member_league(db, league_id, user_id)
    view = league_service.league_view(db, league, user_id, base_url)
    view["status_words"] = status_words(view["status"])
    view["proxies"] = league_proxies.my_proxies(db, league["_id"], user_id)["proxies"]
    return view


def room(db: Database, league_id: str, user_id: str) -> tuple[dict, dict[str, dict]]:
    """The league (for the auction room) and its teams' full and short names."""
    league = league_service.member_league(db, league_id, user_id)
    return league, room_teams(db, league)


def room_teams(db: Database, league: dict) -> dict[str, dict]:
    names, shorts = team_names(db, league), team_shorts(db, league)
    return {key: {"name": names[key], "short": shorts[key]} for key in league["team_keys"]}


def spectator(db: Database, token: str) -> tuple[dict, dict[str, dict]] | None:
    league = leagues_repo.by_spectator_token(db, token) if isinstance(token, str) and len(token) < 200 else None
    if league is None:
        return None
    return league, room_teams(db, league)


def results(db: Database, league_id: str, user_id: str) -> tuple[dict, dict | None]:
    """The league and its auction results (None before the auction starts)."""
    league = league_service.member_league(db, league_id, user_id)
    auction = auctions_repo.get(db, league["auction_id"]) if league.get("auction_id") else None
    if auction is None:
        return league, None
    data = results_service.results(db, auction)
    mark_undone(data, bids_repo.auction_log(db, auction["_id"]), team_names(db, league))
    return league, data


def mark_undone(data: dict, log: list[dict], names: dict[str, str]) -> None:
    """List the sales the commissioner undid, and mark the winning bid of each in the bid log."""
    data["undone"] = []
    for record in log:
        if record.get("kind") != "sale_undone":
            continue
        team, winner, price = record.get("team"), record.get("user_id"), record.get("amount")
        bidder = next((m["name"] for m in data["members"] if m["user_id"] == winner), "someone")
        data["undone"].append({"team_name": names.get(team, team), "bidder": bidder, "price": price})
        won = [b for b in data["bids"] if b["team_key"] == team and b["user_id"] == winner and b["amount"] == price
               and b["seq"] < record["seq"]]
        if won:
            won[-1]["undone"] = True


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "Mac"), ("CrOS", "Chromebook"), ("Linux", "Linux"))


def device_words(user_agent: str | None) -> str:
    """'Chrome on Android' instead of a raw User-Agent string; 'An app or script' for anything else."""
    ua = user_agent or ""
    browser = next((name for needle, name in _BROWSERS if needle in ua), None)
    system = next((name for needle, name in _SYSTEMS if needle in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return "An app or script" if ua else "Unknown device"
