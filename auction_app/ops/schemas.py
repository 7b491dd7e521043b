from typing import Annotated, Literal

from pydantic import Field

from auction_app.validation import StrictModel


class AnnouncementIn(StrictModel):
    message: Annotated[str, Field(min_length=1, max_length=500)]
    level: Literal["info", "warning"] = "info"
    # How long it shows; ANNOUNCEMENT_HOURS when left out. At most two weeks.
    hours: Annotated[int, Field(ge=1, le=336)] | None = None
