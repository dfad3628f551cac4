"""Visit state: the ``visits`` condition ("returning after a second visit", "10 seconds on site").

A visit is a run of the lead's activity (track, page and screen events) whose consecutive events
are less than the gap apart (``visits: {gap: PT30M}`` in the config, 30 minutes by default). Its
duration runs from its first activity to its last, so "10 seconds on site" turns true at the
event that takes the visit past 10 seconds. A windowed count (``within``) counts the visits whose
last activity is inside the window; each leaves the window when its last activity does.

The state keeps, as ``[start, end]`` epoch seconds in ascending order, the newest visits the
windowed uses can still count (at least the two newest, at most ``MAX_KEPT_VISITS``), and for
every ``min_duration`` in use (0 for any visit) how many older visits, no longer kept, lasted at
least that long: an "ever" count is that number plus the kept visits that qualify. A kept visit
is retired into those numbers once no windowed use needs it: outside every window that counts it,
or with ``cap`` newer qualifying visits in front of it. Exact, with two documented bounds:

* a windowed count needing more than ``MAX_KEPT_VISITS`` visits (a lead that visited more often
  than that inside the window with mostly shorter visits than ``min_duration``) misses qualifying
  visits older than the ``MAX_KEPT_VISITS`` newest visits;
* a late event (an event time before events already applied) older than every kept visit, once
  older visits were retired, is taken to belong to a retired visit and changes nothing; one that
  bridges the oldest kept visit and a retired one does not join them (the count stays one
  higher). Late events among the two newest visits, the usual case, are exact.

Cost: about 24 bytes per kept visit plus about 8 per ``min_duration`` in use; for the default
config's ever-count (Returning Visitors) two kept visits and one retired count, about 70 bytes.

A state records the gap, the ``min_duration`` values, the longest window and the cap it has kept
since it was created (its coverage, as for counters): a reload that changes the gap or widens what
must be kept is reported by ``untracked_aggregates`` and the lead rebuilt from its stored events.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from pydantic import Field

from leadwire.core.rules.comparisons import count_cap
from leadwire.core.rules.conditions import Visits
from leadwire.core.rules.state_model import CompactModel

MAX_KEPT_VISITS = 16
DEFAULT_GAP = 1800  # seconds: the default ``visits.gap`` (definitions)
# The newest visits are kept whatever the uses need: a late event between them still joins them.
MIN_KEPT_VISITS = 2


class VisitState(CompactModel):
    runs: list[list[int]] = Field(default_factory=list, alias="r")  # [start, end], ascending
    retired: dict[int, int] = Field(default_factory=dict, alias="o")  # min duration (s) -> older visits
    # coverage: what the state has kept since it was created (see the module docstring)
    # The usual values are the defaults, so a stored state leaves them out (``to_json``).
    gap: int = Field(default=DEFAULT_GAP, alias="g")  # seconds
    covers_durations: list[int] = Field(default_factory=lambda: [0], alias="d")
    covers_window: int = Field(default=0, alias="w")
    covers_cap: int = Field(default=0, alias="k")


@dataclass(frozen=True)
class VisitUse:
    min_duration: int  # seconds
    window: int  # seconds; 0 for "ever"
    cap: int


def use_of(visits: Visits) -> VisitUse:
    return VisitUse(
        min_duration=0 if visits.min_duration is None else int(visits.min_duration.total_seconds()),
        window=0 if visits.within is None else int(visits.within.total_seconds()),
        cap=count_cap(visits.count),
    )


@dataclass
class VisitPlan:
    gap: int
    uses: set[VisitUse] = field(default_factory=set)

    @property
    def durations(self) -> list[int]:
        return sorted({0} | {use.min_duration for use in self.uses})

    @property
    def windowed(self) -> list[VisitUse]:
        return [use for use in self.uses if use.window]

    @property
    def window(self) -> int:
        return max((use.window for use in self.windowed), default=0)

    @property
    def cap(self) -> int:
        return max((use.cap for use in self.windowed), default=0)


def fitted(state: VisitState | None, plan: VisitPlan) -> VisitState:
    """A copy kept under ``plan``: a new state covers it; an old one covers at most what it did
    (nothing, if its visits were cut with another gap)."""
    if state is None:
        return VisitState(
            gap=plan.gap, covers_durations=plan.durations, covers_window=plan.window, covers_cap=plan.cap
        )
    copy = state.model_copy(deep=True)
    if copy.gap != plan.gap:
        return copy.model_copy(update={"covers_durations": [], "covers_window": 0, "covers_cap": 0})
    return narrowed(copy, plan.durations, plan.window, plan.cap)


def narrowed(state: VisitState, durations: list[int], window: int, cap: int) -> VisitState:
    kept = sorted(set(state.covers_durations) & set(durations))
    return state.model_copy(
        update={
            "covers_durations": kept,
            "covers_window": min(state.covers_window, window),
            "covers_cap": min(state.covers_cap, cap),
            "retired": {duration: n for duration, n in state.retired.items() if duration in kept},
        }
    )


def covers(state: VisitState, plan: VisitPlan) -> bool:
    return (
        state.gap == plan.gap
        and set(plan.durations) <= set(state.covers_durations)
        and state.covers_window >= plan.window
        and state.covers_cap >= plan.cap
    )


def record(state: VisitState, plan: VisitPlan, at: int) -> None:
    """Add an activity at epoch second ``at``: extend, start or join visits (any order of calls)."""
    runs, gap = state.runs, plan.gap
    if runs and state.retired.get(0) and at <= runs[0][0] - gap:
        return  # older than every kept visit: part of a retired one (see the module docstring)
    touching = [index for index, (start, end) in enumerate(runs) if start - gap < at < end + gap]
    if not touching:
        bisect.insort(runs, [at, at])
        return
    first, last = touching[0], touching[-1]
    joined = [min(runs[first][0], at), max(runs[last][1], at)]
    runs[first : last + 1] = [joined]


def prune(state: VisitState, plan: VisitPlan, horizon: int) -> None:
    """Retire the oldest visits no windowed use can count from ``horizon`` (epoch seconds) on."""
    while len(state.runs) > MIN_KEPT_VISITS and (
        len(state.runs) > MAX_KEPT_VISITS or not _needed(state.runs, plan, horizon)
    ):
        _retire(state, plan, state.runs.pop(0))


def _needed(runs: list[list[int]], plan: VisitPlan, horizon: int) -> bool:
    """Whether a windowed use can still count the oldest of ``runs`` at some instant from ``horizon``."""
    start, end = runs[0]
    for use in plan.windowed:
        if end - start < use.min_duration or end + use.window <= horizon:
            continue
        newer = sum(1 for s, e in runs[1:] if e - s >= use.min_duration)
        if newer < use.cap:
            return True
    return False


def _retire(state: VisitState, plan: VisitPlan, run: list[int]) -> None:
    length = run[1] - run[0]
    for duration in plan.durations:
        if length >= duration:
            state.retired[duration] = state.retired.get(duration, 0) + 1


def merged(first: VisitState, second: VisitState, plan: VisitPlan) -> VisitState:
    """Both leads' visits as one history: overlapping or near visits joined, retired counts summed.

    A lead that retired visits knows nothing before its oldest kept one, so the other lead's
    visits ending before that are retired too (their interleaving with the retired ones is
    unknown: two such visits less than the gap apart count twice)."""
    retired = {d: first.retired.get(d, 0) + second.retired.get(d, 0) for d in plan.durations}
    state = VisitState(
        retired={d: n for d, n in retired.items() if n},
        gap=first.gap,
        covers_durations=first.covers_durations,
        covers_window=first.covers_window,
        covers_cap=first.covers_cap,
    )
    bounds = [side.runs[0][0] for side in (first, second) if side.runs and side.retired.get(0)]
    boundary = max(bounds, default=None)
    for start, end in sorted(first.runs + second.runs):
        if boundary is not None and end < boundary:
            _retire(state, plan, [start, end])
        elif state.runs and start - state.runs[-1][1] < plan.gap:
            state.runs[-1][1] = max(state.runs[-1][1], end)
        else:
            state.runs.append([start, end])
    if second.gap != first.gap:
        return state.model_copy(update={"covers_durations": [], "covers_window": 0, "covers_cap": 0})
    return narrowed(state, second.covers_durations, second.covers_window, second.covers_cap)


def ever(state: VisitState, use: VisitUse) -> int:
    """Every visit so far that lasted at least the use's ``min_duration``."""
    kept = sum(1 for start, end in state.runs if end - start >= use.min_duration)
    return state.retired.get(use.min_duration, 0) + kept


def expiries(state: VisitState, use: VisitUse, now: int) -> list[tuple[int, int]]:
    """``(instant, 1)`` per qualifying visit counted at ``now`` by a windowed use, in order of leaving."""
    return [
        (end + use.window, 1)
        for start, end in state.runs
        if end - start >= use.min_duration and now < end + use.window
    ]
