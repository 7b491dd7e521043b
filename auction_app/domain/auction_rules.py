"""Auction rules: who may bid what, when a lot closes, and what absent members' proxies bid.

Members of a league bid from a fixed whole-number budget for teams ("lots") that come
up one at a time; each member fills `roster_slots` teams. Everything here is a pure
function or a frozen dataclass over plain values, so the web layer, the Celery clock
worker and the tests all share one definition of the rules. The auction's one state
machine, built on these rules, is auction_app.domain.auction_machine.

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

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

__all__ = [
    "AuctionSettings", "settings_problems", "max_bid", "minimum_next_bid",
    "LotView", "BidderView", "Rejection", "REJECTION_CODES", "NOT_AN_ERROR", "reject",
    "rate_limited", "check_bid", "UNSET", "extended_ends_at",
    "NextLot", "next_lot_index", "offer_round", "status_after_no_sale", "count_lots_left",
    "auction_is_complete",
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
    # Nomination (ESPN/Sleeper/Yahoo style): > 0 means members take turns putting a team up,
    # with this many seconds to choose; 0 means teams come up in the league's lot order.
    nomination_seconds: int = 0
    # Hidden maximums answer a bid after this long (plus up to a second), not at once:
    # practice bots then feel like people. 0: at once, in the same change.
    proxy_delay_ms: int = 0


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
    ("nomination_seconds", "The time to nominate a team", 0, 300),
    ("proxy_delay_ms", "The delay before hidden maximums answer", 0, 10_000),
)

_UNITS = {"lot_seconds": " seconds", "bid_clock_seconds": " seconds", "nomination_seconds": " seconds", "proxy_delay_ms": " milliseconds",
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
    if 0 < s.nomination_seconds < 5:
        problems.append("Give members at least 5 seconds to nominate a team (or 0 for no nominations).")
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
    "key_reused": ("This bid's retry key was already used for a different bid. "
                   "Please bid again (the page makes a new key for each bid)."),
    "busy": "So many bids are arriving that yours couldn't be placed. Please try again.",
    "lot_required": "Say which team you are bidding on (lot_id), so a bid never lands on the next team by mistake.",
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
