"""The lead event as the core sees it: one Segment-spec call, already resolved to its lead."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

EventType = Literal["track", "page", "screen", "identify", "group", "alias"]

PAGE_EVENT = "page_viewed"
SCREEN_EVENT = "screen_viewed"
ACTIVITY_TYPES: frozenset[str] = frozenset({"track", "page", "screen"})


class LeadEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str = Field(min_length=1)
    type: EventType
    event: str | None = None
    timestamp: AwareDatetime
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    group_id: str | None = None  # a ``group`` call's account

    @model_validator(mode="after")
    def _track_has_a_name(self) -> LeadEvent:
        if self.type == "track" and not self.event:
            raise ValueError("a track event needs an event name")
        return self

    @property
    def name(self) -> str | None:
        """The event name rules match: a track call's ``event``, ``page_viewed``, ``screen_viewed``."""
        if self.type == "track":
            return self.event
        return {"page": PAGE_EVENT, "screen": SCREEN_EVENT}.get(self.type)

    @property
    def is_activity(self) -> bool:
        """Track, page and screen calls are activity (``last_activity``); identify and the rest are not."""
        return self.type in ACTIVITY_TYPES
