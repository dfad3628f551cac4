"""Everything the engine knows about one lead, small enough for one DynamoDB item.

Instants are integers (epoch seconds; sequence candidates and trait stamps in milliseconds)
and JSON keys are short aliases; ``to_json`` leaves out empty and default values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

from leadwire.core.rules.clock import epoch_seconds, from_epoch_seconds
from leadwire.core.rules.counters import CounterState
from leadwire.core.rules.distinct import DistinctState
from leadwire.core.rules.scoring import ScoreState
from leadwire.core.rules.sequences import SequenceState
from leadwire.core.rules.state_model import CompactModel
from leadwire.core.rules.visits import VisitState


class LeadState(CompactModel):
    lead_id: str = Field(alias="id", min_length=1)
    first_seen_at: int | None = Field(default=None, alias="fs")
    last_seen_at: int | None = Field(default=None, alias="ls")  # newest event of any type
    last_activity_at: int | None = Field(default=None, alias="la")  # newest track, page or screen
    traits: dict[str, Any] = Field(default_factory=dict, alias="tr")
    trait_stamps: dict[str, int] = Field(default_factory=dict, alias="ts")
    consent: dict[str, tuple[bool, int]] = Field(default_factory=dict, alias="cs")
    suppressed: list[str] = Field(default_factory=list, alias="sp")
    counters: dict[str, CounterState] = Field(default_factory=dict, alias="c")
    sequences: dict[str, SequenceState] = Field(default_factory=dict, alias="q")
    # Added within item format 2: absent in older states, which load with these empty.
    distinct: dict[str, DistinctState] = Field(default_factory=dict, alias="d")
    visits: VisitState | None = Field(default=None, alias="v")
    score: ScoreState = Field(default_factory=ScoreState, alias="s")
    members: dict[str, int] = Field(default_factory=dict, alias="m")  # segment id -> entered at
    recent: str = Field(default="", alias="r")
    account: str | None = Field(default=None, alias="ac")  # the newest ``group`` call's groupId
    account_at: int | None = Field(default=None, alias="aa")  # its instant (epoch ms)

    @classmethod
    def new(cls, lead_id: str) -> LeadState:
        return cls(lead_id=lead_id)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> LeadState:
        return cls.model_validate_json(text)

    @property
    def memberships(self) -> dict[str, datetime]:
        return {segment_id: from_epoch_seconds(at) for segment_id, at in self.members.items()}

    def with_memberships(self, memberships: Mapping[str, datetime]) -> LeadState:
        """A copy whose memberships are ``memberships`` (``Evaluation.memberships``)."""
        members = {segment_id: epoch_seconds(at) for segment_id, at in memberships.items()}
        return self.model_copy(update={"members": members})
