"""``GET /leads/{leadId}/events``: a lead's stored events, oldest first, in pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from leadwire.admin.paging import decode_cursor, encode_cursor
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.instants import iso
from leadwire.core.tracking import StoredEvent


class EventView(BaseModel):
    messageId: str  # noqa: N815 -- the API's JSON field names
    type: str
    event: str | None
    timestamp: str
    receivedAt: str  # noqa: N815
    properties: dict[str, Any]
    traits: dict[str, Any] | None = None
    source: str  # the write key's source, or "ses" (email feedback) and "leadwire" (derived events)


class EventsPage(BaseModel):
    events: list[EventView]
    cursor: str | None


def _view(event: StoredEvent) -> EventView:
    return EventView(
        messageId=event.message_id,
        type=event.type,
        event=event.event,
        timestamp=iso(event.timestamp),
        receivedAt=iso(event.received_at),
        properties=event.properties,
        traits=event.traits or None,
        source=event.source,
    )


def events_page(lead_id: str, events: Iterable[StoredEvent], *, limit: int, cursor: str | None) -> EventsPage:
    """Events in event-time order (ties by messageId); the cursor is the last (timestamp, id) seen.

    Items are keyed by messageId (the dedupe key), not by time, so a page sorts the lead's
    partition in memory: fine for a lead's history, bounded by what one lead sends.
    """
    position = decode_cursor(cursor)
    after: tuple[str, str] | None = None
    if position is not None:
        try:
            after = (str(position["ts"]), str(position["id"]))
        except KeyError:
            raise InvalidRequest("cursor is not one this API issued", {"field": "cursor"}) from None
    ordered = sorted((iso(e.timestamp), e.message_id, e) for e in events)
    if not ordered and after is None:
        raise NotFound(f"lead {lead_id!r} has no events", {"leadId": lead_id})
    remaining = [entry for entry in ordered if after is None or (entry[0], entry[1]) > after]
    page = remaining[:limit]
    next_cursor = None
    if len(remaining) > limit:
        last_ts, last_id, _ = page[-1]
        next_cursor = encode_cursor({"ts": last_ts, "id": last_id})
    return EventsPage(events=[_view(e) for _, _, e in page], cursor=next_cursor)
