"""Which aggregates a lead state keeps, derived from the loaded definitions.

Evaluation never reads raw events. Each distinct ``(event, where)`` used by a ``performed``
node gets one *counter*, identified by a hash of its canonical JSON (so state survives a
reload that keeps the filter). A counter keeps only the parts its uses need:

* ``total``: a running count, for uses without ``within`` ("ever"). Exact, one integer.
* ``latest``: the newest ``cap`` event timestamps (epoch seconds) inside the longest exact
  window, where ``cap`` is one more than the largest count threshold, so ``min(count, cap)``
  is exact and every comparison on the count, and the instant it flips, is exact to the second.
  ``count`` defaults to ``>= 1``, so a plain "performed X within P14D" keeps two timestamps.
* ``buckets``: only when a windowed count threshold needs more than ``EXACT_LIMIT`` events:
  counts per bucket, the bucket being a day, an hour or a minute, the widest that is at most
  1/24 of the window. A bucket leaves the window when its end does, so such a count may
  include events up to one bucket (under 1/24 of the window) older than the window.

A counter's state also records which of these parts, with which cap and windows, it has kept
since it was created (its coverage, see ``counters``): a reload that widens them for the same
filter is then reported by ``untracked_aggregates`` and the lead rebuilt from its events.

A ``performed`` node with ``distinct`` reads a distinct-value set instead of a counter (see
``distinct``); ``visits`` nodes read one visit state (see ``visits``). Each ``sequence`` node
keeps candidate step timestamps (see ``sequences``); scoring keeps its own small state (see
``scoring``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal, Protocol

from leadwire.core.rules.comparisons import count_cap
from leadwire.core.rules.conditions import (
    EventFilter,
    Node,
    Performed,
    PerformedNode,
    Sequence,
    SequenceNode,
    VisitsNode,
    walk,
)
from leadwire.core.rules.distinct import DistinctPlan
from leadwire.core.rules.segment_models import Scoring, ScoringRule, Segment, VisitSettings
from leadwire.core.rules.visits import VisitPlan, use_of


class PlannedDefinitions(Protocol):
    """What a plan is derived from (``Definitions``): its segments, scoring and visit settings."""

    @property
    def segments(self) -> list[Segment]: ...

    @property
    def scoring(self) -> Scoring: ...

    @property
    def visits(self) -> VisitSettings: ...


EXACT_LIMIT = 64
BUCKET_WIDTHS = (86_400, 3_600, 60)
WINDOWS_PER_BUCKET = 24


@dataclass(frozen=True)
class Reading:
    """How one ``performed`` node reads its counter."""

    part: Literal["total", "latest", "buckets"]
    window: int = 0  # seconds; 0 for "total"
    cap: int = 0  # "latest": how many timestamps the node needs
    width: int = 0  # "buckets": bucket width in seconds


def reading(performed: Performed) -> Reading:
    if performed.within is None:
        return Reading("total")
    window = int(performed.within.total_seconds())
    cap = count_cap(performed.count)
    if cap <= EXACT_LIMIT:
        return Reading("latest", window=window, cap=cap)
    width = next((w for w in BUCKET_WIDTHS if w * WINDOWS_PER_BUCKET <= window), BUCKET_WIDTHS[-1])
    return Reading("buckets", window=window, width=width)


@dataclass
class CounterPlan:
    counter_id: str
    filter: EventFilter
    keeps_total: bool = False
    latest_cap: int = 0
    latest_window: int = 0
    bucket_windows: dict[int, int] = field(default_factory=dict)  # width -> longest window

    def serve(self, use: Reading) -> None:
        if use.part == "total":
            self.keeps_total = True
        elif use.part == "latest":
            self.latest_cap = max(self.latest_cap, use.cap)
            self.latest_window = max(self.latest_window, use.window)
        else:
            self.bucket_windows[use.width] = max(self.bucket_windows.get(use.width, 0), use.window)


@dataclass
class AggregatePlan:
    counters: dict[str, CounterPlan]
    sequences: dict[str, Sequence]
    rules: list[ScoringRule]
    counters_by_event: dict[str, list[CounterPlan]]
    sequences_by_event: dict[str, list[Sequence]]
    rules_by_event: dict[str, list[ScoringRule]]
    distinct: dict[str, DistinctPlan] = field(default_factory=dict)
    distinct_by_event: dict[str, list[DistinctPlan]] = field(default_factory=dict)
    visits: VisitPlan | None = None  # None: no ``visits`` node, no visit state kept


def _conditions(definitions: PlannedDefinitions) -> list[Node]:
    roots = [root for segment in definitions.segments for root in (segment.condition, segment.exit_when)]
    return [node for root in roots if root is not None for _path, node in walk(root)]


def build_plan(definitions: PlannedDefinitions) -> AggregatePlan:
    counters: dict[str, CounterPlan] = {}
    sequences: dict[str, Sequence] = {}
    distinct: dict[str, DistinctPlan] = {}
    visits: VisitPlan | None = None
    for node in _conditions(definitions):
        if isinstance(node, PerformedNode) and node.performed.distinct is not None:
            performed = node.performed
            distinct.setdefault(performed.distinct_id, DistinctPlan(performed.distinct_id, performed)).serve(
                performed
            )
        elif isinstance(node, PerformedNode):
            performed = node.performed
            counter = counters.setdefault(performed.filter_id, CounterPlan(performed.filter_id, performed))
            counter.serve(reading(performed))
        elif isinstance(node, SequenceNode):
            sequences[node.sequence.sequence_id] = node.sequence
        elif isinstance(node, VisitsNode):
            visits = visits or VisitPlan(gap=int(definitions.visits.gap.total_seconds()))
            visits.uses.add(use_of(node.visits))
    counters_by_event: dict[str, list[CounterPlan]] = defaultdict(list)
    for counter in counters.values():
        counters_by_event[counter.filter.event].append(counter)
    sequences_by_event: dict[str, list[Sequence]] = defaultdict(list)
    for sequence in sequences.values():
        for event in dict.fromkeys(step.event for step in sequence.steps):
            sequences_by_event[event].append(sequence)
    distinct_by_event: dict[str, list[DistinctPlan]] = defaultdict(list)
    for distinct_plan in distinct.values():
        distinct_by_event[distinct_plan.performed.event].append(distinct_plan)
    rules_by_event: dict[str, list[ScoringRule]] = defaultdict(list)
    for rule in definitions.scoring.rules:
        rules_by_event[rule.event].append(rule)
    return AggregatePlan(
        counters=counters,
        sequences=sequences,
        rules=list(definitions.scoring.rules),
        counters_by_event=dict(counters_by_event),
        sequences_by_event=dict(sequences_by_event),
        rules_by_event=dict(rules_by_event),
        distinct=distinct,
        distinct_by_event=dict(distinct_by_event),
        visits=visits,
    )
