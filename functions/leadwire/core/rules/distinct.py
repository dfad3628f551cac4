"""Distinct-value state: ``performed`` with ``distinct: PROPERTY`` ("read 3 different articles").

Each distinct ``(event, where, property)`` keeps a map from a value's hash to the newest instant
(epoch seconds) a matching event carried that value. Events without the property (absent or
null) count for nothing. The count at ``now`` is the number of values seen inside the window
(``within``), or ever.

Bounded: the map keeps only the ``cap`` values seen most recently, where ``cap`` is one more than
the largest count threshold of its uses (at most ``MAX_DISTINCT_COUNT``, refused beyond at
validation). The values counted in any window are the most recently seen ones, so
``min(count, cap)`` is exact for every window, for "ever", and for the instant a window count
flips; an evicted value seen again re-enters with its new instant. Values are kept as 48-bit
hashes of their canonical JSON (8 characters), so a long URL costs what a short id does; two
values colliding would count once (odds about ``cap² / 2^49``). Cost: about 20 bytes a value
in the state item, at most ``cap`` values per distinct use.

Coverage works as for counters (see ``counters``): a state records the cap and window it has
kept since created; a reload that widens them (a higher threshold, a longer window, an "ever"
use) is reported by ``untracked_aggregates`` and the lead rebuilt from its stored events.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from leadwire.core.rules.comparisons import count_cap
from leadwire.core.rules.conditions import Performed
from leadwire.core.rules.events import LeadEvent
from leadwire.core.rules.lookup import MISSING, lookup
from leadwire.core.rules.state_model import CompactModel

EVER = -1  # the window of a use without ``within``: keeps values however old


class DistinctState(CompactModel):
    seen: dict[str, int] = Field(default_factory=dict, alias="s")  # value hash -> newest epoch second
    covers_cap: int = Field(default=0, alias="k")
    covers_window: int = Field(default=EVER, alias="w")  # seconds; EVER (the default) for "ever"


@dataclass
class DistinctPlan:
    distinct_id: str
    performed: Performed  # the first node seen with this id (filter and property)
    cap: int = 0
    window: int = 0  # seconds; EVER once any use has no ``within``

    def serve(self, performed: Performed) -> None:
        self.cap = max(self.cap, count_cap(performed.count))
        self.window = _wider(self.window, window_of(performed))


def window_of(performed: Performed) -> int:
    return EVER if performed.within is None else int(performed.within.total_seconds())


def _wider(first: int, second: int) -> int:
    return EVER if EVER in (first, second) else max(first, second)


def _narrower(first: int, second: int) -> int:
    if first == EVER:
        return second
    if second == EVER:
        return first
    return min(first, second)


def value_hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(hashlib.blake2b(text.encode(), digest_size=6).digest()).decode("ascii")


def fitted(state: DistinctState | None, plan: DistinctPlan) -> DistinctState:
    """A copy kept under ``plan``: a new state covers it; an old one covers at most what it did."""
    if state is None:
        return DistinctState(covers_cap=plan.cap, covers_window=plan.window)
    return narrowed(state, plan.cap, plan.window)


def narrowed(state: DistinctState, cap: int, window: int) -> DistinctState:
    return state.model_copy(
        update={
            "seen": dict(state.seen),
            "covers_cap": min(state.covers_cap, cap),
            "covers_window": _narrower(state.covers_window, window),
        }
    )


def covers(state: DistinctState, plan: DistinctPlan) -> bool:
    window_ok = state.covers_window == EVER or (plan.window != EVER and state.covers_window >= plan.window)
    return state.covers_cap >= plan.cap and window_ok


def record(state: DistinctState, plan: DistinctPlan, event: LeadEvent, at: int) -> None:
    """Note the event's value of the property at epoch second ``at`` (any order of calls)."""
    assert plan.performed.distinct is not None
    value = lookup(event.properties, plan.performed.distinct)
    if value is MISSING or value is None:
        return
    key = value_hash(value)
    state.seen[key] = max(at, state.seen.get(key, at))
    _bound(state, plan.cap)


def _bound(state: DistinctState, cap: int) -> None:
    if len(state.seen) > cap:
        newest = sorted(state.seen.items(), key=lambda item: (item[1], item[0]), reverse=True)[:cap]
        state.seen = dict(newest)


def prune(state: DistinctState, plan: DistinctPlan, horizon: int) -> None:
    """Forget values no window can count at any instant from ``horizon`` (epoch seconds) on."""
    if plan.window != EVER:
        state.seen = {key: at for key, at in state.seen.items() if at + plan.window > horizon}
    _bound(state, plan.cap)


def merged(first: DistinctState, second: DistinctState, plan: DistinctPlan) -> DistinctState:
    """Both leads' values (newest instant each), bounded; covers what both covered."""
    seen = dict(first.seen)
    for key, at in second.seen.items():
        seen[key] = max(at, seen.get(key, at))
    state = DistinctState(seen=seen, covers_cap=first.covers_cap, covers_window=first.covers_window)
    _bound(state, plan.cap)
    return narrowed(state, second.covers_cap, second.covers_window)


def expiries(state: DistinctState, window: int, now: int) -> list[tuple[int, int]]:
    """``(instant, 1)`` per value counted at ``now`` by a windowed use, in order of leaving it."""
    return sorted((at + window, 1) for at in state.seen.values() if now < at + window)
