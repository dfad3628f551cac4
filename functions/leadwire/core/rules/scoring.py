"""Engagement score: rule points with daily caps, trait points, lazy half-life decay, floor at 0.

The stored ``points`` are the behavioural points decayed to ``at`` (epoch seconds). Decay is
linear, so an event that arrives late adds its points decayed from its own timestamp, and the
total does not depend on arrival order. Trait points are a level, not an event: they count while
the trait matches and never decay. ``score(t) = max(0, points * 2^(-(t - at) / half_life) + trait points)``.

Known approximations:

* ``max_score`` is exact when events arrive in timestamp order; a late event raises it by its
  decayed points at the instant the max was reached (a lower bound of the true historic max),
  and ``max_at`` is then the newest event instant at which the engine saw that max.
* ``max_per_day`` caps a rule's points (magnitude) per UTC day; usage is kept for
  ``CAP_RETENTION_DAYS`` days before the newest event, and a capped rule grants nothing for an
  event older than that.
* Negative points can floor the score at 0, which makes the result depend on arrival order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_serializer

from leadwire.core.rules.clock import from_epoch_seconds, utc_day
from leadwire.core.rules.comparisons import NumberComparison, holds, thresholds
from leadwire.core.rules.definitions import Scoring, ScoringRule
from leadwire.core.rules.lookup import lookup
from leadwire.core.rules.state_model import CompactModel

CAP_RETENTION_DAYS = 7
BANDS: tuple[tuple[float, str], ...] = ((75, "Very Hot"), (50, "Hot"), (25, "Warm"), (0, "Cold"))


class ScoreState(CompactModel):
    points: float = Field(default=0.0, alias="v")
    at: int | None = Field(default=None, alias="at")
    max: float = Field(default=0.0, alias="mx")
    max_at: int | None = Field(default=None, alias="mt")
    used: dict[str, dict[int, float]] = Field(default_factory=dict, alias="u")  # rule id -> UTC day -> points

    @field_serializer("used")
    def _whole_numbers_without_decimals(
        self, used: dict[str, dict[int, float]]
    ) -> dict[str, dict[int, int | float]]:
        return {
            rule: {day: int(n) if n.is_integer() else n for day, n in days.items()}
            for rule, days in used.items()
        }


def decay_factor(scoring: Scoring, seconds: float) -> float:
    if scoring.decay is None or seconds <= 0:
        return 1.0
    return 0.5 ** (seconds / scoring.decay.half_life.total_seconds())


def trait_points(traits: Mapping[str, Any], scoring: Scoring) -> float:
    return sum(rule.points for rule in scoring.traits if holds(rule, lookup(traits, rule.name)))


def granted_points(score: ScoreState, rule: ScoringRule, at: int, newest: int) -> float:
    """The points ``rule`` grants an event at epoch second ``at``, recording use against its daily cap."""
    if rule.max_per_day is None:
        return float(rule.points)
    day = utc_day(at)
    if day <= utc_day(newest) - CAP_RETENTION_DAYS:
        return 0.0
    used = score.used.setdefault(rule.rule_id, {})
    room = max(rule.max_per_day - used.get(day, 0.0), 0.0)
    granted = math.copysign(min(abs(rule.points), room), rule.points)
    if granted:
        used[day] = used.get(day, 0.0) + abs(granted)
    return granted


def add_points(score: ScoreState, scoring: Scoring, at: int, points: float, traits_total: float) -> None:
    """Apply an event's points at epoch second ``at`` (0 points still moves the clock and the max)."""
    if score.at is None or at >= score.at:
        elapsed = 0 if score.at is None else at - score.at
        score.points = max(0.0, score.points * decay_factor(scoring, elapsed) + points)
        score.at = at
    else:
        score.points = max(0.0, score.points + points * decay_factor(scoring, score.at - at))
        if points > 0 and score.max_at is not None and score.max_at >= at:
            score.max += points * decay_factor(scoring, score.max_at - at)
    current = max(0.0, score.points + traits_total)
    if current > score.max:
        score.max, score.max_at = current, score.at


def score_at(score: ScoreState, scoring: Scoring, traits_total: float, instant: float) -> float:
    """The score at ``instant`` (epoch seconds, fractional allowed) if no event arrives."""
    elapsed = 0.0 if score.at is None else instant - score.at
    return max(0.0, score.points * decay_factor(scoring, elapsed) + traits_total)


def next_crossing(
    score: ScoreState, scoring: Scoring, traits_total: float, test: NumberComparison, now: datetime
) -> datetime | None:
    """The first whole second after ``now`` at which decay changes whether ``test`` holds."""
    if scoring.decay is None or score.at is None or score.points <= 0:
        return None
    half_life = scoring.decay.half_life.total_seconds()
    now_ts = now.timestamp()
    holds_now = holds(test, score_at(score, scoring, traits_total, now_ts))
    flips: list[int] = []
    for threshold in thresholds(test):
        above_floor = threshold - traits_total
        if threshold < 0 or above_floor <= 0 or above_floor >= score.points:
            continue
        crossing = score.at + half_life * math.log2(score.points / above_floor)
        if crossing <= now_ts:
            continue
        for candidate in (math.floor(crossing) + 1, math.floor(crossing) + 2):
            if holds(test, score_at(score, scoring, traits_total, candidate)) != holds_now:
                flips.append(candidate)
                break
    return from_epoch_seconds(min(flips)) if flips else None


def score_band(score: float) -> Literal["Cold", "Warm", "Hot", "Very Hot"]:
    for floor, band in BANDS:
        if score >= floor:
            return band  # type: ignore[return-value]
    return "Cold"
