"""Segments and scoring as code: the bundle (``Definitions``, which checks what spans segments),
and ``parse_definitions`` that refuses bad ones. The models of its parts are ``segment_models.py``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from pydantic import Field, ValidationError, model_validator

from leadwire.core.rules.aggregates import AggregatePlan, build_plan
from leadwire.core.rules.comparisons import StrictModel
from leadwire.core.rules.errors import DefinitionError, problems_from
from leadwire.core.rules.levels import level_problems
from leadwire.core.rules.references import dependency_order, reference_problems
from leadwire.core.rules.segment_models import (
    AccountSettings,
    Decay,
    Scoring,
    ScoringRule,
    Segment,
    SegmentAlerts,
    TraitPoints,
    VisitSettings,
)

__all__ = [
    "AccountSettings",
    "Decay",
    "Definitions",
    "Scoring",
    "ScoringRule",
    "Segment",
    "SegmentAlerts",
    "TraitPoints",
    "VisitSettings",
    "parse_definitions",
]


class Definitions(StrictModel):
    """A loaded bundle. Construction checks references too, so every instance is evaluable."""

    segments: list[Segment] = Field(default_factory=list)
    scoring: Scoring = Field(default_factory=Scoring)
    visits: VisitSettings = Field(default_factory=VisitSettings)
    accounts: AccountSettings = Field(default_factory=AccountSettings)

    @model_validator(mode="after")
    def _references(self) -> Definitions:
        problems = reference_problems(self.segments) + level_problems(self.segments)
        if problems:
            raise DefinitionError(problems)
        return self

    @cached_property
    def segment_order(self) -> list[Segment]:
        """Every lead segment after the segments its ``in_segment`` nodes depend on."""
        return dependency_order([segment for segment in self.segments if segment.level == "lead"])

    @cached_property
    def account_segments(self) -> list[Segment]:
        return [segment for segment in self.segments if segment.level == "account"]

    @cached_property
    def plan(self) -> AggregatePlan:
        """The aggregates a lead state must keep for these definitions."""
        return build_plan(self)


def parse_definitions(raw: Mapping[str, Any]) -> Definitions:
    """Validate ``{"segments": [...], "scoring": {...}, "visits": {...}, "accounts": {...}}``; raise
    ``DefinitionError`` with every problem."""
    try:
        return Definitions.model_validate(raw)
    except ValidationError as error:
        raise DefinitionError(problems_from(error)) from None
