"""The auction state machine: every change to a live auction, as one pure function.

    decide(state, command, now, proxies) -> Decision

`state` is the auction document (plain dicts, lists, ints, strings and aware UTC
datetimes). The decision holds the whole new state, the log records it created
(bids and other auction events, each with the next sequence number), the
realtime events to send, and the follow-ups that must happen after the write
(league status, audit records, the results email). The engine stores the new
state, records and follow-ups in ONE conditional write and completes the
follow-ups idempotently afterwards, so this module is the only place where
auction behaviour is defined. No Flask, no database, no clock of its own.

Commands: StartAuction (builds the first state), PlaceBid, Nominate (with
nominations on, the member whose turn it is puts a team up), Tick (the clock:
close an overdue lot, open the next or ask for a nomination, nominate for a member
whose time ran out, complete), Pause, Resume, Skip, UndoLastSale, EndEarly,
ProxiesChanged. A refused command returns a Rejection and no state.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from auction_app.domain.auction_change import Change, audit_followup
from auction_app.domain.auction_commands import (  # noqa: F401  (the machine's API)
    Decision, EndEarly, Nominate, Pause, PlaceBid, ProxiesChanged, Refused, Resume, Skip, Tick, UndoLastSale,
)
from auction_app.domain.auction_rules import (
    AuctionSettings,
    LotView,
    Rejection,
    check_bid,
    offer_round,
    reject,
)
from auction_app.domain.auction_state import (  # noqa: F401  (the machine's API)
    COMPLETED, PAUSED, RUNNING, SETTINGS_FIELDS, bidder_view, close_due_at, due_at, lot_is_open, lot_view,
    public_bid, public_lot, settings_of,
)
from auction_app.domain.proxy_rules import ProxyBid

MIN_RESUME_SECONDS = 5      # a resumed lot gets at least this long (capped by the bid clock)


# --------------------------------------------------------------------------- start

def start(league: dict, actor_id: str, now: datetime, proxies: list[ProxyBid]) -> Decision:
    """The auction's first state, built from the league document as it was flipped to running."""
    auction_id = "A" + league["_id"]
    state = {
        "_id": auction_id, "league_id": league["_id"], "kind": league.get("kind", "real"),
        "commissioner_id": league["commissioner_id"], "status": RUNNING, "seq": 0,
        "settings": {k: league["settings"].get(k, getattr(AuctionSettings(), k)) for k in SETTINGS_FIELDS},
        "lot_order": list(league["lot_order"]), "member_order": list(league["member_ids"]),
        "team_names": dict(league.get("team_names") or {}),
        "members": {uid: {"name": m["name"], "spent": 0, "filled": 0, "keys": {}}
                    for uid, m in league["members"].items()},
        "lots": {team: {"status": "pending", "round": 0} for team in league["lot_order"]},
        "lot": None, "next_lot_at": now, "recent_bid_seqs": [], "proxy_version": 0,
        "started_at": now, "started_by": actor_id,
    }
    d = Change(state, now, proxies)
    d.log("auction_started", actor_id=actor_id)
    d.followups.append(audit_followup(state, actor_id, "auction_started", now))
    d.event("auction_started", {})
    d.open_next_or_complete()
    return d.decision()


# --------------------------------------------------------------------------- decide

def decide(state: dict, command, now: datetime, proxies: list[ProxyBid] = ()) -> Decision:
    """The one transition function. `proxies`: every live hidden maximum of the league."""
    handler = _HANDLERS[type(command)]
    change = Change(state, now, list(proxies))
    try:
        handler(change, command)
    except Refused as refused:
        return Decision(rejection=refused.rejection, status_code=refused.status_code)
    return change.decision()


# --------------------------------------------------------------------------- handlers

def _place_bid(c: Change, cmd: PlaceBid) -> None:
    state = c.state
    member = state["members"].get(cmd.user_id)
    if member is None:
        raise _refuse(reject("not_member"))
    earlier = (member.get("keys") or {}).get(cmd.key)
    if earlier is not None:
        seq, amount, lot_id = earlier
        if amount != cmd.amount or (cmd.lot_id is not None and lot_id != cmd.lot_id):
            raise _refuse(reject("key_reused"), 422)
        c.duplicate_of = seq
        return
    if state["status"] == COMPLETED:
        raise _refuse(reject("auction_not_running"))
    if cmd.lot_id is None:
        amount_ok = isinstance(cmd.amount, int) and not isinstance(cmd.amount, bool) and cmd.amount >= 1
        raise _refuse(reject("lot_required") if amount_ok else reject("invalid_amount"), 400)
    lot = state.get("lot")
    if lot is None or lot["id"] != cmd.lot_id:
        raise _refuse(_refusal_for_other_lot(state, cmd.lot_id))
    refusal = check_bid(amount=cmd.amount, bidder=bidder_view(state, cmd.user_id), lot=lot_view(state),
                        s=c.s, now=c.now, seen_price=cmd.seen_price)
    if refusal is not None:
        raise _refuse(_too_late(state, lot["team_key"]) if refusal.code == "too_late" else refusal)
    c.bid = c.accept_bid(cmd.user_id, cmd.amount, cmd.key)
    c.let_maximums_answer()


def _refusal_for_other_lot(state: dict, lot_id: str) -> Rejection:
    team = lot_id.split(":", 1)[0]
    if (state["lots"].get(team) or {}).get("closed_at") is None:
        return reject("lot_not_open")
    return _too_late(state, team)


def _too_late(state: dict, team: str) -> Rejection:
    """'Too late for CSK — it sold to dave for 31.' (for the lot closed, or closing, on that team)."""
    lot = state.get("lot") or {}
    if lot.get("team_key") == team and lot.get("status") == "open":
        winner, price = lot.get("leader_id"), lot.get("price")  # overdue: it sells to the leader at close
    else:
        past = state["lots"].get(team) or {}
        winner, price = past.get("winner_id"), past.get("price")
    name = (state.get("team_names") or {}).get(team, team)
    if winner:
        return Rejection("too_late", f"Too late for {name} — it sold to {state['members'][winner]['name']} for {price}.")
    return Rejection("too_late", f"Too late for {name} — its bidding closed with no sale.")


def _tick(c: Change, cmd: Tick) -> None:
    state = c.state
    if state["status"] != RUNNING:
        return
    nominating = state.get("nominating")
    if nominating:
        if c.now >= nominating["ends_at"]:
            _nominate_for(c, nominating["user_id"])
        return
    if lot_is_open(state):
        answer_at = state.get("proxies_due_at")
        if answer_at is not None and c.now >= answer_at:
            state.pop("proxies_due_at")
            c.touched = True
            c.run_proxies()
        if c.now < close_due_at(state):
            return
        c.close_lot(sell=True, kind="lot_closed")
    if state.get("next_lot_at") is None or c.now >= state["next_lot_at"]:
        c.open_next_or_complete()


def _require_commissioner(state: dict, actor_id: str) -> None:
    if state["commissioner_id"] != actor_id:
        raise Refused("not_commissioner", "Only the commissioner can do that.", 403)


def _pause(c: Change, cmd: Pause) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] != RUNNING:
        raise Refused("not_running", "The auction isn't running, so it can't be paused.")
    remaining_ms = None
    if lot_is_open(state):
        if c.now >= state["lot"]["ends_at"]:
            # Its clock ran out: the lot closes as it would have, it never pauses.
            c.close_lot(sell=True, kind="lot_closed")
        else:
            remaining_ms = int((state["lot"]["ends_at"] - c.now).total_seconds() * 1000)
    c.log("lot_paused" if remaining_ms is not None else "auction_paused", actor_id=cmd.actor_id,
          team=state["lot"]["team_key"] if remaining_ms is not None else None)
    state.update(status=PAUSED, paused_at=c.now, lot_remaining_ms=remaining_ms)
    c.followups.append(audit_followup(state, cmd.actor_id, "pause", c.now))
    c.event("auction_paused", {"remaining_ms": remaining_ms})


def _resume(c: Change, cmd: Resume) -> None:
    state, s = c.state, c.s
    _require_commissioner(state, cmd.actor_id)
    if state["status"] != PAUSED:
        raise Refused("not_paused", "The auction isn't paused.")
    ends_at = None
    if lot_is_open(state):
        remaining = timedelta(milliseconds=state.get("lot_remaining_ms") or 0)
        ends_at = c.now + max(remaining, timedelta(seconds=min(s.bid_clock_seconds, MIN_RESUME_SECONDS)))
        state["lot"]["ends_at"] = ends_at
    elif state.get("nominating"):
        state["nominating"]["ends_at"] = c.now + timedelta(seconds=s.nomination_seconds)  # a full turn again
    else:
        state["next_lot_at"] = c.now + timedelta(seconds=s.pause_between_lots_seconds)
    c.log("lot_resumed" if ends_at else "auction_resumed", actor_id=cmd.actor_id,
          team=state["lot"]["team_key"] if ends_at else None)
    state.update(status=RUNNING)
    state.pop("paused_at", None)
    state.pop("lot_remaining_ms", None)
    c.followups.append(audit_followup(state, cmd.actor_id, "resume", c.now))
    c.event("auction_resumed", {"ends_at": ends_at.isoformat() if ends_at else None,
                                "next_lot_at": None if ends_at else state["next_lot_at"].isoformat()})
    c.let_maximums_answer()


def _skip(c: Change, cmd: Skip) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] == COMPLETED or not lot_is_open(state):
        raise Refused("no_open_lot", "There's no team on the block to skip.")
    c.close_lot(sell=False, kind="lot_skipped", actor_id=cmd.actor_id)
    c.followups.append(audit_followup(state, cmd.actor_id, "skip", c.now))


def _undo(c: Change, cmd: UndoLastSale) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] == COMPLETED:
        raise Refused("auction_completed", "The auction is over, so sales can't be undone.")
    sold = [(lot["sold_seq"], team) for team, lot in state["lots"].items()
            if lot["status"] == "sold" and lot.get("sold_seq")]
    if not sold:
        raise Refused("nothing_to_undo", "There's no sale to undo yet.")
    _, team = max(sold)
    if cmd.team_key is not None and cmd.team_key != team:
        name = (state.get("team_names") or {}).get(cmd.team_key, cmd.team_key)
        raise Refused("already_undone", f"The sale of {name} isn't the last sale any more (it was already undone).")
    lot = state["lots"][team]
    winner, price = lot["winner_id"], lot["price"]
    c.log("sale_undone", team=team, user_id=winner, amount=price, actor_id=cmd.actor_id)
    state["lots"][team] = {"status": "pending", "round": 0, "undone_price": price, "undone_winner_id": winner}
    state["members"][winner]["spent"] -= price
    state["members"][winner]["filled"] -= 1
    c.followups.append(audit_followup(state, cmd.actor_id, "undo_last_sale", c.now, team=team, price=price))
    c.event("sale_undone", {"team_key": team, "user_id": winner, "price": price})


def _end_early(c: Change, cmd: EndEarly) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] == COMPLETED:
        raise Refused("auction_completed", "The auction is already over.")
    if lot_is_open(state):
        c.close_lot(sell=False, kind="lot_skipped", actor_id=cmd.actor_id)
    c.complete("ended_by_commissioner", cmd.actor_id)


def _nominate(c: Change, cmd: Nominate) -> None:
    state = c.state
    if cmd.user_id not in state["members"]:
        raise _refuse(reject("not_member"))
    earlier = (state["members"][cmd.user_id].get("keys") or {}).get(cmd.key)
    if earlier is not None:  # a retried nomination: it was put up already
        c.duplicate_of = earlier[0]
        return
    nominating = state.get("nominating")
    if state["status"] != RUNNING or not nominating:
        raise Refused("not_nominating", "Nobody is choosing a team right now.")
    if nominating["user_id"] != cmd.user_id:
        name = state["members"][nominating["user_id"]]["name"]
        raise Refused("not_your_turn", f"It's {name}'s turn to put a team up.")
    lot = state["lots"].get(cmd.team_key) if isinstance(cmd.team_key, str) else None
    if lot is None or lot["status"] not in ("pending", "unsold"):
        raise Refused("team_not_available", "That team can't be put up: it has been sold or passed, "
                                            "or isn't in this auction.", 400)
    ends_at = c.now + timedelta(seconds=c.s.lot_seconds)
    refusal = check_bid(amount=cmd.amount, bidder=bidder_view(state, cmd.user_id),
                        lot=LotView("open", None, None, ends_at), s=c.s, now=c.now)
    if refusal is not None:
        raise _refuse(refusal, 400 if refusal.code == "invalid_amount" else 409)
    state.pop("nominating")
    c.open_lot(cmd.team_key, offer_round(lot["status"]))
    c.bid = c.accept_bid(cmd.user_id, cmd.amount, cmd.key)
    c.let_maximums_answer()


def _nominate_for(c: Change, user_id: str) -> None:
    """The nomination clock ran out: the next team in the lot order comes up, opened at the
    minimum bid in the member's name (they chose nothing, but it was their turn)."""
    state, s = c.state, c.s
    state.pop("nominating")
    team = next(t for want in ("pending", "unsold") for t in state["lot_order"] if state["lots"][t]["status"] == want)
    c.open_lot(team, offer_round(state["lots"][team]["status"]))
    if check_bid(amount=s.min_bid, bidder=bidder_view(state, user_id), lot=lot_view(state), s=s, now=c.now) is None:
        c.accept_bid(user_id, s.min_bid, f"nomination:{state['seq'] + 1}", "nomination")
    c.let_maximums_answer()


def _proxies_changed(c: Change, cmd: ProxiesChanged) -> None:
    if c.state["status"] == COMPLETED:
        return
    c.state["proxy_version"] = c.state.get("proxy_version", 0) + 1
    c.touched = True  # the new version tells every process to reload the maximums
    c.run_proxies()  # the member just set it: it bids at once


def _refuse(rejection: Rejection, status_code: int = 409) -> Refused:
    return Refused(rejection.code, rejection.message, status_code)


_HANDLERS = {PlaceBid: _place_bid, Nominate: _nominate, Tick: _tick, Pause: _pause, Resume: _resume, Skip: _skip,
             UndoLastSale: _undo, EndEarly: _end_early, ProxiesChanged: _proxies_changed}
