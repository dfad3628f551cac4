"""Sequence state: candidate timestamps per step, and the latest start of a completed run.

A ``sequence`` holds at ``now`` when its steps happened in order (strictly increasing event
times, to the millisecond) and, with ``within``, the first step is inside ``(now - within, now]``;
without ``within``, once completed it holds for ever.

For each step the state keeps the newest ``CANDIDATES_PER_STEP`` matching timestamps that a
window can still use, as sets: the order events arrive in does not matter, so a late first step
that completes the run counts. After every event the latest start of any run the candidates
complete is folded (max) into ``completed_start``. Exact while each step has at most
``CANDIDATES_PER_STEP`` matching events inside the window; past that the oldest candidates of
a step are dropped (in-order arrival stays exact: the newest candidates are the useful ones).
"""

from __future__ import annotations

import bisect

from pydantic import Field

from leadwire.core.rules.conditions import Sequence
from leadwire.core.rules.events import LeadEvent
from leadwire.core.rules.state_model import CompactModel

CANDIDATES_PER_STEP = 8


class SequenceState(CompactModel):
    candidates: list[list[int]] = Field(default_factory=list, alias="c")  # per step, ascending epoch ms
    completed_start: int | None = Field(default=None, alias="d")  # epoch ms


def _window_ms(sequence: Sequence) -> int | None:
    return None if sequence.within is None else int(sequence.within.total_seconds() * 1000)


def latest_start(candidates: list[list[int]]) -> int | None:
    """The latest first-step time of any in-order run through the candidates (backward greedy)."""
    if not candidates or not all(candidates):
        return None
    bound = candidates[-1][-1]
    for step in reversed(candidates[:-1]):
        earlier = bisect.bisect_left(step, bound)
        if earlier == 0:
            return None
        bound = step[earlier - 1]
    return bound


def record(progress: SequenceState, sequence: Sequence, event: LeadEvent, at_ms: int) -> None:
    """Add ``event`` as a candidate for every step it matches, then fold any completed run."""
    if sequence.within is None and progress.completed_start is not None:
        return
    steps = len(sequence.steps)
    progress.candidates = (progress.candidates + [[] for _ in range(steps)])[:steps]
    matched = False
    for step, candidates in zip(sequence.steps, progress.candidates, strict=True):
        if step.matches(event):
            bisect.insort(candidates, at_ms)
            del candidates[:-CANDIDATES_PER_STEP]
            matched = True
    if not matched:
        return
    start = latest_start(progress.candidates)
    if start is not None and (progress.completed_start is None or start > progress.completed_start):
        progress.completed_start = start
    if sequence.within is None and progress.completed_start is not None:
        progress.candidates = []


def prune(progress: SequenceState, sequence: Sequence, horizon_ms: int) -> None:
    """Drop candidates that cannot start or continue a run inside the window from ``horizon_ms`` on."""
    window = _window_ms(sequence)
    if window is None:
        return
    oldest_visible = horizon_ms - window
    progress.candidates = [[at for at in step if at > oldest_visible] for step in progress.candidates]
    if not any(progress.candidates):
        progress.candidates = []
    if progress.completed_start is not None and progress.completed_start <= oldest_visible:
        progress.completed_start = None


def holds(progress: SequenceState, sequence: Sequence, now_ms: int) -> bool:
    window = _window_ms(sequence)
    start = progress.completed_start
    return start is not None and (window is None or start + window > now_ms)


def expires_at(progress: SequenceState, sequence: Sequence, now_ms: int) -> int | None:
    """Epoch ms at which a holding windowed sequence stops holding (None if it never will)."""
    window = _window_ms(sequence)
    if window is None or not holds(progress, sequence, now_ms) or progress.completed_start is None:
        return None
    return progress.completed_start + window
