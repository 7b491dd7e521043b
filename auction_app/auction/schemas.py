"""Payloads accepted by the auction API and Socket.IO events."""
from typing import Annotated, Literal

from pydantic import Field

from auction_app.validation import StrictModel

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-:]+$")]
# Amount is validated by the rules (whole number >= 1) so members get the friendly
# sentence; here it must at least be a JSON number of sane size, not a string or object.
Amount = Annotated[int | float, Field(ge=-10**12, le=10**12)]


IdempotencyKey = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class RestBidIn(StrictModel):
    amount: Amount
    idempotency_key: IdempotencyKey
    lot_id: Id | None = None
    seen_price: int | None = None
    # Set on every resend of the same key; a first attempt lets the server refuse
    # a certainly-too-low bid without touching the database.
    retry: bool = True


class BidIn(RestBidIn):
    auction_id: Id


class JoinAuctionIn(StrictModel):
    auction_id: Id
    spectator_token: Annotated[str, Field(min_length=16, max_length=128)] | None = None


ControlAction = Literal["pause", "resume", "skip", "undo", "end"]


class UndoIn(StrictModel):
    # The sale the commissioner was shown: a second press of the same undo is refused.
    team_key: Id | None = None


class RestNominateIn(StrictModel):
    team_key: Id
    amount: Amount
    idempotency_key: IdempotencyKey


class NominateIn(RestNominateIn):
    auction_id: Id


class ScheduleIn(StrictModel):
    # When the auction starts by itself, ISO 8601 with its time zone; null clears the schedule.
    starts_at: Annotated[str, Field(max_length=40)] | None
