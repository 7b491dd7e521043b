"""The live auction engine: load, decide, commit. Nothing else.

Every operation is a command for the one state machine
(auction_app.domain.auction_machine.decide). The engine loads the auction
(completing the last change's outbox first), asks the machine, and commits the
new state with ONE conditional write (auction_store.commit). Losing that race
means someone else changed the auction first: it re-reads and decides again.

Operations return `Effects` (realtime events, clock triggers, tasks). When the
caller passes `publish`, the engine hands the effects to it while it still holds
the auction's in-process lock, so events leave in sequence order. Plain module:
no Flask, no Celery.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from pymongo.database import Database

from auction_app.domain import auction_machine as machine
from auction_app.domain.auction_rules import UNSET, Rejection, reject
from auction_app.repositories import auctions, bids, leagues, sports
from auction_app.services import auction_store as store
from auction_app.services import price_floors
from auction_app.services.auction_views import lobby_room, public_bid, room, snapshot  # noqa: F401  (read API)
from auction_app.services.errors import ServiceError

log = logging.getLogger(__name__)

# Refusals a resend can get once its lot closed (a resend naming the closed lot, or no lot): its
# key left the auction document with the lot (`open_lot_keys`), and the bid log answers for it.
CLOSED_LOT_REFUSALS = frozenset({"too_late", "lot_not_open", "auction_not_running", "lot_required"})
MAX_ATTEMPTS = 60  # re-reads after losing a race; each loss means someone else progressed


class EngineError(ServiceError):
    """A refused auction action (start, commissioner controls)."""


@dataclass
class Effects:
    events: list[tuple[str, str, dict]] = field(default_factory=list)  # (auction_id, event, payload)
    triggers: list[tuple[str, datetime]] = field(default_factory=list)  # (auction_id, when the clock is due)
    tasks: list[tuple[str, str]] = field(default_factory=list)          # (task, auction_id)
    done: list[tuple[str, int]] = field(default_factory=list)           # follow-ups to mark done once tasks queued
    lobby_events: list[tuple[str, str, dict]] = field(default_factory=list)  # (league_id, event, payload)
    published: bool = False

    def extend(self, other: "Effects") -> "Effects":
        self.events += other.events
        self.lobby_events += other.lobby_events
        self.triggers += other.triggers
        self.tasks += other.tasks
        self.done += other.done
        return self


Publisher = Callable[[Effects], None]


@dataclass
class BidResult:
    accepted: bool
    code: str | None = None
    message: str | None = None
    bid: dict | None = None
    duplicate: bool = False
    effects: Effects = field(default_factory=Effects)

    def to_ack(self) -> dict:
        if self.accepted:
            return {"ok": True, "duplicate": self.duplicate, "bid": public_bid(self.bid)}
        return {"ok": False, "error": {"code": self.code, "message": self.message}}


def _refused(rejection: Rejection) -> BidResult:
    return BidResult(False, code=rejection.code, message=rejection.message)


# --------------------------------------------------------------------------- the loop

def _execute(db: Database, auction_id: str, command, now: datetime, publish: Publisher | None,
             quick_refusal: Callable[[], Rejection | None] | None = None
             ) -> tuple[machine.Decision | None, dict | None, Effects]:
    """Load, decide, commit (again on a lost race). Returns (decision, state, effects)."""
    with store.lock(auction_id):
        if quick_refusal is not None:
            refusal = quick_refusal()
            if refusal is not None:
                return machine.Decision(rejection=refusal), None, Effects()
        state = store.cached(db, auction_id)  # no read when this process holds the latest state
        doubted = None  # the version of a cached state whose refusal is checked on a fresh read
        for _ in range(MAX_ATTEMPTS):
            from_cache = state is not None
            state = state or store.load(db, auction_id)
            if state is None:
                return None, None, Effects()
            if doubted is not None and state["version"] != doubted:
                store.note_stale()
            doubted = None
            fresh = isinstance(command, machine.ProxiesChanged)  # the cache can't know of the change yet
            book = store.league_proxies(db, state["league_id"]) if fresh else store.proxies_for(db, state)
            decision = machine.decide(state, command, now, book)
            if not decision.changed:
                if from_cache:  # another process may have moved on: refuse only on the stored state
                    doubted, state = state["version"], None
                    continue
                return decision, state, Effects()
            new = store.commit(db, state, decision)
            if new is not None:
                if decision.records:
                    price_floors.note(new)
                return decision, new, _settle(db, state, new, decision, publish, now)
            state = None  # lost the race: the next attempt reads the stored state
        return machine.Decision(rejection=reject("busy")), None, Effects()


def _settle(db: Database, old: dict, new: dict, decision: machine.Decision, publish: Publisher | None,
            now: datetime) -> Effects:
    """After a commit: complete its outbox and publish its events.

    With follow-ups that other pages read (the league marked completed), they are done
    before anyone hears. Otherwise the events leave first: the committed write is the
    truth, members are waiting for the broadcast, and the log records it carries are
    stored right after; if storing fails, the stored outbox still has them and the
    next load of the auction stores them (issue 11: one database round trip less
    between a bid and its broadcast).
    """
    if new.get("outbox_pending"):
        effects = _after_commit(db, old, new, decision, now)
        _publish(effects, publish)
        return effects
    effects = _effects_of(old, new, decision, now, tasks=[])
    _publish(effects, publish)
    try:
        store.complete_outbox(db, new)
    except Exception:
        log.exception("storing the log records of auction %s v%s failed; the next load stores them",
                      new["_id"], new["version"])
        return effects
    store.share(db, new)  # only once its records are stored: others may write over its outbox
    return effects


def _after_commit(db: Database, old: dict | None, new: dict, decision: machine.Decision, now: datetime) -> Effects:
    return _effects_of(old, new, decision, now, tasks=store.complete_outbox(db, new))


def _needs_trigger(old: dict | None, new: dict, now: datetime) -> bool:
    """Whether this change arms a clock trigger for its due time.

    A clock that only moved later (a bid extending the lot) keeps the trigger armed for the
    earlier time: when that one fires and finds nothing due yet, `tick` arms the new due time.
    So a run of bids arms no trigger each, only one per bid-clock length (before: every bid
    armed one, and each of them kept re-arming itself until the auction ended)."""
    due = new.get("due_at")
    before = (old or {}).get("due_at")
    return bool(due) and (before is None or before <= now or due < before)


def _effects_of(old: dict | None, new: dict, decision: machine.Decision, now: datetime,
                tasks: list[dict]) -> Effects:
    effects = Effects(events=[(new["_id"], name, payload) for name, payload in decision.events])
    # The league page's lobby learns at once that the auction it waits for has started.
    effects.lobby_events = [(new["league_id"], name, dict(payload, league_id=new["league_id"]))
                            for name, payload in decision.events if name == "auction_started"]
    if _needs_trigger(old, new, now):
        effects.triggers.append((new["_id"], new["due_at"]))
    effects.tasks = [(task["task"], new["_id"]) for task in tasks]
    if new.get("outbox_pending"):
        effects.done.append((new["_id"], new["version"]))
    return effects


def _publish(effects: Effects, publish: Publisher | None) -> None:
    if publish is not None:
        publish(effects)
        effects.published = True


# --------------------------------------------------------------------------- start

def start(db: Database, league: dict, actor_id: str, now: datetime,
          publish: Publisher | None = None) -> tuple[dict, Effects]:
    """Start the league's auction (commissioner only, at least 2 members)."""
    if league["commissioner_id"] != actor_id:
        raise EngineError("not_commissioner", "Only the commissioner can start the auction.", 403)
    if league["status"] != leagues.SETUP:
        raise EngineError("already_started", "The auction has already started.", 409)
    if league["member_count"] < 2:
        raise EngineError("not_enough_members",
                          "At least 2 members are needed to start the auction. Share the invite link first.", 409)
    flipped = leagues.mark_started(db, league["_id"], "A" + league["_id"], now)
    if flipped is None:
        raise EngineError("already_started", "The auction has already started.", 409)
    auction, effects = ensure_auction(db, flipped, now, publish)
    return auction, effects


def ensure_auction(db: Database, league: dict, now: datetime,
                   publish: Publisher | None = None) -> tuple[dict, Effects]:
    """The running league's auction, built from the league as it was flipped (idempotent).

    Also repairs a start interrupted between the league flip and the auction insert."""
    auction_id = "A" + league["_id"]
    with store.lock(auction_id):
        existing = store.load(db, auction_id)
        if existing is not None:
            leagues.mark_auction_written(db, league["_id"])
            return existing, Effects()
        catalog = sports.get(db, league.get("sport_key"))
        names = {t.key: t.name for t in catalog.teams} if catalog else {}
        league = dict(league, team_names={k: names[k] for k in league["lot_order"] if k in names})
        decision = machine.start(league, league["commissioner_id"], now, store.league_proxies(db, league["_id"]))
        new = store.create(db, decision)
        leagues.mark_auction_written(db, league["_id"])
        if new is None:  # another process wrote it first
            return store.load(db, auction_id), Effects()
        effects = _after_commit(db, None, new, decision, now)
        _publish(effects, publish)
        return new, effects


def repair_interrupted_starts(db: Database, now: datetime, publish: Publisher | None = None) -> Effects:
    """Leagues flipped to running whose auction was never written (a crash in between)."""
    effects = Effects()
    for league in leagues.awaiting_auction(db):
        effects.extend(ensure_auction(db, league, now, publish)[1])
    return effects


# --------------------------------------------------------------------------- bids

def place_bid(db: Database, auction_id: str, user_id: str, amount, idempotency_key: str, now: datetime, *,
              lot_id: str | None = None, seen_price=UNSET, first_attempt: bool = False,
              publish: Publisher | None = None) -> BidResult:
    """Accept or refuse one bid (and whatever hidden maximums answer it, in the same write).

    A repeated idempotency key returns the first outcome, for the whole auction; the same
    key with a different amount or lot is refused (`key_reused`). Keys of a lot leave the
    auction document when it closes (`open_lot_keys`), so a refusal a resend can get once its
    lot closed looks for the key in the bid log before it answers. `first_attempt`: the client
    says this key was never sent before, so a certainly-too-low bid is refused without a read.
    """
    if not isinstance(auction_id, str):
        return _refused(Rejection("auction_not_found", "We couldn't find that auction."))
    command = machine.PlaceBid(user_id, amount, idempotency_key, lot_id, seen_price)
    quick = (lambda: price_floors.refusal(auction_id, lot_id, amount)) if first_attempt else None
    decision, state, effects = _execute(db, auction_id, command, now, publish, quick)
    if decision is not None and decision.rejection is not None and decision.rejection.code in CLOSED_LOT_REFUSALS:
        earlier = _forgotten_resend(db, state, user_id, idempotency_key)
        if earlier is not None:
            same = earlier["amount"] == amount and lot_id in (None, earlier["lot_id"])
            return BidResult(True, bid=earlier, duplicate=True) if same else _refused(reject("key_reused"))
    return _bid_result(db, decision, state, effects)


def nominate(db: Database, auction_id: str, user_id: str, team_key, amount, idempotency_key: str, now: datetime,
             publish: Publisher | None = None) -> BidResult:
    """The member whose turn it is puts a team up with their opening bid (nominations only)."""
    command = machine.Nominate(user_id, team_key, amount, idempotency_key)
    decision, state, effects = _execute(db, auction_id, command, now, publish)
    if decision is not None and decision.rejection is not None:
        earlier = _forgotten_resend(db, state, user_id, idempotency_key)
        if earlier is not None:
            return BidResult(True, bid=earlier, duplicate=True)
    return _bid_result(db, decision, state, effects)


def _forgotten_resend(db: Database, state: dict | None, user_id, key: str) -> dict | None:
    """The member's earlier bid with `key`, from the bid log, when their older keys left the
    auction document (`open_lot_keys`); None otherwise, without a read."""
    member = (state or {}).get("members", {}).get(user_id) if isinstance(user_id, str) else None
    if not (member and member.get("forgot_keys")):
        return None
    return bids.by_idempotency_key(db, state["_id"], user_id, key)


def _bid_result(db: Database, decision, state, effects) -> BidResult:
    if decision is None:
        return _refused(Rejection("auction_not_found", "We couldn't find that auction."))
    if decision.rejection is not None:
        return _refused(decision.rejection)
    if decision.duplicate_of is not None:
        earlier = store.bids_of(db, state, [decision.duplicate_of]).get(decision.duplicate_of)
        return BidResult(True, bid=earlier, duplicate=True)
    return BidResult(True, bid=decision.bid, effects=effects)


def run_proxies(db: Database, auction_id: str, now: datetime, publish: Publisher | None = None) -> Effects:
    """A member's hidden maximums changed: every process reloads them, and they bid now if needed."""
    return _execute(db, auction_id, machine.ProxiesChanged(), now, publish)[2]


# --------------------------------------------------------------------------- clock

def tick(db: Database, auction_id: str, now: datetime, publish: Publisher | None = None) -> Effects:
    """Close the lot if its clock ran out, open the next one when due. Safe to call any time.

    A trigger that finds nothing due yet arms the due time: it arrived a little early (timer
    precision, clocks a millisecond apart), or bids moved the clock on since it was armed
    (`_needs_trigger`). Either way the work is not left to the next sweep, up to a second
    later. Triggers for the same due time are queued once (workers.timers.arm)."""
    decision, state, effects = _execute(db, auction_id, machine.Tick(), now, publish)
    if decision is not None and not decision.changed and state and state.get("due_at") and state["due_at"] > now:
        effects.triggers.append((auction_id, state["due_at"]))
        _publish(effects, publish)
    return effects


# Both clock triggers are the same command; the names say what the caller expects.
close_lot_if_due = tick
open_next_lot = tick


def sweep(db: Database, now: datetime, publish: Publisher | None = None) -> Effects:
    """The safety net run by beat every second: whatever is due, and unfinished follow-ups."""
    effects = Effects()
    for auction_id in auctions.due(db, now):
        effects.extend(tick(db, auction_id, now, publish))
    for auction_id in auctions.with_pending_followups(db):
        effects.extend(finish_followups(db, auction_id, publish))
    effects.extend(start_scheduled(db, now, publish))
    return effects.extend(repair_interrupted_starts(db, now, publish))


def start_scheduled(db: Database, now: datetime, publish: Publisher | None = None) -> Effects:
    """Start the auctions whose scheduled time has come (the commissioner may also start earlier)."""
    effects = Effects()
    for league in leagues.scheduled_before(db, now):
        try:
            effects.extend(start(db, league, league["commissioner_id"], now, publish)[1])
        except EngineError as refused:
            # Not startable (e.g. fewer than 2 members): drop the schedule rather than retry every second.
            leagues.schedule_start(db, league["_id"], None)
            effects.lobby_events.append((league["_id"], "auction_schedule_failed",
                                         {"league_id": league["_id"], "message": refused.message}))
    return effects


def finish_followups(db: Database, auction_id: str, publish: Publisher | None = None) -> Effects:
    with store.lock(auction_id):
        state = auctions.get(db, auction_id)
        if state is None or not state.get("outbox_pending"):
            return Effects()
        tasks = store.complete_outbox(db, state)
        effects = Effects(tasks=[(task["task"], auction_id) for task in tasks], done=[(auction_id, state["version"])])
        _publish(effects, publish)
        return effects


# --------------------------------------------------------------------------- commissioner

def _control(db, auction_id: str, command, now: datetime, publish: Publisher | None) -> Effects:
    state = auctions.get(db, auction_id)
    if state is None or (command.actor_id not in state["members"] and command.actor_id != state["commissioner_id"]):
        raise EngineError("not_found", "We couldn't find that auction.", 404)
    decision, _, effects = _execute(db, auction_id, command, now, publish)
    if decision is not None and decision.rejection is not None:
        raise EngineError(decision.rejection.code, decision.rejection.message, decision.status_code)
    return effects


def pause(db: Database, auction_id: str, actor_id: str, now: datetime, publish: Publisher | None = None) -> Effects:
    return _control(db, auction_id, machine.Pause(actor_id), now, publish)


def resume(db: Database, auction_id: str, actor_id: str, now: datetime, publish: Publisher | None = None) -> Effects:
    return _control(db, auction_id, machine.Resume(actor_id), now, publish)


def skip(db: Database, auction_id: str, actor_id: str, now: datetime, publish: Publisher | None = None) -> Effects:
    """Close the lot on the block with no sale (any leading bid is cancelled); it comes up again in round 2."""
    return _control(db, auction_id, machine.Skip(actor_id), now, publish)


def undo_last_sale(db: Database, auction_id: str, actor_id: str, now: datetime,
                   publish: Publisher | None = None, team_key: str | None = None) -> Effects:
    """Refund the most recent sale; the team goes back into the pool and comes up next.

    With `team_key` (the sale the commissioner was shown), a repeated press is refused."""
    return _control(db, auction_id, machine.UndoLastSale(actor_id, team_key), now, publish)


def end_early(db: Database, auction_id: str, actor_id: str, now: datetime,
              publish: Publisher | None = None) -> Effects:
    """End the auction now, in one write. The lot on the block, if any, closes without a sale."""
    return _control(db, auction_id, machine.EndEarly(actor_id), now, publish)


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(12)
