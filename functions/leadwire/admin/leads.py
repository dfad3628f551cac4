"""Leads through the admin API: profile, events and membership history, merges resolved.

An anonymous id merged into a known lead answers as that lead; the known lead's events and
history include those of every anonymous id merged into it (each stays on its own partition).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from leadwire.admin.lead_events import EventsPage, events_page
from leadwire.admin.models import HistoryEntry, HistoryPage, LeadView, Member, MembersPage
from leadwire.admin.paging import decode_cursor, encode_cursor
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.instants import iso
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import Definitions, evaluate, score_band
from leadwire.core.rules.clock import from_epoch_seconds
from leadwire.core.tracking import StoredEvent

MAX_MERGE_HOPS = 3


class LeadReadPort(Protocol):
    def load(self, lead_id: str) -> LeadRecord | None: ...

    def history(self, lead_id: str) -> list[dict[str, Any]]: ...

    def members(
        self, segment_id: str, limit: int, after_lead: str | None
    ) -> tuple[list[dict[str, str]], str | None]: ...


class EventReadPort(Protocol):
    def lead_events(self, lead_id: str) -> Iterable[StoredEvent]: ...


def _instant(seconds: int | None) -> str | None:
    return None if seconds is None else iso(from_epoch_seconds(seconds))


class LeadAdmin:
    def __init__(
        self,
        leads: LeadReadPort,
        events: EventReadPort,
        definitions: Callable[[], Definitions],
        now: Callable[[], datetime],
    ) -> None:
        self._leads = leads
        self._events = events
        self._definitions = definitions
        self._now = now

    def resolve(self, lead_id: str) -> LeadRecord | None:
        """The lead's record, or the known lead's that an anonymous id was merged into."""
        record = self._leads.load(lead_id)
        for _ in range(MAX_MERGE_HOPS):
            if record is None or record.merged_into is None:
                return record
            record = self._leads.load(record.merged_into)
        return record

    def _require(self, lead_id: str) -> LeadRecord:
        record = self.resolve(lead_id)
        if record is None or record.merged_into is not None:
            raise NotFound(f"no lead {lead_id!r}", {"leadId": lead_id})
        return record

    def lead(self, lead_id: str) -> LeadView:
        record = self._require(lead_id)
        state = record.state
        score = evaluate(state, self._definitions(), self._now()).score
        return LeadView(
            lead_id=record.lead_id,
            score=round(score, 2),
            max_score=round(state.score.max, 2),
            band=score_band(score),
            traits=state.traits,
            segments=sorted(state.members),
            first_seen_at=_instant(state.first_seen_at),
            last_activity_at=_instant(state.last_activity_at),
            last_seen_at=_instant(state.last_seen_at),
            aliases=record.aliases,
        )

    def history(self, lead_id: str) -> HistoryPage:
        record = self._require(lead_id)
        entries = [
            HistoryEntry.model_validate({**entry, "leadId": owner})
            for owner in [record.lead_id, *record.aliases]
            for entry in self._leads.history(owner)
        ]
        entries.sort(key=lambda e: (e.entered_at, e.segment_id, e.lead_id))
        return HistoryPage(history=entries)

    def events(self, lead_id: str, *, limit: int, cursor: str | None) -> EventsPage:
        record = self.resolve(lead_id)
        # A lead the engine has not processed yet still shows the events stored for it.
        owners = [lead_id] if record is None else [record.lead_id, *record.aliases]
        stored = [event for owner in owners for event in self._events.lead_events(owner)]
        return events_page(lead_id if record is None else record.lead_id, stored, limit=limit, cursor=cursor)

    def members(self, segment_id: str, *, limit: int, cursor: str | None) -> MembersPage:
        position = decode_cursor(cursor)
        after = None
        if position is not None:
            after = position.get("after")
            if not isinstance(after, str):
                raise InvalidRequest("cursor is not one this API issued", {"field": "cursor"})
        members, last = self._leads.members(segment_id, limit, after)
        return MembersPage(
            members=[Member(lead_id=m["leadId"], entered_at=m["enteredAt"]) for m in members],
            cursor=encode_cursor({"after": last}) if last else None,
        )
