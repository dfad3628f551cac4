"""``POST /segments/preview`` and ``POST /triggers/preview``: stored events replayed, nothing written.

An account-level definition, or a trigger on an account segment, is refused (400 naming
``segment.level``, ``trigger.on.enter``): the replay is per lead, and listing every account's
stored state would take a Scan.

Every stored event is read (in AWS through the ``leads`` index and one Query per lead, never a
Scan; on ``leadwire local`` from moto's table in place) and replayed per lead through the pure
engine in memory (``core.insight.replay``). The state needs the whole history (traits, counters,
first seen), so all events up to now are replayed; the series covers the window ``since``
ending now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from leadwire.admin.insight import parse_window
from leadwire.admin.insight_models import (
    PreviewSeriesPoint,
    PreviewView,
    TriggerPreviewView,
    TriggerSeriesPoint,
)
from leadwire.admin.segments import InvalidDefinition, relative_problems
from leadwire.config_loader import definitions_of, triggers_of
from leadwire.core.definitions_doc import SegmentOverride, effective_document
from leadwire.core.delivery.decisions import Recipient
from leadwire.core.delivery.policy import DeliveryPolicy
from leadwire.core.errors import InvalidRequest
from leadwire.core.insight.replay import Replay, closure, group, replay
from leadwire.core.insight.trigger_backtest import (
    Occurrence,
    apply_reentry,
    deliver,
    event_occurrences,
)
from leadwire.core.instants import iso
from leadwire.core.rules import DefinitionError, Definitions, LeadEvent
from leadwire.core.rules.errors import Problem, format_path
from leadwire.core.tracking import StoredEvent
from leadwire.core.triggers import Trigger

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=400)
SAMPLE_SIZE = 10
PREVIEW_SEGMENT_ID = "preview"
ACCOUNT_PREVIEW = (
    "an account segment (or a trigger on one) cannot be previewed: the preview replays each "
    "lead's stored events on its own, and an account's membership depends on all its leads "
    "together (their counts and scores), which only the accounts' stored state holds. Create the "
    "segment (its members are settled as its accounts' leads move) and ask "
    "GET /segments/{id}/explain/{accountId} why an account is in or out"
)


class EventSourcePort(Protocol):
    def events(self, segment: int = 0, total_segments: int = 1) -> Iterable[StoredEvent]: ...


class DefinitionsPort(Protocol):
    def document(self) -> dict[str, Any]: ...

    def current(self) -> Definitions: ...


@dataclass(frozen=True)
class ProposedMembers:
    """A segment's members now under a proposed definition, as the preview's replay finds them."""

    segment_id: str
    members: list[str]
    leads: int  # every lead replayed


def days(start: datetime, end: datetime) -> list[datetime]:
    """The UTC days that ``[start, end]`` touches, as their midnights."""
    day = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    found = []
    while day <= end:
        found.append(day)
        day += timedelta(days=1)
    return found


def _day_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class Previews:
    def __init__(
        self,
        events: EventSourcePort,
        definitions: DefinitionsPort,
        policy: Callable[[], DeliveryPolicy],
        now: Callable[[], datetime],
    ) -> None:
        self._events = events
        self._definitions = definitions
        self._policy = policy
        self._now = now

    def _window(self, since: str) -> tuple[datetime, datetime]:
        window = parse_window(since, "since", DEFAULT_WINDOW)
        if not timedelta(0) < window <= MAX_WINDOW:
            raise InvalidRequest("since must be a positive duration of at most P400D", {"field": "since"})
        now = self._now()
        return now - window, now

    # -- segments ----------------------------------------------------------------------------------
    def _proposed(self, definition: dict[str, Any]) -> tuple[str, Definitions]:
        """The definitions with ``definition`` in place of (or beside) the live segment of its id."""
        segment_id = str(definition.get("id") or PREVIEW_SEGMENT_ID)
        document = {**definition, "id": segment_id}
        candidate = effective_document(
            self._definitions.document(),
            [SegmentOverride(segment_id=segment_id, document=document, version=0)],
        )
        try:
            return segment_id, definitions_of(candidate)
        except DefinitionError as error:
            problems = relative_problems(error, candidate["segments"])
            summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
            raise InvalidDefinition(
                f"invalid segment definition: {summary}", {"problems": problems}
            ) from None

    def _replay_segment(self, definition: dict[str, Any], now: datetime) -> tuple[str, Replay]:
        segment_id, definitions = self._proposed(definition)
        if any(segment.id == segment_id for segment in definitions.account_segments):
            raise InvalidRequest(ACCOUNT_PREVIEW, {"field": "segment.level"})
        return segment_id, replay(group(self._events.events()), closure(definitions, [segment_id]), now)

    def segment(self, definition: dict[str, Any], since: str) -> PreviewView:
        start, now = self._window(since)
        segment_id, result = self._replay_segment(definition, now)
        members = result.members(segment_id)
        counts = _changes_per_day(result, segment_id, start)
        return PreviewView(
            member_count=len(members),
            sample=members[:SAMPLE_SIZE],
            series=[
                PreviewSeriesPoint(
                    at=iso(day), entered=counts[(day, "entered")], exited=counts[(day, "exited")]
                )
                for day in days(start, now)
            ],
            events=result.events,
            leads=result.leads,
        )

    def proposed_members(self, definition: dict[str, Any]) -> ProposedMembers:
        """The members ``definition`` would have now: the same replay as ``segment`` (one pass
        over the stored events), without the series."""
        segment_id, result = self._replay_segment(definition, self._now())
        return ProposedMembers(segment_id, result.members(segment_id), result.leads)

    # -- triggers ----------------------------------------------------------------------------------
    def trigger(self, raw: dict[str, Any], since: str) -> TriggerPreviewView:
        start, now = self._window(since)
        document = self._definitions.document()
        definitions = self._definitions.current()
        trigger = self._parse_trigger(raw, document, definitions)
        if any(segment.id == trigger.segment_id for segment in definitions.account_segments):
            raise InvalidRequest(ACCOUNT_PREVIEW, {"field": f"trigger.on.{trigger.kind}"})
        grouped = group(self._events.events())
        segment_ids = [trigger.segment_id] if trigger.segment_id else []
        result = replay(grouped, closure(definitions, segment_ids), now)
        occurrences = _occurrences(trigger, result, grouped, now)
        fires = [fire for fire in apply_reentry(trigger, occurrences) if start <= fire.at <= now]
        recipients = {
            lead_id: Recipient(traits=state.traits, consent=state.consent, suppressed=state.suppressed)
            for lead_id, state in result.states.items()
        }
        outcome = deliver(trigger, fires, recipients, self._policy())
        per_day = Counter(_day_of(fire.at) for fire in fires)
        return TriggerPreviewView(
            fires=len(fires),
            series=[TriggerSeriesPoint(at=iso(day), fires=per_day[day]) for day in days(start, now)],
            sends=outcome.sends,
            outcomes=outcome.outcomes,
        )

    @staticmethod
    def _parse_trigger(raw: dict[str, Any], document: dict[str, Any], definitions: Definitions) -> Trigger:
        candidate = {"triggers": [{"id": "preview", **raw}], "templates": document.get("templates")}
        try:
            return triggers_of(candidate, definitions)[0]
        except DefinitionError as error:
            problems = [{"path": _inside_the_trigger(p), "message": p["message"]} for p in error.problems]
            summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
            raise InvalidDefinition(
                f"invalid trigger definition: {summary}", {"problems": problems}
            ) from None


def _changes_per_day(result: Replay, segment_id: str, start: datetime) -> Counter[tuple[datetime, str]]:
    counts: Counter[tuple[datetime, str]] = Counter()
    for _lead_id, transition in result.transitions:
        change = transition.change
        if change.segment_id == segment_id and change.at >= start:
            counts[(_day_of(change.at), change.kind)] += 1
    return counts


def _occurrences(
    trigger: Trigger, result: Replay, grouped: dict[str, list[LeadEvent]], now: datetime
) -> list[Occurrence]:
    if trigger.segment_id is not None:
        kind = "entered" if trigger.kind == "enter" else "exited"
        delay = trigger.delay or timedelta(0)
        return [
            Occurrence(lead_id=lead_id, at=t.change.at + delay, interval=iso(t.entered_at))
            for lead_id, t in result.transitions
            if t.change.segment_id == trigger.segment_id
            and t.change.kind == kind
            and t.change.at + delay <= now
        ]
    return event_occurrences(trigger, grouped, now)


def _inside_the_trigger(problem: Problem) -> str:
    """A previewed trigger's problem located inside it ("" for the trigger itself)."""
    loc = problem["loc"]
    if loc[:2] != ("triggers", 0):
        return problem["path"]
    return format_path(loc[2:]) if len(loc) > 2 else ""
