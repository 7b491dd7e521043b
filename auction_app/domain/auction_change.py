"""A change in progress: a working copy of an auction state plus what the change produced.

The transitions in auction_machine (and auction_nomination) are built from these
steps: log a record, accept a bid, let hidden maximums answer, close a lot, open
the next one (or ask for a nomination), complete the auction. Pure: no Flask,
no database, no clock of its own.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from auction_app.domain.auction_commands import Decision
from auction_app.domain.auction_rules import (
    AuctionSettings,
    check_bid,
    extended_ends_at,
    max_bid,
    next_lot_index,
    status_after_no_sale,
)
from auction_app.domain.auction_state import (
    COMPLETED, RUNNING, bidder_view, due_at, lot_is_open, lot_view, public_bid, public_lot, settings_of,
)
from auction_app.domain.proxy_rules import ProxyBid, resolve_proxy_bids

RECENT_BIDS = 30            # the live feed: the state keeps these bids' sequence numbers


def open_lot_keys(keys: dict | None, open_lot_id: str) -> dict:
    """A member's idempotency keys worth keeping in the auction document: the open lot's.

    Every key of the open lot stays, so a resend there never counts twice and costs no read.
    Keys of a closed lot leave the document when it closes (`Change.forget_keys`): they
    live on in the bid log, where the engine looks for them when a resend names a closed lot
    (one read, only then). The document, written on every bid, thus holds one lot's keys,
    not the auction's: before, a 30-member auction carried its last 200 keys (about 13 KB)
    in every bid's write."""
    return {key: entry for key, entry in (keys or {}).items() if entry[2] == open_lot_id}


def working_copy(state: dict) -> dict:
    """A copy of `state` that a change may modify without touching the original.

    Only what changes modify is copied (the lot, each team's lot, each member, the nomination
    turn): a deep copy of the whole auction was the largest cost of a bid. A member's keys are
    copied by the one change that adds a key (`accept_bid`). Everything else (settings, orders,
    recent bids, records) is replaced, never modified."""
    new = dict(state)
    for name in ("lot", "nominating", "settings"):
        if isinstance(state.get(name), dict):
            new[name] = dict(state[name])
    new["lots"] = {team: dict(lot) for team, lot in (state.get("lots") or {}).items()}
    new["members"] = {uid: dict(member) for uid, member in (state.get("members") or {}).items()}
    return new


class Change:
    """A working copy of the state plus what the change produced so far."""

    def __init__(self, state: dict, now: datetime, proxies: list[ProxyBid]):
        self.state = working_copy(state)
        self.now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # what the database keeps
        self.proxies = proxies
        self.records: list[dict] = []
        self.events: list[tuple[str, dict]] = []
        self.followups: list[dict] = []
        self.bid: dict | None = None
        self.duplicate_of: int | None = None
        self.touched = False

    @property
    def s(self) -> AuctionSettings:
        return settings_of(self.state)

    def decision(self) -> Decision:
        if not self.touched:
            return Decision(bid=self.bid, duplicate_of=self.duplicate_of)
        self.state["version"] = self.state.get("version", 0) + 1  # what the conditional write checks
        due = due_at(self.state)
        if due is None:
            self.state.pop("due_at", None)
        else:
            self.state["due_at"] = due
        return Decision(self.state, records=self.records, events=self.events, followups=self.followups,
                        bid=self.bid)

    def next_seq(self) -> int:
        self.touched = True
        self.state["seq"] += 1
        return self.state["seq"]

    def log(self, kind: str, **fields) -> int:
        seq = self.next_seq()
        doc = {"_id": f"{self.state['_id']}:{seq}", "auction_id": self.state["_id"], "seq": seq, "kind": kind,
               "at": self.now, **{k: v for k, v in fields.items() if v is not None}}
        self.records.append({"collection": "auction_log", "doc": doc})
        return seq

    def event(self, name: str, payload: dict) -> None:
        self.events.append((name, {"auction_id": self.state["_id"], "seq": self.state["seq"], **payload}))

    # ---- bids

    def accept_bid(self, user_id: str, amount: int, key: str, source: str = "manual") -> dict:
        state, lot, s = self.state, self.state["lot"], self.s
        seq = self.next_seq()
        ends_at = extended_ends_at(lot["ends_at"], self.now, s)
        bid = {"_id": f"{state['_id']}:{seq}", "auction_id": state["_id"], "league_id": state["league_id"],
               "lot_id": lot["id"], "team_key": lot["team_key"], "round": lot["round"], "user_id": user_id,
               "amount": amount, "seq": seq, "at": self.now, "idempotency_key": key, "source": source,
               "kind": "bid_placed"}
        self.records.append({"collection": "bids", "doc": bid})
        extended_ms = int((ends_at - lot["ends_at"]).total_seconds() * 1000)
        lot.update(price=amount, leader_id=user_id, ends_at=ends_at, bid_count=lot.get("bid_count", 0) + 1)
        if source == "manual":
            member = state["members"][user_id]
            keys = open_lot_keys(member.get("keys"), lot["id"])  # a new dict: the given state's stay as they were
            if len(keys) < len(member.get("keys") or {}):  # keys a document stored before lots shed theirs
                member["forgot_keys"] = True
            keys[key] = [seq, amount, lot["id"]]
            member["keys"] = keys
        # The feed's bids themselves are in the bid log (auction_store.recent_bids): 30 of them
        # were a third of the document every bid writes.
        feed = state.get("recent_bid_seqs")
        if feed is None:  # a document that stored the feed's bids themselves: the same bids, by seq
            feed = [b["seq"] for b in state.pop("recent_bids", None) or []]
        state["recent_bid_seqs"] = feed[-(RECENT_BIDS - 1):] + [seq]
        self.event("bid_accepted", {"bid": public_bid(bid), "bidder_name": state["members"][user_id]["name"],
                                    "ends_at": ends_at.isoformat(), "extended_ms": extended_ms,
                                    "min_next_bid": amount + s.min_increment})
        return bid

    def let_maximums_answer(self) -> None:
        """Hidden maximums answer now, or after the league's delay (the clock sweep runs them then)."""
        delay = self.s.proxy_delay_ms
        if delay <= 0:
            self.run_proxies()
        elif self.state["status"] == RUNNING and lot_is_open(self.state) and self.proxies:
            jitter = (self.state["seq"] * 7919) % 1000  # varies like a person, yet the machine stays pure
            self.state["proxies_due_at"] = self.now + timedelta(milliseconds=delay + jitter)
            self.touched = True

    def run_proxies(self) -> None:
        """Place the bids hidden maximums call for on the open lot, until nothing changes."""
        if self.state["status"] != RUNNING or not lot_is_open(self.state) or not self.proxies:
            return
        for _ in range(2 * len(self.state["members"]) + 2):
            team = self.state["lot"]["team_key"]
            wanted = resolve_proxy_bids(
                lot=lot_view(self.state),
                proxies=[p for p in self.proxies if p.team_key == team and p.user_id in self.state["members"]],
                bidders={uid: bidder_view(self.state, uid) for uid in self.state["members"]},
                s=self.s)
            if not wanted:
                return
            for placed in wanted:
                if check_bid(amount=placed.amount, bidder=bidder_view(self.state, placed.user_id),
                             lot=lot_view(self.state), s=self.s, now=self.now) is not None:
                    return
                self.accept_bid(placed.user_id, placed.amount, f"proxy:{self.state['seq'] + 1}", "proxy")

    # ---- lots

    def close_lot(self, *, sell: bool, kind: str, actor_id: str | None = None) -> None:
        """Close the lot on the block: sold (with settlement) or no sale."""
        state, lot = self.state, self.state["lot"]
        team = lot["team_key"]
        winner = lot.get("leader_id") if sell else None
        price = lot.get("price") if winner else None
        status = "sold" if winner else status_after_no_sale(lot["round"])
        closed_at = min(self.now, lot["ends_at"]) if kind == "lot_closed" else self.now
        seq = self.log(kind, team=team, user_id=winner, amount=price, actor_id=actor_id,
                       cancelled_price=None if sell else lot.get("price"), ends_at=lot["ends_at"])
        lot.update(status=status, closed_at=closed_at)
        self.forget_keys()
        state.pop("proxies_due_at", None)
        state["lots"][team] = {"status": status, "round": lot["round"], "price": price, "winner_id": winner,
                               "sold_seq": seq if winner else None, "closed_at": closed_at}
        if winner:
            state["members"][winner]["spent"] += price
            state["members"][winner]["filled"] += 1
        state["next_lot_at"] = self.now + timedelta(seconds=self.s.pause_between_lots_seconds)
        payload = {"lot_id": lot["id"], "team_key": team, "status": status, "winner_id": winner, "price": price,
                   "winner_name": state["members"][winner]["name"] if winner else None,
                   "ends_at": lot["ends_at"].isoformat(), "closed_at": closed_at.isoformat(),
                   "clock_close": kind == "lot_closed", "next_lot_at": state["next_lot_at"].isoformat()}
        if kind == "lot_skipped":
            self.event("lot_skipped", {**payload, "had_bids": lot.get("leader_id") is not None,
                                       "cancelled_price": lot.get("price"),
                                       "cancelled_leader_id": lot.get("leader_id")})
        else:
            self.event("lot_sold" if winner else "lot_unsold", payload)

    def forget_keys(self) -> None:
        """A lot closed: its keys (the only ones the document holds) leave it; the bid log answers
        their resends (`open_lot_keys`)."""
        for member in self.state["members"].values():
            if member.get("keys"):
                member["keys"] = {}  # a new dict: the given state's stay as they were
                member["forgot_keys"] = True  # the engine then looks in the bid log for a resend's key

    def open_next_or_complete(self) -> None:
        """Put the next team up (or, with nominations, ask whose turn it is to choose one)."""
        state, s = self.state, self.s
        statuses = {team: lot["status"] for team, lot in state["lots"].items()}
        anyone_has_room = any(m["filled"] < s.roster_slots for m in state["members"].values())
        nxt = next_lot_index(state["lot_order"], statuses, anyone_has_room=anyone_has_room)
        if nxt is None:
            self.complete("rosters_full" if not anyone_has_room else "no_lots_left")
            return
        if s.nomination_seconds > 0:
            nominator = self.next_nominator()
            if nominator is not None:
                self.ask_for_nomination(nominator)
                return
        self.open_lot(nxt.team, nxt.round)
        self.let_maximums_answer()

    def open_lot(self, team: str, round_: int) -> dict:
        state, s = self.state, self.s
        seq = self.log("lot_opened", team=team, round=round_)
        ends_at = self.now + timedelta(seconds=s.lot_seconds)
        # The id names the team, the round and the opening, so it is never reused (an undone
        # sale's team comes up again under a new id).
        lot = {"id": f"{team}:r{round_}:{seq}", "team_key": team, "round": round_, "status": "open",
               "price": None, "leader_id": None, "opened_at": self.now, "ends_at": ends_at, "bid_count": 0}
        state["lot"] = lot
        state["lots"][team] = dict(state["lots"][team], status="open", round=round_)
        self.event("lot_opened", {"lot": public_lot(lot, s), "position": position(state)})
        return lot

    # ---- nominations

    def next_nominator(self) -> str | None:
        """Members take turns in member order; a member who can't bid on anything more is skipped."""
        state, s = self.state, self.s
        order = state["member_order"]
        last = state.get("nomination_turn", -1)
        for step in range(1, len(order) + 1):
            index = (last + step) % len(order)
            view = bidder_view(state, order[index])
            if max_bid(view.budget_left, view.slots_left, s.min_bid) >= s.min_bid:
                state["nomination_turn"] = index
                return order[index]
        return None

    def ask_for_nomination(self, user_id: str) -> None:
        state = self.state
        ends_at = self.now + timedelta(seconds=self.s.nomination_seconds)
        self.log("nomination_turn", user_id=user_id)
        state["nominating"] = {"user_id": user_id, "ends_at": ends_at}
        self.event("nomination_turn", {"user_id": user_id, "name": state["members"][user_id]["name"],
                                       "ends_at": ends_at.isoformat(), "position": position(state)})

    def complete(self, reason: str, actor_id: str | None = None) -> None:
        state = self.state
        self.log("auction_completed", actor_id=actor_id, reason=reason)
        state.update(status=COMPLETED, completed_at=self.now, completed_reason=reason)
        state.pop("nominating", None)
        state.pop("paused_at", None)
        state.pop("lot_remaining_ms", None)
        self.followups += [
            {"op": "league_completed", "league_id": state["league_id"]},
            audit_followup(state, actor_id or "system", "auction_completed", self.now, reason=reason),
        ]
        if state.get("kind") != "practice":
            self.followups.append({"op": "task", "task": "send_results", "id": f"results:{state['_id']}"})
        self.event("auction_completed", {"reason": reason})


def position(state: dict) -> dict:
    """'Team 4 of 10': how far the auction has come."""
    done = sum(1 for lot in state["lots"].values() if lot["status"] in ("sold", "passed"))
    return {"number": done + 1, "of": len(state["lot_order"])}


def audit_followup(state: dict, actor_id: str, action: str, at: datetime, **details) -> dict:
    return {"op": "audit", "doc": {"_id": f"{state['_id']}:{state['seq']}:audit", "league_id": state["league_id"],
                                   "actor_id": actor_id, "action": action, "at": at, "details": details}}
