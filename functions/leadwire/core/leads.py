"""A lead as the engine stores it: the rule-engine state plus identity and bookkeeping."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from leadwire.core.rules import LeadState, MembershipChange


class Transition(BaseModel):
    """One membership change with what caused it (a message id, ``time`` or ``merge``)."""

    change: MembershipChange
    cause: str
    entered_at: datetime  # the interval's start: for an exit, when the lead had entered
    definition_version: str


class LeadRecord(BaseModel):
    """What one lead-state item holds. ``version`` guards every write (0: not stored yet)."""

    lead_id: str
    state: LeadState
    version: int = 0
    evaluated_at: datetime | None = None  # the instant memberships were last evaluated at
    next_flip_at: datetime | None = None
    # When the sweep looks at the lead again: at or before next_flip_at. Kept when the flip
    # moves later (an early look is harmless and saves an index write per event), moved when
    # it comes earlier.
    due_at: datetime | None = None
    merged_into: str | None = None  # set on an anonymous lead once merged into a known one
    aliases: list[str] = Field(default_factory=list)  # anonymous ids merged into this lead
    # Membership changes saved with this version whose member and history items may not be
    # written yet (a crash between the state write and theirs): written again on the next load.
    outbox: list[Transition] = Field(default_factory=list)

    @classmethod
    def new(cls, lead_id: str) -> LeadRecord:
        return cls(lead_id=lead_id, state=LeadState.new(lead_id))


def next_due(current: datetime | None, next_flip_at: datetime | None, now: datetime) -> datetime | None:
    """The instant to index: the earlier of a still-future stored due and the next flip."""
    if next_flip_at is None:
        return current if current is not None and current > now else None
    if current is not None and now < current <= next_flip_at:
        return current
    return next_flip_at


class VersionConflict(Exception):
    """Another writer stored the lead first; reload and apply again."""
