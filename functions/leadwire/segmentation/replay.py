"""Replay stored events through the segmentation engine in memory: previews and backtests.

The same ``SegmentationEngine`` the stream consumer runs, with in-memory ports instead of
DynamoDB, so a preview decides exactly as the engine would and writes nothing. Leads whose ids
other leads' ``alias``/``identify`` calls name are replayed first, so the engine merges them as
it does live.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import Definitions
from leadwire.core.rules.references import references
from leadwire.core.tracking import StoredEvent
from leadwire.segmentation.engine import SegmentationEngine, identity_sources


@dataclass
class _MemoryLeads:
    records: dict[str, LeadRecord] = field(default_factory=dict)
    transitions: list[tuple[str, Transition]] = field(default_factory=list)

    def load(self, lead_id: str) -> LeadRecord | None:
        return self.records.get(lead_id)

    def save(self, record: LeadRecord, transitions: list[Transition]) -> LeadRecord:
        stored = record.model_copy(update={"version": record.version + 1, "outbox": []})
        self.records[record.lead_id] = stored
        self.transitions.extend((record.lead_id, transition) for transition in transitions)
        return stored


@dataclass(frozen=True)
class _MemoryHistory:
    events: Mapping[str, Sequence[StoredEvent]]

    def lead_events(self, lead_id: str) -> Iterable[StoredEvent]:
        return self.events.get(lead_id, ())


@dataclass(frozen=True)
class Replay:
    records: dict[str, LeadRecord]  # the final state of every replayed lead (merged ones included)
    transitions: list[tuple[str, Transition]]  # (lead id, change) in the order the engine made them
    events: int
    leads: int

    def members(self, segment_id: str) -> list[str]:
        """The leads in ``segment_id`` at the end of the replay."""
        return sorted(
            lead_id
            for lead_id, record in self.records.items()
            if record.merged_into is None and segment_id in record.state.members
        )


def replay(
    events_by_lead: Mapping[str, Sequence[StoredEvent]], definitions: Definitions, now: datetime
) -> Replay:
    leads = _MemoryLeads()
    engine = SegmentationEngine(leads, _MemoryHistory(events_by_lead), definitions, lambda: now)
    sources = {source for events in events_by_lead.values() for source, _ in identity_sources(events)}
    order = sorted(events_by_lead, key=lambda lead_id: (lead_id not in sources, lead_id))
    count = 0
    for lead_id in order:
        events = [event for event in events_by_lead[lead_id] if event.timestamp <= now]
        count += len(events)
        if events:
            engine.process(lead_id, events)
    return Replay(records=leads.records, transitions=leads.transitions, events=count, leads=len(order))


def closure(definitions: Definitions, segment_ids: Iterable[str]) -> Definitions:
    """Only the segments ``segment_ids`` need (themselves and their ``in_segment`` targets), with
    the scoring: a replay evaluates nothing else."""
    by_id = {segment.id: segment for segment in definitions.segments}
    wanted: set[str] = set()
    pending = [segment_id for segment_id in segment_ids if segment_id in by_id]
    while pending:
        segment_id = pending.pop()
        if segment_id in wanted:
            continue
        wanted.add(segment_id)
        pending.extend(target for _, target in references(by_id[segment_id]))
    return Definitions(
        segments=[segment for segment in definitions.segments if segment.id in wanted],
        scoring=definitions.scoring,
    )
