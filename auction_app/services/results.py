"""Auction results: rosters with prices, unsold teams, the bid log, CSV exports."""
from __future__ import annotations

import csv
import io

from pymongo.database import Database

from auction_app.repositories import bids, leagues, sports
from auction_app.services import auction_store


def results(db: Database, auction: dict) -> dict:
    auction_store.complete_outbox(db, auction)
    catalog = sports.get(db, _sport_key(db, auction))
    names = {t.key: t.name for t in catalog.teams} if catalog else {}
    budget = auction["settings"]["budget"]
    rosters = {uid: [] for uid in auction["member_order"]}
    unsold = []
    for team in auction["lot_order"]:
        lot = auction["lots"][team]
        if lot["status"] == "sold":
            rosters[lot["winner_id"]].append({"team_key": team, "team_name": names.get(team, team),
                                              "price": lot["price"]})
        else:
            unsold.append({"team_key": team, "team_name": names.get(team, team), "status": lot["status"]})
    members = []
    for uid in auction["member_order"]:
        spent = sum(r["price"] for r in rosters[uid])
        members.append({"user_id": uid, "name": auction["members"][uid]["name"], "spent": spent,
                        "remaining": budget - spent, "roster": rosters[uid]})
    log = [{"seq": b["seq"], "at": b["at"].isoformat(), "team_key": b["team_key"],
            "team_name": names.get(b["team_key"], b["team_key"]), "user_id": b["user_id"],
            "bidder": auction["members"].get(b["user_id"], {}).get("name", "?"), "amount": b["amount"],
            "source": b["source"]} for b in bids.log(db, auction["_id"])]
    return {"auction_id": auction["_id"], "league_id": auction["league_id"], "status": auction["status"],
            "completed_reason": auction.get("completed_reason"), "budget": budget, "members": members,
            "unsold": unsold, "bids": log}


def _sport_key(db: Database, auction: dict) -> str:
    league = leagues.get(db, auction["league_id"])
    return league["sport_key"] if league else ""


# A spreadsheet treats a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|...).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text: text starting like a formula gets a leading apostrophe.

    Numbers are left as numbers (a negative number is not text a person typed)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer that neutralises formula-like text in every cell. Use it for every CSV we write."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, row) -> None:
        self._writer.writerow([safe_cell(v) for v in row])


def results_csv(data: dict) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["member", "team", "price", "member_spent", "member_remaining"])
    for member in data["members"]:
        for item in member["roster"]:
            writer.writerow([member["name"], item["team_name"], item["price"], member["spent"], member["remaining"]])
    for item in data["unsold"]:
        writer.writerow(["(unsold)", item["team_name"], "", "", ""])
    return out.getvalue()


def bids_csv(data: dict) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    # No "source" column: whether a hidden maximum placed a bid stays private, after the auction too.
    writer.writerow(["seq", "time_utc", "team", "bidder", "amount"])
    for b in data["bids"]:
        writer.writerow([b["seq"], b["at"], b["team_name"], b["bidder"], b["amount"]])
    return out.getvalue()


def results_email_text(data: dict, league_name: str, link: str) -> str:
    lines = [f"The auction for {league_name} is over. Here is who got which team:", ""]
    for member in data["members"]:
        lines.append(f"{member['name']} (spent {member['spent']}, {member['remaining']} left)")
        for item in member["roster"] or [{"team_name": "no teams", "price": ""}]:
            price = f" for {item['price']}" if item["price"] != "" else ""
            lines.append(f"  - {item['team_name']}{price}")
        lines.append("")
    if data["unsold"]:
        lines.append("Not sold: " + ", ".join(u["team_name"] for u in data["unsold"]))
        lines.append("")
    lines.append(f"Full results and the bid log: {link}")
    return "\n".join(lines)
