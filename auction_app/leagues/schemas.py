"""Boundary schemas for the league API. Strict types, unknown fields refused.

Numbers are whole numbers (`1.0`, `"5"` and `true` are refused). Range and
cross-field checks (a budget that can't fill the roster, 2..50 members, teams
of the sport) are the service's job, so every problem comes back as one list of
sentences.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from auction_app.validation import StrictModel, VisibleName

Name = Annotated[str, Field(min_length=1, max_length=80), VisibleName]
Key = Annotated[str, Field(min_length=1, max_length=64)]
KeyList = Annotated[list[Key], Field(max_length=200)]


class _Settings(StrictModel):
    team_keys: Optional[KeyList] = None
    budget: Optional[int] = None
    roster_slots: Optional[int] = None
    min_bid: Optional[int] = None
    min_increment: Optional[int] = None
    lot_seconds: Optional[int] = None
    bid_clock_seconds: Optional[int] = None
    grace_ms: Optional[int] = None
    pause_between_lots_seconds: Optional[int] = None
    nomination_seconds: Optional[int] = None
    max_members: Optional[int] = None
    lot_order_mode: Optional[Literal["random", "custom"]] = None
    lot_order: Optional[KeyList] = None

    def changes(self) -> dict:
        """The settings the organiser actually sent."""
        return {k: v for k, v in self.model_dump(exclude={"name", "sport_key", "kind"}).items() if v is not None}


class CreateLeague(_Settings):
    name: Name
    sport_key: Key
    kind: Literal["real", "practice"] = "real"


class UpdateLeague(_Settings):
    name: Optional[Name] = None


class Invitations(StrictModel):
    emails: Annotated[list[Annotated[str, Field(max_length=320)]], Field(min_length=1, max_length=50)]


class ProxyMax(StrictModel):
    max_amount: int
