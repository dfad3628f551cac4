"""Account scores (B2B): a lead's part of its account's score, and the account score from the parts.

A lead's score is ``points * 2^(-(t - at) / half_life) + level`` (``level``: its trait points,
which do not decay). Every lead decays at the same rate, so the sum over an account's leads is
``weighted * 2^(-(t - ref) / half_life) + level_sum`` with ``weighted`` the sum of each lead's
points carried to one reference instant ``ref`` of the account. A lead's change is then a delta
that a store can ADD to the account item, without reading the other leads and without a lock.
``avg`` is that sum over the number of leads; ``max`` needs every lead's part (see the store).

Known approximations: the sum floors at 0 as a whole, not per lead (they differ only with
negative trait points), and ``ref`` must be moved forward (``needs_rebase``) before weights
outgrow a DynamoDB number (at most about 400 half-lives after ``ref``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadwire.core.rules import Definitions, Scoring
from leadwire.core.rules.account_facts import Curve
from leadwire.core.rules.account_view import AccountView
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.scoring import trait_points

ScoreMode = Literal["sum", "max", "avg"]
# Half-lives between ``ref`` and a lead's instant before the store moves ``ref`` forward.
REBASE_AFTER_HALF_LIVES = 200
# Weights closer than this (relative) are the same part: decay alone never rewrites the account.
SAME_WEIGHT = 1e-9


class Contribution(BaseModel):
    """One lead's part of its account's score."""

    model_config = ConfigDict(frozen=True)

    points: float = 0.0  # behavioural points at ``at``
    at: int | None = None  # epoch seconds
    level: float = 0.0  # trait points
    segments: frozenset[str] = frozenset()  # the lead segments it is in that accounts count

    def score(self, scoring: Scoring, now: datetime) -> float:
        return max(0.0, self.points * _carry(scoring, self.at, now.timestamp()) + self.level)


class AccountTotals(BaseModel):
    """The account item's aggregate: ``weighted`` is the leads' points carried to ``ref``."""

    model_config = ConfigDict(frozen=True)

    ref: int = 0
    weighted: float = 0.0
    level: float = 0.0
    leads: int = 0
    counts: dict[str, int] = Field(default_factory=dict)  # lead segment id -> leads in it

    def score(self, mode: ScoreMode, scoring: Scoring, now: datetime) -> float:
        total = max(0.0, self.weighted * _carry(scoring, self.ref, now.timestamp()) + self.level)
        if mode == "avg":
            return total / self.leads if self.leads else 0.0
        return total


def contribution(state: LeadState, scoring: Scoring, counted: frozenset[str] = frozenset()) -> Contribution:
    """The lead's part; ``counted``: the lead segments account segments count members of."""
    return Contribution(
        points=state.score.points,
        at=state.score.at,
        level=trait_points(state.traits, scoring),
        segments=frozenset(state.members) & counted,
    )


def weight(part: Contribution | None, ref: int, scoring: Scoring) -> float:
    """``part``'s points carried (forward or back) to ``ref``; 0 for no part."""
    if part is None or part.at is None:
        return 0.0
    return part.points * _carry(scoring, part.at, ref)


def delta(
    old: Contribution | None, new: Contribution | None, ref: int, scoring: Scoring
) -> tuple[float, float, int]:
    """What to ADD to ``(weighted, level, leads)`` when a lead's part goes from ``old`` to ``new``."""
    weighted = weight(new, ref, scoring) - weight(old, ref, scoring)
    level = (new.level if new else 0.0) - (old.level if old else 0.0)
    return weighted, level, (new is not None) - (old is not None)


def unchanged(old: Contribution | None, new: Contribution, ref: int, scoring: Scoring) -> bool:
    """True when ``new`` adds nothing to ``old`` (decay and zero-point events only move ``at``)."""
    if old is None:
        return False
    before, after = weight(old, ref, scoring), weight(new, ref, scoring)
    if old.segments != new.segments:
        return False
    return old.level == new.level and abs(after - before) <= SAME_WEIGHT * max(abs(before), abs(after), 1.0)


def count_deltas(old: Contribution | None, new: Contribution | None) -> dict[str, int]:
    """What to ADD to each lead-segment counter: +1 entered, -1 left (nothing for the rest)."""
    before = old.segments if old else frozenset()
    after = new.segments if new else frozenset()
    return dict.fromkeys(after - before, 1) | dict.fromkeys(before - after, -1)


def needs_rebase(ref: int, part: Contribution, scoring: Scoring) -> bool:
    if scoring.decay is None or part.at is None:
        return False
    return abs(part.at - ref) > REBASE_AFTER_HALF_LIVES * scoring.decay.half_life.total_seconds()


def rebased(totals: AccountTotals, ref: int, scoring: Scoring) -> AccountTotals:
    """The same totals expressed at another reference instant."""
    return totals.model_copy(
        update={"ref": ref, "weighted": totals.weighted * _carry(scoring, totals.ref, ref)}
    )


def max_score(parts: Iterable[Contribution], scoring: Scoring, now: datetime) -> float:
    return max((part.score(scoring, now) for part in parts), default=0.0)


def _carry(scoring: Scoring, since: float | None, until: float) -> float:
    """The decay factor from ``since`` to ``until`` (> 1 when carried back in time)."""
    if scoring.decay is None or since is None:
        return 1.0
    return float(0.5 ** ((until - since) / scoring.decay.half_life.total_seconds()))


def account_score(
    totals: AccountTotals,
    definitions: Definitions,
    parts: Callable[[], Iterable[Contribution]],
    now: datetime,
) -> float:
    """The account's score at ``now`` as ``accounts.score`` defines it; ``parts`` is read for ``max`` only."""
    mode, scoring = definitions.accounts.score, definitions.scoring
    if mode == "max":
        return max_score(parts(), scoring, now)
    return totals.score(mode, scoring, now)


def score_curves(
    totals: AccountTotals, definitions: Definitions, parts: Callable[[], Iterable[Contribution]]
) -> tuple[Curve, ...]:
    """The account's score as curves in time (``account_facts``): the aggregate for ``sum``, the
    aggregate over the lead count for ``avg``, every lead's part for ``max`` (``parts`` is read
    for ``max`` only). Their value at ``t`` is ``account_score`` at ``t``."""
    mode = definitions.accounts.score
    if mode == "max":
        return tuple(Curve(part.points, part.at, part.level) for part in parts())
    share = 1 / totals.leads if mode == "avg" and totals.leads else 1.0
    if mode == "avg" and not totals.leads:
        return (Curve(),)
    return (Curve(totals.weighted * share, totals.ref, totals.level * share),)


def account_view(
    account_id: str,
    traits: Mapping[str, Any],
    totals: AccountTotals,
    definitions: Definitions,
    parts: Callable[[], Iterable[Contribution]],
) -> AccountView:
    """What a lead's conditions read of its account; ``max`` reads the parts at most once."""
    listed = cache(lambda: list(parts()))
    return AccountView(
        account_id=account_id,
        traits=dict(traits),
        score=lambda now: account_score(totals, definitions, listed, now),
    )
