"""The commands the auction state machine understands, and what deciding one returns."""
from __future__ import annotations

from dataclasses import dataclass, field

from auction_app.domain.auction_rules import UNSET, Rejection


# --------------------------------------------------------------------------- commands

@dataclass(frozen=True)
class PlaceBid:
    user_id: str
    amount: object
    key: str
    lot_id: str | None
    seen_price: object = UNSET


@dataclass(frozen=True)
class Nominate:
    """The member whose turn it is puts a team up, with their opening bid."""
    user_id: str
    team_key: str
    amount: object
    key: str


@dataclass(frozen=True)
class Tick:
    """The clock: close the lot if its time (plus grace) is up; open the next one when due."""


@dataclass(frozen=True)
class Pause:
    actor_id: str


@dataclass(frozen=True)
class Resume:
    actor_id: str


@dataclass(frozen=True)
class Skip:
    actor_id: str


@dataclass(frozen=True)
class UndoLastSale:
    actor_id: str
    team_key: str | None = None  # the sale the commissioner saw: a second press of the same undo does nothing


@dataclass(frozen=True)
class EndEarly:
    actor_id: str


@dataclass(frozen=True)
class ProxiesChanged:
    """A member set or cleared a hidden maximum: bid for it now if its team is on the block."""


@dataclass
class Decision:
    state: dict | None = None                    # None: nothing changes
    rejection: Rejection | None = None
    status_code: int = 409                       # for refused commissioner actions
    records: list[dict] = field(default_factory=list)    # {"collection", "doc"}
    events: list[tuple[str, dict]] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)  # {"op": ...}
    bid: dict | None = None                      # the accepted bid, for PlaceBid
    duplicate_of: int | None = None              # seq of the bid a repeated key placed

    @property
    def changed(self) -> bool:
        return self.state is not None


class Refused(Exception):
    def __init__(self, code: str, message: str, status_code: int = 409):
        super().__init__(message)
        self.rejection = Rejection(code, message)
        self.status_code = status_code
