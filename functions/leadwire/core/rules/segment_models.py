"""The models of segments and scoring: each one valid on its own; what spans segments (ids,
``in_segment`` targets, cycles, levels) is checked by ``Definitions`` (``definitions.py``)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from leadwire.core.rules.canonical import short_id
from leadwire.core.rules.comparisons import Number, StrictModel
from leadwire.core.rules.conditions import Condition, EventFilter, SegmentId, TraitTest
from leadwire.core.rules.durations import Duration
from leadwire.core.rules.visits import DEFAULT_GAP

PositiveNumber = Annotated[Number, Field(gt=0)]
MIN_VISIT_GAP = timedelta(minutes=1)
MAX_VISIT_GAP = timedelta(days=1)


class SegmentAlerts(StrictModel):
    """A membership swing larger than ``max_change`` (a share of the members at the start of the
    window) within ``within`` pauses the triggers that start on entering or leaving the segment.
    ``min_change`` (leads, net) keeps a small segment's ordinary moves from counting as a spike."""

    max_change: Annotated[Number, Field(gt=0)]
    within: Duration
    min_change: Annotated[int, Field(ge=1)] = 10


class Segment(StrictModel):
    id: SegmentId
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    type: Literal["dynamic", "static"] = "dynamic"
    condition: Condition | None = None
    exit_when: Condition | None = None
    members: list[str] | None = None
    alerts: SegmentAlerts | None = None
    level: Literal["lead", "account"] = "lead"  # an account segment's members are account ids

    @model_validator(mode="after")
    def _shape_matches_type(self) -> Segment:
        if self.type == "dynamic" and self.condition is None:
            raise PydanticCustomError("segment_shape", "a dynamic segment needs a 'condition'")
        if self.type == "dynamic" and self.members is not None:
            raise PydanticCustomError("segment_shape", "only a static segment has 'members'")
        if self.type == "static" and (self.condition is not None or self.exit_when is not None):
            raise PydanticCustomError(
                "segment_shape", "a static segment has 'members', not 'condition' or 'exit_when'"
            )
        return self

    @cached_property
    def member_ids(self) -> frozenset[str]:
        return frozenset(self.members or ())


class ScoringRule(EventFilter):
    points: Number
    max_per_day: PositiveNumber | None = None

    @cached_property
    def rule_id(self) -> str:
        return short_id(self.model_dump(mode="json", exclude_defaults=True))


class TraitPoints(TraitTest):
    points: Number


class Decay(StrictModel):
    half_life: Duration


class Scoring(StrictModel):
    rules: list[ScoringRule] = Field(default_factory=list)
    traits: list[TraitPoints] = Field(default_factory=list)
    decay: Decay | None = None


class VisitSettings(StrictModel):
    """What the ``visits`` condition calls a visit: activity with gaps under ``gap``."""

    gap: Duration = timedelta(seconds=DEFAULT_GAP)

    @field_validator("gap")
    @classmethod
    def _gap_bounded(cls, gap: timedelta) -> timedelta:
        if not MIN_VISIT_GAP <= gap <= MAX_VISIT_GAP:
            raise PydanticCustomError("visit_gap", "the visit gap must be between PT1M and P1D")
        return gap


class AccountSettings(StrictModel):
    """How an account's score aggregates its leads' (decayed) scores."""

    score: Literal["sum", "max", "avg"] = "sum"
