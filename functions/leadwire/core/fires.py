"""A trigger firing for a lead: what the actions consumer acts on, and its idempotency key."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


def fire_id(trigger_id: str, lead_id: str, occurrence: str) -> str:
    """Stable per (trigger, lead, what started it): a retried fire is the same fire."""
    digest = hashlib.sha256(json.dumps([trigger_id, lead_id, occurrence]).encode()).hexdigest()
    return digest[:32]


class Fire(BaseModel):
    fire_id: str
    trigger_id: str
    lead_id: str
    cause: str  # the message id, history change id, or anniversary occurrence that started it
    at: datetime  # when it fired, in event time (the deadline for a timer)
    match: dict[str, Any] = Field(default_factory=dict)  # the awaited properties (cart_id, ...)

    @classmethod
    def of(
        cls, trigger_id: str, lead_id: str, cause: str, at: datetime, match: dict[str, Any] | None = None
    ) -> Fire:
        """The fire of ``trigger_id`` for ``lead_id`` started by ``cause``, with its stable id."""
        return cls(
            fire_id=fire_id(trigger_id, lead_id, cause),
            trigger_id=trigger_id,
            lead_id=lead_id,
            cause=cause,
            at=at,
            match=match or {},
        )
