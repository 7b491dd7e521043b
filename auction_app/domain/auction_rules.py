"""Auction rules: who may bid what, when a lot closes, and what absent members' proxies bid.

Members of a league bid from a fixed whole-number budget for teams ("lots") that come
up one at a time; each member fills `roster_slots` teams. Everything here is a pure
function or a frozen dataclass over plain values, so the web layer, the Celery clock
worker and the tests all share one definition of the rules. `AuctionModel` is an
in-memory reference implementation built on those functions (tests and log replay).

Conventions:
* money is `int` only (never float; `bool` is not money either);
* times are timezone-aware UTC `datetime`s and the server clock decides;
* a rejected action returns a `Rejection` (stable `code` + friendly `message` with the
  real numbers filled in) instead of raising, because members see those messages.

Lot lifecycle (statuses):

    pending --open--> open <--pause/resume--> paused
    open --close, has leader--> sold     (final, unless the auctioneer undoes the sale)
    open --close, no bids, round 1--> unsold   (offered once more in round 2)
    open --close, no bids, round 2--> passed   (final: nobody wanted it twice)
    sold --undo_last_sale--> pending           (offered again next)

Standard library only: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable

__all__ = [
    "AuctionSettings", "settings_problems", "max_bid", "minimum_next_bid",
    "LotView", "BidderView", "Rejection", "REJECTION_CODES", "NOT_AN_ERROR", "reject",
    "rate_limited", "check_bid", "UNSET", "extended_ends_at", "ProxyBid", "PlacedBid", "resolve_proxy_bids",
    "NextLot", "next_lot_index", "offer_round", "status_after_no_sale", "count_lots_left",
    "auction_is_complete", "AuctionEvent", "AuctionActionError", "ReplayError", "AuctionModel",
]


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class AuctionSettings:
    budget: int = 500            # per member
    roster_slots: int = 3
    min_bid: int = 1             # minimum opening bid
    min_increment: int = 1
    lot_seconds: int = 30        # opening clock per lot
    bid_clock_seconds: int = 10  # anti-snipe: a bid with < N s left resets the clock to N s
    grace_ms: int = 300          # in-flight bids sent before close are accepted within this window
    pause_between_lots_seconds: int = 3


# (field, label in a sentence, lowest allowed, highest allowed). Upper bounds only stop
# typos such as an extra zero; they are not business limits.
_SETTING_BOUNDS: tuple[tuple[str, str, int, int], ...] = (
    ("budget", "The budget", 1, 1_000_000),
    ("roster_slots", "The number of roster slots", 1, 20),
    ("min_bid", "The minimum bid", 1, 1_000_000),
    ("min_increment", "The minimum increment", 1, 1_000_000),
    ("lot_seconds", "The time per lot", 5, 600),
    ("bid_clock_seconds", "The clock after a late bid", 1, 600),
    ("grace_ms", "The grace period for late network bids", 0, 5_000),
    ("pause_between_lots_seconds", "The pause between lots", 0, 300),
)

_UNITS = {"lot_seconds": " seconds", "bid_clock_seconds": " seconds",
          "grace_ms": " milliseconds", "pause_between_lots_seconds": " seconds"}


def _is_whole_number(value: object) -> bool:
    # bool is a subclass of int, but True is not a bid of 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _count(n: int, noun: str) -> str:
    """'1 roster slot', '2 roster slots'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def settings_problems(s: AuctionSettings, team_count: int) -> list[str]:
    """Every reason these settings can't run an auction, as sentences for the organiser.

    An empty list means the settings are fine.
    """
    problems = []
    for name, label, low, high in _SETTING_BOUNDS:
        value = getattr(s, name)
        unit = _UNITS.get(name, "")
        if not _is_whole_number(value):
            problems.append(f"{label} must be a whole number.")
        elif value < low:
            problems.append(f"{label} must be at least {low}{unit}.")
        elif value > high:
            problems.append(f"{label} can be at most {high:,}{unit}.")
    if problems:
        return problems  # the cross-field checks below assume sane numbers

    needed = s.roster_slots * s.min_bid
    if s.budget < needed:
        problems.append(
            f"A budget of {s.budget} can't fill {_count(s.roster_slots, 'roster slot')} at the "
            f"minimum bid of {s.min_bid}; raise the budget to at least {needed}.")
    if team_count < 1:
        problems.append("Add at least one team before setting up the auction.")
    elif s.roster_slots > team_count:
        problems.append(
            f"There {'is only 1 team' if team_count == 1 else f'are only {team_count} teams'}, "
            f"so members can't fill {_count(s.roster_slots, 'roster slot')}; "
            f"lower the roster slots to at most {team_count}.")
    if s.bid_clock_seconds > s.lot_seconds:
        problems.append(
            f"The clock after a late bid ({s.bid_clock_seconds} seconds) can't be longer than "
            f"the time per lot ({s.lot_seconds} seconds).")
    return problems


# --------------------------------------------------------------------------- money

def max_bid(budget_left: int, slots_left: int, min_bid: int) -> int:
    """The most a member may bid and still afford `min_bid` for each other empty slot.

    0 when the roster is full (or the member can't even cover the other slots).
    """
    if slots_left <= 0:
        return 0
    return max(0, budget_left - _reserve_for_other_slots(slots_left, min_bid))


def _reserve_for_other_slots(slots_left: int, min_bid: int) -> int:
    return max(0, slots_left - 1) * min_bid


def minimum_next_bid(current_price: int | None, s: AuctionSettings) -> int:
    """The opening minimum when nobody has bid yet, else one increment above the price."""
    if current_price is None:
        return s.min_bid
    return current_price + s.min_increment


# --------------------------------------------------------------------------- views

@dataclass(frozen=True)
class LotView:
    """What the rules need to know about the lot being bid on."""
    status: str                    # "pending" | "open" | "paused" | "sold" | "unsold" | "passed"
    price: int | None              # current price, None if no bid yet
    leader_id: str | None
    ends_at: datetime | None


@dataclass(frozen=True)
class BidderView:
    user_id: str
    budget_left: int
    slots_left: int


# --------------------------------------------------------------------------- rejections

@dataclass(frozen=True)
class Rejection:
    code: str          # stable machine code (see REJECTION_CODES)
    message: str       # friendly sentence for a member, numbers filled in


# code -> message template (str.format). Codes are a stable API for clients and logs;
# the wording may change.
REJECTION_CODES: dict[str, str] = {
    "invalid_amount": "Bids are whole numbers of at least 1.",
    "lot_not_open": "Bidding on this team isn't open right now.",
    "lot_paused": "Bidding is paused right now; you can bid again when the auction resumes.",
    "too_late": "Too late — the lot closed at {closed_at}.",
    "already_leading": "You're already the highest bidder on this team.",
    "roster_full": "You've already filled {filled}, so you can't bid on more teams.",
    "cannot_afford": ("You can't afford this team: the next bid must be at least {minimum}, "
                      "but you can bid at most {max_bid} because {reason}."),
    "below_minimum": "The next bid must be at least {minimum}.",
    "outbid": ("Someone else bid {price} while you were bidding; "
               "the next bid must be at least {minimum}."),
    "over_max_bid": "You can bid at most {max_bid} here: {reason}.",
    "not_member": "You're not a member of this league, so you can't bid in its auction.",
    "auction_not_running": "The auction isn't running right now, so bids aren't being taken.",
    "rate_limited": "You're bidding too fast; please wait {wait} and try again.",
    "duplicate": "We already have this bid; it was counted once.",
}

# A duplicate (the same bid delivered twice, e.g. a client retry) is reported back so the
# client can stop retrying, but nothing went wrong: show it as success, not as an error.
NOT_AN_ERROR = frozenset({"duplicate"})


def reject(code: str, **values: object) -> Rejection:
    """Build a Rejection from its template; raises KeyError for an unknown code."""
    return Rejection(code, REJECTION_CODES[code].format(**values))


def rate_limited(seconds: int) -> Rejection:
    return reject("rate_limited", wait=_count(seconds, "second"))


def _roster_full(s: AuctionSettings) -> Rejection:
    filled = ("your only roster slot" if s.roster_slots == 1
              else f"all {s.roster_slots} roster slots")
    return reject("roster_full", filled=filled)


def _why_capped(bidder: BidderView, s: AuctionSettings) -> str:
    others = bidder.slots_left - 1
    if others <= 0:
        return "that's all the budget you have left"
    keep = _reserve_for_other_slots(bidder.slots_left, s.min_bid)
    return f"you need to keep {keep} for your {_count(others, 'other empty roster slot')}"


def _closed_at(ends_at: datetime) -> str:
    return ends_at.astimezone(timezone.utc).strftime("%H:%M:%S")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# "The client didn't say which price it saw" (None already means "it saw no bids").
UNSET = _Unset()

_CLOSED_STATUSES = frozenset({"sold", "unsold", "passed"})


def check_bid(*, amount: object, bidder: BidderView, lot: LotView, s: AuctionSettings,
              now: datetime, seen_price: int | None | _Unset = UNSET) -> Rejection | None:
    """None if `bidder` may bid `amount` on `lot` at `now`; else why not.

    Checks run in this order, so a member sees the most useful reason first:

    1. invalid_amount   -- a typo ("abc", 2.5, 0, True) is wrong whatever the lot is doing;
    2. lot_paused       -- a pause is temporary, so say so rather than "not open";
    3. too_late         -- the server clock decides: after ends_at + grace_ms (or once the
                           lot has closed) the member learns when it closed;
       lot_not_open     -- any other non-open lot (pending, between lots);
    4. already_leading  -- outbidding yourself only costs you money;
    5. roster_full      -- no amount would help;
    6. cannot_afford    -- no allowed amount exists, so don't bounce between 7 and 8;
    7. below_minimum    -- or outbid, when `seen_price` shows the price moved meanwhile;
    8. over_max_bid     -- the member must keep min_bid for each other empty slot.

    `seen_price` (optional) is the price the member's screen showed when they bid.
    """
    if not _is_whole_number(amount) or amount < 1:
        return reject("invalid_amount")
    lot_problem = _lot_state_problem(lot, s, now)
    if lot_problem is not None:
        return lot_problem
    if lot.leader_id is not None and lot.leader_id == bidder.user_id:
        return reject("already_leading")
    if bidder.slots_left <= 0:
        return _roster_full(s)
    return _amount_problem(amount, bidder, lot, s, seen_price)


def _lot_state_problem(lot: LotView, s: AuctionSettings, now: datetime) -> Rejection | None:
    if lot.status == "paused":
        return reject("lot_paused")
    if lot.status in _CLOSED_STATUSES and lot.ends_at is not None:
        return reject("too_late", closed_at=_closed_at(lot.ends_at))
    if lot.status != "open":
        return reject("lot_not_open")
    # A bid sent just before the close may arrive a little after it: grace_ms absorbs that.
    if lot.ends_at is not None and now > lot.ends_at + timedelta(milliseconds=s.grace_ms):
        return reject("too_late", closed_at=_closed_at(lot.ends_at))
    return None


def _amount_problem(amount: int, bidder: BidderView, lot: LotView, s: AuctionSettings,
                    seen_price: int | None | _Unset) -> Rejection | None:
    minimum = minimum_next_bid(lot.price, s)
    most = max_bid(bidder.budget_left, bidder.slots_left, s.min_bid)
    if most < minimum:
        return reject("cannot_afford", minimum=minimum, max_bid=most,
                      reason=_why_capped(bidder, s))
    if amount < minimum:
        price_moved = not isinstance(seen_price, _Unset) and seen_price != lot.price
        if price_moved and lot.price is not None:
            return reject("outbid", price=lot.price, minimum=minimum)
        return reject("below_minimum", minimum=minimum)
    if amount > most:
        return reject("over_max_bid", max_bid=most, reason=_why_capped(bidder, s))
    return None


# --------------------------------------------------------------------------- clock

def extended_ends_at(ends_at: datetime, now: datetime, s: AuctionSettings) -> datetime:
    """Anti-snipe: a bid with less than bid_clock_seconds left resets the clock to that.

    Never earlier than `ends_at`, so a bid can't shorten anybody's chance to answer.
    """
    clock = timedelta(seconds=s.bid_clock_seconds)
    if ends_at - now < clock:
        return max(ends_at, now + clock)
    return ends_at


# --------------------------------------------------------------------------- proxies

@dataclass(frozen=True)
class ProxyBid:
    """A member's hidden maximum for a team; the engine bids for them up to it."""
    user_id: str
    max_amount: int
    created_at: datetime


@dataclass(frozen=True)
class PlacedBid:
    user_id: str
    amount: int


@dataclass(frozen=True)
class _Contender:
    user_id: str
    cap: int
    created_at: datetime


# A standing (already placed) bid predates every proxy that hasn't beaten it yet.
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def _rank(c: _Contender) -> tuple[int, datetime, str]:
    # Highest cap first; equal caps: the earlier proxy; then user id, only so that the
    # result never depends on list order.
    return (-c.cap, c.created_at, c.user_id)


def _newest_proxy_per_user(proxies: Iterable[ProxyBid]) -> dict[str, ProxyBid]:
    # Setting a new maximum replaces the old one (it may be lower: a change of mind).
    newest: dict[str, ProxyBid] = {}
    for p in proxies:
        old = newest.get(p.user_id)
        if old is None or (p.created_at, p.max_amount) > (old.created_at, old.max_amount):
            newest[p.user_id] = p
    return newest


def _effective_cap(p: ProxyBid, bidder: BidderView | None, s: AuctionSettings) -> int:
    """What the engine may bid for this proxy: its maximum, but never past max_bid."""
    if bidder is None or bidder.slots_left <= 0 or not _is_whole_number(p.max_amount):
        return 0
    return min(p.max_amount, max_bid(bidder.budget_left, bidder.slots_left, s.min_bid))


def _leader_contender(lot: LotView, newest: dict[str, ProxyBid],
                      bidders: dict[str, BidderView], s: AuctionSettings) -> _Contender | None:
    # A manual leader holds at the current price; their own proxy may reach higher.
    if lot.leader_id is None or lot.price is None:
        return None
    standing = _Contender(lot.leader_id, lot.price, _EARLIEST)
    proxy = newest.get(lot.leader_id)
    if proxy is None:
        return standing
    cap = _effective_cap(proxy, bidders.get(lot.leader_id), s)
    if cap <= lot.price:
        return standing
    return _Contender(lot.leader_id, cap, proxy.created_at)


def resolve_proxy_bids(*, lot: LotView, proxies: list[ProxyBid],
                       bidders: dict[str, BidderView], s: AuctionSettings) -> list[PlacedBid]:
    """The bids the engine places for absent members, in order (empty if nothing changes).

    Second-price rule: the highest effective cap (min of the proxy's maximum and the
    owner's max_bid) wins at one increment above the second-highest cap -- or at the
    minimum next bid when unopposed -- never above its own cap. Equal caps: the earlier
    proxy wins, at that cap. The current leader counts with a cap of the current price
    (or their own proxy's cap, if higher) and never bids against themselves.

    Every returned bid passes `check_bid` against the state left by the previous ones:
    the runner-up bids up to its cap first (if that still leaves the winner a legal bid),
    then the winner bids the final price. When the current leader wins but no challenger
    bid would leave them room for a full increment within their cap, nothing changes:
    the leader keeps the lot at the current price (bids can't be answered with less than
    an increment, and the leader's hidden maximum beats the challenger's).
    """
    if lot.status != "open":
        return []
    floor = minimum_next_bid(lot.price, s)
    newest = _newest_proxy_per_user(proxies)
    challengers = [
        _Contender(p.user_id, cap, p.created_at)
        for p in newest.values()
        if p.user_id != lot.leader_id
        and (cap := _effective_cap(p, bidders.get(p.user_id), s)) >= floor
    ]
    if not challengers:
        return []  # nobody can beat the price; a leader never raises their own bid
    leader = _leader_contender(lot, newest, bidders, s)
    ranked = sorted(challengers + ([leader] if leader else []), key=_rank)
    winner = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    final = _final_price(winner, runner_up, floor, s)

    bids = []
    if runner_up is not None and runner_up.user_id != lot.leader_id:
        # Push the runner-up as far as it would go, leaving the winner one increment.
        runner_up_bid = min(runner_up.cap, final - s.min_increment)
        if runner_up_bid >= floor:
            bids.append(PlacedBid(runner_up.user_id, runner_up_bid))
    if winner.user_id == lot.leader_id and not bids:
        return []
    bids.append(PlacedBid(winner.user_id, final))
    return bids


def _final_price(winner: _Contender, runner_up: _Contender | None, floor: int,
                 s: AuctionSettings) -> int:
    target = floor if runner_up is None else max(runner_up.cap + s.min_increment, floor)
    return min(winner.cap, target)


# --------------------------------------------------------------------------- lot order

@dataclass(frozen=True)
class NextLot:
    index: int     # position in lot_order
    team: str
    round: int     # 1: first offer; 2: offered again after nobody bid the first time


def offer_round(status: str) -> int:
    """Which round opening a lot in this status starts (pending -> 1, unsold -> 2)."""
    if status == "pending":
        return 1
    if status == "unsold":
        return 2
    raise ValueError(f"A lot that is {status} can't be offered.")


def status_after_no_sale(round_: int) -> str:
    """No bids: the first time it waits for round 2, the second time it is passed for good."""
    return "unsold" if round_ == 1 else "passed"


def next_lot_index(lot_order: list[str], statuses: dict[str, str], *,
                   anyone_has_room: bool = True) -> NextLot | None:
    """The next team to put up, or None.

    Round 1 offers every "pending" team in `lot_order`. When none is pending, round 2
    offers each "unsold" team once more, again in lot order; a team nobody bids on in
    round 2 becomes "passed" and is never offered again, so the auction always ends.
    A team missing from `statuses` counts as pending.

    None while a lot is open or paused (one lot at a time), when nobody has roster room
    left, or when nothing is left to offer.
    """
    if not anyone_has_room:
        return None
    if any(statuses.get(team) in ("open", "paused") for team in lot_order):
        return None
    for wanted in ("pending", "unsold"):
        for index, team in enumerate(lot_order):
            if statuses.get(team, "pending") == wanted:
                return NextLot(index, team, offer_round(wanted))
    return None


def count_lots_left(statuses: Iterable[str]) -> int:
    """Lots still on the block or yet to be offered (in either round)."""
    return sum(1 for st in statuses if st in ("pending", "unsold", "open", "paused"))


def auction_is_complete(*, bidders: list[BidderView], pending_lots: int) -> bool:
    """Over when every roster is full or no lots are left to offer."""
    return pending_lots <= 0 or all(b.slots_left <= 0 for b in bidders)


# --------------------------------------------------------------------------- model

@dataclass(frozen=True)
class AuctionEvent:
    """One fact in the auction log. Replaying the log rebuilds the state exactly."""
    seq: int                   # 1, 2, 3, ... with no gaps
    kind: str                  # see AuctionModel._apply
    at: datetime
    team: str | None = None
    user_id: str | None = None
    amount: int | None = None
    source: str | None = None  # bids: "manual" or "proxy"


class AuctionActionError(ValueError):
    """An auctioneer action that isn't possible right now (message is for the auctioneer)."""


class ReplayError(ValueError):
    """The log contains something the rules would not have allowed."""


@dataclass
class _Member:
    budget_left: int
    roster: list[tuple[str, int]] = field(default_factory=list)   # (team, price)


@dataclass
class _Lot:
    status: str = "pending"
    price: int | None = None
    leader_id: str | None = None
    ends_at: datetime | None = None
    round: int = 0
    remaining: timedelta | None = None   # clock left when paused


def _require_utc(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise ValueError("Auction times must be timezone-aware UTC datetimes.")


class AuctionModel:
    """A pure in-memory auction: the reference behaviour for tests and log replay.

    Every change goes through an `AuctionEvent` appended to `log` and folded into the
    state by `_apply`, so `AuctionModel.replay(model.log, ...)` rebuilds the same state.
    Only accepted actions are logged; a rejected bid leaves no trace.
    """

    def __init__(self, settings: AuctionSettings, member_ids: Iterable[str],
                 lot_order: Iterable[str]):
        self.settings = settings
        self.lot_order = list(lot_order)
        if len(set(self.lot_order)) != len(self.lot_order):
            raise ValueError("Each team can be in the lot order only once.")
        self.members = {uid: _Member(settings.budget) for uid in member_ids}
        self.lots = {team: _Lot() for team in self.lot_order}
        self.proxies: dict[str, dict[str, ProxyBid]] = {team: {} for team in self.lot_order}
        self.current_team: str | None = None
        self.sales: list[tuple[str, str, int]] = []     # (team, user, price), undo pops
        self.log: list[AuctionEvent] = []

    # ---- views

    def bidder_view(self, user_id: str) -> BidderView:
        m = self.members[user_id]
        return BidderView(user_id, m.budget_left, self.settings.roster_slots - len(m.roster))

    def lot_view(self, team: str) -> LotView:
        lot = self.lots[team]
        return LotView(lot.status, lot.price, lot.leader_id, lot.ends_at)

    def is_complete(self) -> bool:
        return auction_is_complete(
            bidders=[self.bidder_view(uid) for uid in self.members],
            pending_lots=count_lots_left(lot.status for lot in self.lots.values()))

    def snapshot(self) -> dict:
        """Plain, comparable state (for tests and replay checks)."""
        return {
            "members": {uid: (m.budget_left, tuple(m.roster)) for uid, m in self.members.items()},
            "lots": {t: (l.status, l.price, l.leader_id, l.ends_at, l.round, l.remaining)
                     for t, l in self.lots.items()},
            "proxies": {t: dict(p) for t, p in self.proxies.items()},
            "current_team": self.current_team,
            "sales": tuple(self.sales),
            "seq": len(self.log),
        }

    # ---- member actions

    def bid(self, user_id: str, amount: object, now: datetime, *,
            seen_price: int | None | _Unset = UNSET) -> Rejection | None:
        _require_utc(now)
        if user_id not in self.members:
            return reject("not_member")
        if self.current_team is None:
            return reject("auction_not_running" if self.is_complete() else "lot_not_open")
        rejection = check_bid(amount=amount, bidder=self.bidder_view(user_id),
                              lot=self.lot_view(self.current_team), s=self.settings,
                              now=now, seen_price=seen_price)
        if rejection is not None:
            return rejection
        self._record("bid_placed", now, team=self.current_team, user_id=user_id,
                     amount=amount, source="manual")
        self._run_proxies(now)
        return None

    def set_proxy(self, user_id: str, team: str, max_amount: object,
                  now: datetime) -> Rejection | None:
        """Store a hidden maximum; if the team is on the block, the engine bids at once."""
        _require_utc(now)
        if user_id not in self.members:
            return reject("not_member")
        if not _is_whole_number(max_amount) or max_amount < 1:
            return reject("invalid_amount")
        if team not in self.lots or self.lots[team].status in _CLOSED_STATUSES - {"unsold"}:
            return reject("lot_not_open")
        self._record("proxy_set", now, team=team, user_id=user_id, amount=max_amount)
        if team == self.current_team:
            self._run_proxies(now)
        return None

    # ---- auctioneer / clock actions (raise AuctionActionError when impossible)

    def open_lot(self, team: str | None, now: datetime) -> str:
        """Put `team` (or the next one in order, if None) on the block; returns the team."""
        _require_utc(now)
        if self.current_team is not None:
            raise AuctionActionError(f"{self.current_team} is still on the block.")
        if self.is_complete():
            raise AuctionActionError("The auction is complete.")
        if team is None:
            nxt = next_lot_index(self.lot_order, {t: l.status for t, l in self.lots.items()})
            if nxt is None:
                raise AuctionActionError("There are no teams left to offer.")
            team = nxt.team
        if team not in self.lots or self.lots[team].status not in ("pending", "unsold"):
            raise AuctionActionError(f"{team} can't be offered now.")
        self._record("lot_opened", now, team=team)
        self._run_proxies(now)
        return team

    def close_lot(self, now: datetime, *, force: bool = False) -> str:
        """Close the lot on the block; returns its new status (sold / unsold / passed).

        The clock decides: an open lot closes only after ends_at + grace_ms, unless the
        auctioneer forces it (which is also how a paused lot is closed).
        """
        _require_utc(now)
        team = self._team_on_block()
        lot = self.lots[team]
        if not force:
            if lot.status == "paused":
                raise AuctionActionError("Resume the lot or force the close.")
            if now <= lot.ends_at + timedelta(milliseconds=self.settings.grace_ms):
                raise AuctionActionError("The clock hasn't run out yet.")
        self._record("lot_closed", now, team=team, user_id=lot.leader_id, amount=lot.price)
        return self.lots[team].status

    def undo_last_sale(self, now: datetime) -> tuple[str, str, int]:
        """Refund the most recent sale and put the team back to pending (offered next)."""
        _require_utc(now)
        if self.current_team is not None:
            raise AuctionActionError("Close the lot on the block before undoing a sale.")
        if not self.sales:
            raise AuctionActionError("There is no sale to undo.")
        team, user_id, price = self.sales[-1]
        self._record("sale_undone", now, team=team, user_id=user_id, amount=price)
        return team, user_id, price

    def pause(self, now: datetime) -> None:
        _require_utc(now)
        team = self._team_on_block()
        if self.lots[team].status != "open":
            raise AuctionActionError("The lot is already paused.")
        self._record("lot_paused", now, team=team)

    def resume(self, now: datetime) -> None:
        _require_utc(now)
        team = self._team_on_block()
        if self.lots[team].status != "paused":
            raise AuctionActionError("The lot isn't paused.")
        self._record("lot_resumed", now, team=team)
        self._run_proxies(now)

    # ---- replay

    @classmethod
    def replay(cls, events: Iterable[AuctionEvent], *, settings: AuctionSettings,
               member_ids: Iterable[str], lot_order: Iterable[str]) -> "AuctionModel":
        """Rebuild a model from its log, re-checking every bid against the rules."""
        model = cls(settings, member_ids, lot_order)
        for event in events:
            model._check_replayed(event)
            model.log.append(event)
            model._apply(event)
        return model

    def _check_replayed(self, e: AuctionEvent) -> None:
        if e.seq != len(self.log) + 1:
            raise ReplayError(f"Event {e.seq} is out of sequence (expected {len(self.log) + 1}).")
        if e.kind == "bid_placed":
            if e.team != self.current_team or e.user_id not in self.members:
                raise ReplayError(f"Event {e.seq}: bid on a team that isn't on the block.")
            rejection = check_bid(amount=e.amount, bidder=self.bidder_view(e.user_id),
                                  lot=self.lot_view(e.team), s=self.settings, now=e.at)
            if rejection is not None:
                raise ReplayError(f"Event {e.seq}: {rejection.message}")
        if e.kind == "lot_closed":
            lot = self.lots.get(e.team)
            if lot is None or (lot.leader_id, lot.price) != (e.user_id, e.amount):
                raise ReplayError(f"Event {e.seq}: the recorded result doesn't match the bids.")

    # ---- internals

    def _team_on_block(self) -> str:
        if self.current_team is None:
            raise AuctionActionError("No lot is on the block.")
        return self.current_team

    def _record(self, kind: str, at: datetime, **fields: object) -> None:
        event = AuctionEvent(seq=len(self.log) + 1, kind=kind, at=at, **fields)
        self.log.append(event)
        self._apply(event)

    def _run_proxies(self, now: datetime) -> None:
        team = self.current_team
        # Proxies obey the same clock as members: nothing after the lot stopped taking bids.
        if team is None or _lot_state_problem(self.lot_view(team), self.settings, now):
            return
        bidders = {uid: self.bidder_view(uid) for uid in self.members}
        placed = resolve_proxy_bids(lot=self.lot_view(team),
                                    proxies=list(self.proxies[team].values()),
                                    bidders=bidders, s=self.settings)
        for bid in placed:
            rejection = check_bid(amount=bid.amount, bidder=self.bidder_view(bid.user_id),
                                  lot=self.lot_view(team), s=self.settings, now=now)
            if rejection is not None:   # a bug in the engine, never a member's mistake
                raise RuntimeError(f"Proxy bid {bid} breaks the rules: {rejection.code}")
            self._record("bid_placed", now, team=team, user_id=bid.user_id,
                         amount=bid.amount, source="proxy")

    def _apply(self, e: AuctionEvent) -> None:
        """Fold one event into the state. The only place state changes."""
        lot = self.lots[e.team]
        if e.kind == "lot_opened":
            lot.round = offer_round(lot.status)
            lot.status, lot.price, lot.leader_id = "open", None, None
            lot.ends_at = e.at + timedelta(seconds=self.settings.lot_seconds)
            lot.remaining = None
            self.current_team = e.team
        elif e.kind == "bid_placed":
            lot.price, lot.leader_id = e.amount, e.user_id
            lot.ends_at = extended_ends_at(lot.ends_at, e.at, self.settings)
        elif e.kind == "proxy_set":
            self.proxies[e.team][e.user_id] = ProxyBid(e.user_id, e.amount, e.at)
        elif e.kind == "lot_paused":
            # Keep the time that was left (none, if the clock had already run out).
            lot.status, lot.remaining = "paused", max(timedelta(0), lot.ends_at - e.at)
        elif e.kind == "lot_resumed":
            lot.status, lot.ends_at, lot.remaining = "open", e.at + lot.remaining, None
        elif e.kind == "lot_closed":
            self._apply_close(e.team, e.at, lot)
        elif e.kind == "sale_undone":
            self._apply_undo(e.team, lot)
        else:
            raise ReplayError(f"Unknown event kind {e.kind!r}.")

    def _apply_close(self, team: str, at: datetime, lot: _Lot) -> None:
        # A forced (early or paused) close ends the clock now: that's when it closed.
        if lot.status == "paused" or at < lot.ends_at:
            lot.ends_at = at
        lot.remaining = None
        if lot.leader_id is None:
            lot.status = status_after_no_sale(lot.round)
        else:
            member = self.members[lot.leader_id]
            member.budget_left -= lot.price
            member.roster.append((team, lot.price))
            self.sales.append((team, lot.leader_id, lot.price))
            lot.status = "sold"
        self.current_team = None

    def _apply_undo(self, team: str, lot: _Lot) -> None:
        team_, user_id, price = self.sales.pop()
        member = self.members[user_id]
        member.roster.remove((team_, price))
        member.budget_left += price
        lot.status, lot.price, lot.leader_id = "pending", None, None
        lot.ends_at, lot.round, lot.remaining = None, 0, None
