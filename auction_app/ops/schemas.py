from typing import Annotated, Literal

from pydantic import Field

from auction_app.validation import StrictModel


class AnnouncementIn(StrictModel):
    message: Annotated[str, Field(min_length=1, max_length=500)]
    level: Literal["info", "warning"] = "info"
