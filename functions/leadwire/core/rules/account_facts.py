"""What an account segment reads of its account: traits, per-segment lead counts, and its score
as a function of time (so decay can take the account out of a segment with no new event).

The score is the greatest of a few curves, each ``max(0, points * 2^(-(t - at) / half_life) +
level)``: one curve for ``sum`` (the account's aggregate) and ``avg`` (the same over its lead
count), one per lead for ``max``. Each curve decays like a lead's score, so the instant a test on
the score changes is the earliest of the curves' own crossings (``scoring.next_crossing``): the
maximum changes whether it passes a threshold only when one of the curves does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadwire.core.rules.comparisons import NumberComparison
from leadwire.core.rules.definitions import Scoring
from leadwire.core.rules.scoring import ScoreState, next_crossing, score_at


@dataclass(frozen=True)
class Curve:
    """Behavioural ``points`` at epoch second ``at`` (they decay) plus a ``level`` (it does not)."""

    points: float = 0.0
    at: int | None = None
    level: float = 0.0

    def score(self, scoring: Scoring, now: datetime) -> float:
        return score_at(ScoreState(points=self.points, at=self.at), scoring, self.level, now.timestamp())

    def crossing(self, scoring: Scoring, test: NumberComparison, now: datetime) -> datetime | None:
        return next_crossing(ScoreState(points=self.points, at=self.at), scoring, self.level, test, now)


@dataclass(frozen=True)
class AccountFacts:
    """``score``: a number (constant in time) or the account's curves."""

    account_id: str
    score: float | tuple[Curve, ...]
    traits: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)  # lead segment id -> leads in it
    members: Mapping[str, int] = field(default_factory=dict)  # account segment id -> entered at

    @property
    def curves(self) -> tuple[Curve, ...]:
        if isinstance(self.score, tuple):
            return self.score
        return (Curve(level=float(self.score)),)

    def score_at(self, scoring: Scoring, now: datetime) -> float:
        return max((curve.score(scoring, now) for curve in self.curves), default=0.0)

    def crossing(self, scoring: Scoring, test: NumberComparison, now: datetime) -> datetime | None:
        """The first instant after ``now`` at which decay alone may change whether ``test`` holds
        (early rather than late: evaluating then and finding no change is harmless)."""
        instants = [c for curve in self.curves if (c := curve.crossing(scoring, test, now)) is not None]
        return min(instants, default=None)
