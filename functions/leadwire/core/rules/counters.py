"""Counter state: recording matching events, pruning, and reading a ``performed`` count.

A counter also records its *coverage*: the parts of a plan (``CounterPlan``) it has kept since it
was created, so a reload that widens what the same filter must keep (a longer window, a higher
count threshold, an "ever" use, another bucket window) is detected and the lead rebuilt from its
stored events (``untracked_aggregates``). A counter created under a plan covers that plan; fitted
to a later plan its coverage only ever narrows (the componentwise minimum), since what a narrower
plan pruned is gone. A counter stored without coverage (before it was recorded) covers nothing:
every plan needs some part, so such a counter is rebuilt once.
"""

from __future__ import annotations

import bisect

from pydantic import Field

from leadwire.core.rules.aggregates import CounterPlan, Reading
from leadwire.core.rules.state_model import CompactModel


class CounterState(CompactModel):
    total: int = Field(default=0, alias="n")
    latest: list[int] = Field(default_factory=list, alias="t")  # ascending epoch seconds
    buckets: dict[int, dict[int, int]] = Field(default_factory=dict, alias="b")  # width -> index -> count
    # coverage: what the counter has kept since it was created (see the module docstring)
    covers_total: bool = Field(default=False, alias="e")
    covers_cap: int = Field(default=0, alias="k")
    covers_window: int = Field(default=0, alias="w")  # seconds
    covers_buckets: dict[int, int] = Field(default_factory=dict, alias="g")  # width -> window


def fitted(counter: CounterState | None, plan: CounterPlan) -> CounterState:
    """``counter`` (a copy) kept under ``plan``: a new counter covers the plan; an existing one
    covers at most what it covered already (never more: it has not kept the rest)."""
    if counter is None:
        return CounterState(
            covers_total=plan.keeps_total,
            covers_cap=plan.latest_cap,
            covers_window=plan.latest_window if plan.latest_cap else 0,
            covers_buckets=dict(plan.bucket_windows),
        )
    return narrowed(counter, plan.keeps_total, plan.latest_cap, plan.latest_window, plan.bucket_windows)


def narrowed(
    counter: CounterState, keeps_total: bool, cap: int, window: int, bucket_windows: dict[int, int]
) -> CounterState:
    """A copy of ``counter`` whose coverage is at most the one given."""
    cap, window = min(counter.covers_cap, cap), min(counter.covers_window, window)
    if not cap or not window:
        cap = window = 0
    buckets = {
        width: covered
        for width, longest in bucket_windows.items()
        if (covered := min(counter.covers_buckets.get(width, 0), longest)) > 0
    }
    return counter.model_copy(
        update={
            "covers_total": counter.covers_total and keeps_total,
            "covers_cap": cap,
            "covers_window": window,
            "covers_buckets": buckets,
        }
    )


def narrowed_to(counter: CounterState, other: CounterState) -> CounterState:
    """A copy of ``counter`` covering what both it and ``other`` cover (the minimum)."""
    return narrowed(counter, other.covers_total, other.covers_cap, other.covers_window, other.covers_buckets)


def uncovered(counter: CounterState) -> CounterState:
    """A copy of ``counter`` that covers nothing (so it is rebuilt)."""
    return narrowed(counter, False, 0, 0, {})


def covers(counter: CounterState, plan: CounterPlan) -> bool:
    """Whether ``counter`` has kept everything ``plan`` reads (else it needs a rebuild)."""
    return (
        (counter.covers_total or not plan.keeps_total)
        and counter.covers_cap >= plan.latest_cap
        and (not plan.latest_cap or counter.covers_window >= plan.latest_window)
        and all(
            counter.covers_buckets.get(width, 0) >= window for width, window in plan.bucket_windows.items()
        )
    )


def record(counter: CounterState, plan: CounterPlan, at: int) -> None:
    """Count one matching event at epoch second ``at`` (order of calls does not matter)."""
    if plan.keeps_total:
        counter.total += 1
    if plan.latest_cap:
        bisect.insort(counter.latest, at)
        del counter.latest[: -plan.latest_cap]
    for width in plan.bucket_windows:
        counts = counter.buckets.setdefault(width, {})
        counts[at // width] = counts.get(at // width, 0) + 1


def prune(counter: CounterState, plan: CounterPlan, horizon: int) -> None:
    """Forget what no window can count at any instant from ``horizon`` (epoch seconds) on."""
    if not plan.keeps_total:
        counter.total = 0
    if plan.latest_cap:
        oldest_visible = horizon - plan.latest_window
        counter.latest = [at for at in counter.latest[-plan.latest_cap :] if at > oldest_visible]
    else:
        counter.latest = []
    kept: dict[int, dict[int, int]] = {}
    for width, window in plan.bucket_windows.items():
        counts = counter.buckets.get(width, {})
        visible = {index: n for index, n in counts.items() if (index + 1) * width + window > horizon}
        if visible:
            kept[width] = visible
    counter.buckets = kept


def expiries(counter: CounterState, use: Reading, now: int) -> list[tuple[int, int]]:
    """``(instant, how many)`` for the counted events of a windowed use, in order of leaving the window.

    The count at ``now`` is the sum of ``how many``; each instant is when that many leave it.
    """
    if use.part == "latest":
        return [(at + use.window, 1) for at in counter.latest if at + use.window > now]
    counts = counter.buckets.get(use.width, {})
    leaving = (((index + 1) * use.width + use.window, n) for index, n in counts.items())
    return sorted((instant, n) for instant, n in leaving if instant > now)
