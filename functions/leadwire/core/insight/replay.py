"""Replay stored events through the pure engine in memory: previews and backtests, nothing written.

The engine's steps with the engine's functions: events of a lead in event-time order, each
applied (``IncrementalApply``, the incremental form of ``apply_events``) and evaluated at its instant
(``evaluate``); time-based flips between events evaluated at their own due instants
(``next_flip_at``); membership changes from ``diff``. Unlike the stream consumer it keeps the
state in memory for the whole run, so it evaluates once per event and copies the state once
per lead. Anonymous ids that an ``alias`` or an ``identify`` names are folded into their known
lead from the start (the engine merges their aggregates when the identify arrives; counters,
scores and traits end the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from leadwire.core.leads import Transition
from leadwire.core.rules import Definitions, Evaluation, LeadEvent, LeadState, diff, evaluate
from leadwire.core.rules.apply import IncrementalApply
from leadwire.core.rules.clock import epoch_seconds
from leadwire.core.rules.references import references
from leadwire.core.tracking import StoredEvent

MAX_FLIPS_BETWEEN_EVENTS = 1000
REPLAY_VERSION = "replay"


@dataclass(frozen=True)
class Replay:
    states: dict[str, LeadState]  # the final state of every replayed lead
    transitions: list[tuple[str, Transition]]  # (lead id, change) in the order they happened per lead
    events: int
    leads: int

    def members(self, segment_id: str) -> list[str]:
        """The leads in ``segment_id`` at the end of the replay."""
        return sorted(lead_id for lead_id, state in self.states.items() if segment_id in state.members)


def lead_event(event: StoredEvent) -> LeadEvent:
    return LeadEvent(
        message_id=event.message_id,
        type=event.type,
        event=event.event,
        timestamp=event.timestamp,
        properties=event.properties,
        traits=event.traits,
    )


def known_leads(events: Iterable[StoredEvent]) -> dict[str, str]:
    """Anonymous id -> the known lead an ``alias`` or an ``identify`` with both ids names."""
    owners: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e.timestamp):
        if event.type == "alias" and event.previous_id:
            source = event.previous_id
        elif event.type == "identify" and event.user_id and event.anonymous_id:
            source = event.anonymous_id
        else:
            continue
        if source != event.lead_id:
            owners.setdefault(source, event.lead_id)
    return owners


def group(events: Iterable[StoredEvent]) -> dict[str, list[LeadEvent]]:
    """Events per lead, anonymous ids folded into their known lead (one hop)."""
    stored = list(events)
    owners = known_leads(stored)
    grouped: dict[str, list[LeadEvent]] = {}
    for event in stored:
        owner = owners.get(event.lead_id, event.lead_id)
        grouped.setdefault(owner, []).append(lead_event(event))
    return grouped


def replay(
    events_by_lead: Mapping[str, Sequence[LeadEvent]], definitions: Definitions, now: datetime
) -> Replay:
    states: dict[str, LeadState] = {}
    transitions: list[tuple[str, Transition]] = []
    count = 0
    for lead_id, events in events_by_lead.items():
        ordered = sorted((e for e in events if e.timestamp <= now), key=lambda e: (e.timestamp, e.message_id))
        count += len(ordered)
        if ordered:
            states[lead_id] = _replay_lead(lead_id, ordered, definitions, now, transitions)
    return Replay(states=states, transitions=transitions, events=count, leads=len(events_by_lead))


def _replay_lead(
    lead_id: str,
    events: list[LeadEvent],
    definitions: Definitions,
    now: datetime,
    out: list[tuple[str, Transition]],
) -> LeadState:
    applier = IncrementalApply(LeadState.new(lead_id), definitions, now=now)
    state = applier.state
    next_flip: datetime | None = None
    evaluated_at: datetime | None = None

    def record(evaluation: Evaluation, cause: str) -> None:
        nonlocal next_flip, evaluated_at
        before = state.memberships
        for change in diff(before, evaluation):
            change = change.model_copy(update={"at": change.at.replace(microsecond=0)})
            entered_at = change.at if change.kind == "entered" else before[change.segment_id]
            transition = Transition(
                change=change, cause=cause, entered_at=entered_at, definition_version=REPLAY_VERSION
            )
            out.append((lead_id, transition))
        state.members = {key: epoch_seconds(at) for key, at in evaluation.memberships.items()}
        next_flip, evaluated_at = evaluation.next_flip_at, evaluation.at

    def flips_until(until: datetime) -> None:
        for _ in range(MAX_FLIPS_BETWEEN_EVENTS):
            if next_flip is None or evaluated_at is None or next_flip > until:
                return
            record(evaluate(state, definitions, next_flip), "time")

    for event in events:
        at = min(event.timestamp, now)
        if evaluated_at is not None:
            at = max(at, evaluated_at)
        flips_until(at)
        applier.apply(event)
        record(evaluate(state, definitions, at), event.message_id)
    flips_until(now)
    return applier.finish()


def closure(definitions: Definitions, segment_ids: Iterable[str]) -> Definitions:
    """Only the segments ``segment_ids`` need (themselves and their ``in_segment`` targets), with
    the scoring and the visit gap: a replay evaluates nothing else."""
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
        visits=definitions.visits,
        accounts=definitions.accounts,
    )
