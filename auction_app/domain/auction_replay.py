"""Replay an auction's log (bids and auction_log records, by sequence number) and
check it against the rules. The result must equal what the auction document says:
the backup drill and the engine's tests compare the two.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from auction_app.domain.auction_rules import AuctionSettings, minimum_next_bid, status_after_no_sale


class ReplayError(ValueError):
    """The log holds something the rules would not have allowed, or has a gap."""


@dataclass
class Replayed:
    spent: dict[str, int]
    filled: dict[str, int]
    lots: dict[str, dict] = field(default_factory=dict)   # team -> {"status", "winner_id", "price"}
    completed: bool = False
    last_seq: int = 0


def replay(records: list[dict], *, settings: AuctionSettings, member_ids: list[str],
           lot_order: list[str]) -> Replayed:
    state = Replayed({m: 0 for m in member_ids}, {m: 0 for m in member_ids},
                     {t: {"status": "pending", "winner_id": None, "price": None} for t in lot_order})
    lot: dict | None = None
    for record in sorted(records, key=lambda r: r["seq"]):
        if record["seq"] != state.last_seq + 1:
            raise ReplayError(f"the log jumps from {state.last_seq} to {record['seq']}")
        state.last_seq = record["seq"]
        kind, team = record["kind"], record.get("team") or record.get("team_key")
        if kind == "lot_opened":
            lot = {"team": team, "price": None, "leader": None, "round": record.get("round", 1)}
            state.lots[team]["status"] = "open"
        elif kind == "bid_placed":
            _check_bid(record, lot, settings, state)
            lot.update(price=record["amount"], leader=record["user_id"])
        elif kind in ("lot_closed", "lot_skipped"):
            _close(record, lot, state, sold=kind == "lot_closed" and lot and lot["leader"] is not None)
            lot = None
        elif kind == "sale_undone":
            state.spent[record["user_id"]] -= record["amount"]
            state.filled[record["user_id"]] -= 1
            state.lots[team] = {"status": "pending", "winner_id": None, "price": None}
        elif kind == "auction_completed":
            state.completed = True
    return state


def _check_bid(record: dict, lot: dict | None, s: AuctionSettings, state: Replayed) -> None:
    if lot is None or lot["team"] != record["team_key"]:
        raise ReplayError(f"bid {record['seq']} is on a team that isn't on the block")
    if record["amount"] < minimum_next_bid(lot["price"], s):
        raise ReplayError(f"bid {record['seq']} of {record['amount']} is below the minimum")
    if record["user_id"] == lot["leader"]:
        raise ReplayError(f"bid {record['seq']} outbids its own bidder")
    budget_left = s.budget - state.spent[record["user_id"]]
    slots_left = s.roster_slots - state.filled[record["user_id"]]
    if slots_left <= 0 or record["amount"] > budget_left - (slots_left - 1) * s.min_bid:
        raise ReplayError(f"bid {record['seq']} is over its bidder's maximum")


def _close(record: dict, lot: dict | None, state: Replayed, *, sold: bool) -> None:
    if lot is None:
        raise ReplayError(f"record {record['seq']} closes a lot that isn't open")
    team = lot["team"]
    if sold:
        if (record.get("user_id"), record.get("amount")) != (lot["leader"], lot["price"]):
            raise ReplayError(f"lot {team} sold to someone other than its leader, or at another price")
        state.spent[lot["leader"]] += lot["price"]
        state.filled[lot["leader"]] += 1
        state.lots[team] = {"status": "sold", "winner_id": lot["leader"], "price": lot["price"]}
    else:
        state.lots[team] = {"status": status_after_no_sale(lot["round"]), "winner_id": None, "price": None}


def differences(replayed: Replayed, auction: dict) -> list[str]:
    """What the auction document says that its replayed log does not (empty: they agree)."""
    found = []
    if replayed.last_seq != auction["seq"]:
        found.append(f"log ends at {replayed.last_seq}, auction is at {auction['seq']}")
    for uid, member in auction["members"].items():
        if (replayed.spent[uid], replayed.filled[uid]) != (member["spent"], member["filled"]):
            found.append(f"member {uid}: log says spent {replayed.spent[uid]}/{replayed.filled[uid]} teams, "
                         f"auction says {member['spent']}/{member['filled']}")
    for team, lot in auction["lots"].items():
        mine = replayed.lots[team]
        if (mine["status"], mine.get("winner_id"), mine.get("price")) != \
                (lot["status"], lot.get("winner_id"), lot.get("price")):
            found.append(f"team {team}: log says {mine}, auction says {lot}")
    if replayed.completed != (auction["status"] == "completed"):
        found.append("completion differs")
    return found
