"""A trigger firing for a lead: what the actions consumer acts on, and its idempotency key."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

DEFER_PREFIX = "defer:"


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
    # The lead's state is at least this version (the save whose change fired it; 0: not known).
    lead_version: int = 0

    @classmethod
    def of(
        cls,
        trigger_id: str,
        lead_id: str,
        cause: str,
        at: datetime,
        match: dict[str, Any] | None = None,
        *,
        lead_version: int = 0,
    ) -> Fire:
        """The fire of ``trigger_id`` for ``lead_id`` started by ``cause``, with its stable id."""
        return cls(
            fire_id=fire_id(trigger_id, lead_id, cause),
            trigger_id=trigger_id,
            lead_id=lead_id,
            cause=cause,
            at=at,
            match=match or {},
            lead_version=lead_version,
        )

    @property
    def root_id(self) -> str:
        """The fire this one continues: a deferred fire acts for the fire it was deferred from, so
        its actions keep their delivery ids (and what was sent is not sent again)."""
        if self.cause.startswith(DEFER_PREFIX):
            return self.cause[len(DEFER_PREFIX) :].split("@", 1)[0]
        return self.fire_id

    @property
    def origin_cause(self) -> str:
        """What started the root fire (a deferral keeps it: templates read that event)."""
        if self.cause.startswith(DEFER_PREFIX):
            return self.cause.split("|", 1)[1] if "|" in self.cause else ""
        return self.cause

    @property
    def is_deferred(self) -> bool:
        return self.cause.startswith(DEFER_PREFIX)

    def deferred_until(self, until: datetime) -> Fire:
        """The same fire again at ``until`` (quiet hours end, a send to confirm): a new FIRE item
        whose actions carry the root fire's delivery ids and its time (``at`` stays when the
        trigger fired; ``until`` is when the timer wakes)."""
        cause = f"{DEFER_PREFIX}{self.root_id}@{until.isoformat()}|{self.origin_cause}"
        return Fire.of(self.trigger_id, self.lead_id, cause, self.at, self.match)
