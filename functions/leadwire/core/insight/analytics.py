"""Segment analytics from what is stored: current members, the flip log, the members' events.

Members at an instant ``t`` are today's members with every flip after ``t`` undone (an entry
after ``t`` removes the lead, an exit after ``t`` puts it back), so past intervals need no
rollup. A series point is the state at the end of its interval; its ``entered``/``exited`` count
the flips in ``(start, end]``. Scores at past instants come from replaying the member's stored
events through the same ``apply_events`` the engine uses, decayed to the instant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from leadwire.core.errors import InvalidRequest
from leadwire.core.rules import Definitions, LeadEvent, LeadState, apply_events
from leadwire.core.rules.scoring import score_at, trait_points

MAX_POINTS = 1000
TOP_EVENTS = 10


@dataclass(frozen=True)
class FlipRecord:
    lead_id: str
    kind: Literal["entered", "exited"]
    at: datetime


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime


def intervals(start: datetime, end: datetime, step: timedelta) -> list[Interval]:
    """``[start, end)`` cut into steps (the last one may be short); refuses more than ``MAX_POINTS``."""
    if end <= start:
        raise InvalidRequest("'from' must be before 'to'", {"field": "from"})
    if step <= timedelta(0):
        raise InvalidRequest("interval must be a positive duration", {"field": "interval"})
    if (end - start) / step > MAX_POINTS:
        raise InvalidRequest(
            f"at most {MAX_POINTS} intervals: widen 'interval' or narrow 'from'..'to'", {"field": "interval"}
        )
    cuts: list[Interval] = []
    cursor = start
    while cursor < end:
        cuts.append(Interval(cursor, min(cursor + step, end)))
        cursor += step
    return cuts


def members_at(current: Iterable[str], flips: Sequence[FlipRecord], instant: datetime) -> set[str]:
    """The members at ``instant``: ``current`` with the flips after ``instant`` undone (newest first)."""
    members = set(current)
    for flip in sorted(flips, key=lambda f: f.at, reverse=True):
        if flip.at <= instant:
            break
        if flip.kind == "entered":
            members.discard(flip.lead_id)
        else:
            members.add(flip.lead_id)
    return members


def scores_at(
    events: Iterable[LeadEvent], definitions: Definitions, instants: Sequence[datetime], lead_id: str
) -> list[float]:
    """The lead's score at each of ``instants`` (ascending), replaying its events in time order."""
    ordered = sorted(events, key=lambda e: (e.timestamp, e.message_id))
    state = LeadState.new(lead_id)
    scores: list[float] = []
    position = 0
    for instant in instants:
        due: list[LeadEvent] = []
        while position < len(ordered) and ordered[position].timestamp <= instant:
            due.append(ordered[position])
            position += 1
        if due:
            state = apply_events(state, due, definitions)
        traits_total = trait_points(state.traits, definitions.scoring)
        scores.append(score_at(state.score, definitions.scoring, traits_total, instant.timestamp()))
    return scores


def mean(values: Iterable[float]) -> float | None:
    listed = list(values)
    return round(sum(listed) / len(listed), 2) if listed else None


@dataclass(frozen=True)
class SeriesPoint:
    at: datetime
    members: int
    entered: int
    exited: int
    average_score: float | None


def series(
    cuts: Sequence[Interval],
    current: Iterable[str],
    flips: Sequence[FlipRecord],
    score_of: Mapping[str, Mapping[datetime, float]],
) -> list[SeriesPoint]:
    """One point per interval: members, entries and exits, and the members' average score at its end."""
    current_set = set(current)
    points: list[SeriesPoint] = []
    for cut in cuts:
        members = members_at(current_set, flips, cut.end)
        inside = [f for f in flips if cut.start < f.at <= cut.end]
        scores = [score_of[lead][cut.end] for lead in members if cut.end in score_of.get(lead, {})]
        points.append(
            SeriesPoint(
                at=cut.end,
                members=len(members),
                entered=sum(1 for f in inside if f.kind == "entered"),
                exited=sum(1 for f in inside if f.kind == "exited"),
                average_score=mean(scores),
            )
        )
    return points


@dataclass(frozen=True)
class TopEvent:
    event: str
    count: int
    leads: int


def top_events(
    events_by_lead: Mapping[str, Iterable[LeadEvent]], start: datetime, end: datetime, limit: int = TOP_EVENTS
) -> list[TopEvent]:
    """The members' named events in ``[start, end]``, most frequent first (ties by name)."""
    counts: Counter[str] = Counter()
    leads: dict[str, set[str]] = {}
    for lead_id, events in events_by_lead.items():
        for event in events:
            name = event.name
            if name is None or not start <= event.timestamp <= end:
                continue
            counts[name] += 1
            leads.setdefault(name, set()).add(lead_id)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [TopEvent(event=name, count=count, leads=len(leads[name])) for name, count in ranked]


@dataclass(frozen=True)
class Conversion:
    event: str
    within: timedelta
    entered: int
    converted: int

    @property
    def rate(self) -> float:
        return round(self.converted / self.entered, 4) if self.entered else 0.0


def first_entries(flips: Iterable[FlipRecord], start: datetime, end: datetime) -> dict[str, datetime]:
    """Each lead's first entry in ``[start, end]``."""
    entries: dict[str, datetime] = {}
    for flip in sorted(flips, key=lambda f: f.at):
        if flip.kind == "entered" and start <= flip.at <= end:
            entries.setdefault(flip.lead_id, flip.at)
    return entries


def conversion(
    entries: Mapping[str, datetime],
    events_by_lead: Mapping[str, Iterable[LeadEvent]],
    goal: str,
    within: timedelta,
) -> Conversion:
    """Leads that entered (``entries``) and performed ``goal`` within ``within`` of entering."""
    converted = sum(
        1
        for lead_id, entered_at in entries.items()
        if any(
            event.name == goal and entered_at <= event.timestamp <= entered_at + within
            for event in events_by_lead.get(lead_id, ())
        )
    )
    return Conversion(event=goal, within=within, entered=len(entries), converted=converted)
