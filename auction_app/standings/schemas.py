"""Boundary schemas for the standings API and socket events (strict, unknown fields refused)."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from auction_app.validation import StrictModel

Points = Optional[int]


class ScoringIn(StrictModel):
    """Any subset of the rules; the rest stay as they are. Ranges are checked by the service."""

    win: Points = None
    draw: Points = None
    loss: Points = None
    no_result: Points = None
    per_goal: Points = None

    def changes(self) -> dict:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class EmailPreferencesIn(StrictModel):
    weekly_summary: bool


class JoinLeagueIn(StrictModel):
    league_id: Annotated[str, Field(min_length=1, max_length=64)]
