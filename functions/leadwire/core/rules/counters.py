"""Counter state: recording matching events, pruning, and reading a ``performed`` count."""

from __future__ import annotations

import bisect

from pydantic import Field

from leadwire.core.rules.aggregates import CounterPlan, Reading
from leadwire.core.rules.state_model import CompactModel


class CounterState(CompactModel):
    total: int = Field(default=0, alias="n")
    latest: list[int] = Field(default_factory=list, alias="t")  # ascending epoch seconds
    buckets: dict[int, dict[int, int]] = Field(default_factory=dict, alias="b")  # width -> index -> count


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
