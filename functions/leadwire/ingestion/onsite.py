"""On-site messages on the ingestion API: ``GET /v1/messages`` for a visitor now, the closures
that clicks and dismissals write as they are ingested, and the ``leadwire.js`` script.

The visitor is the id the browser knows (``userId``, else ``anonymousId``). An anonymous id merged
into a known lead is read in both partitions: messages fired while the visitor was anonymous, and
those fired for the known lead since. Closures land in the partition of the id the click names,
which is one of those two.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Protocol

from leadwire.core.onsite import Closure, PendingMessage, closures, visible
from leadwire.core.tracking import StoredEvent
from leadwire.ingestion.service import EventSink

SCRIPT_RESOURCE = "leadwire.js"


class OnsiteReadPort(Protocol):
    def merged_into(self, lead_id: str) -> str | None: ...

    def pending(self, lead_id: str) -> tuple[list[PendingMessage], set[str]]: ...


class ClosurePort(Protocol):
    def put_closures(self, closed: list[Closure]) -> None: ...


class OnsiteMessages:
    def __init__(self, store: OnsiteReadPort) -> None:
        self._store = store

    def for_visitor(self, visitor: str, now: datetime) -> dict[str, Any]:
        """``{"messages": [{"id", "title", "body", "cta"}]}``: unexpired, not closed, newest first."""
        partitions = [visitor]
        known = self._store.merged_into(visitor)
        if known is not None and known != visitor:
            partitions.append(known)
        messages: list[PendingMessage] = []
        closed: set[str] = set()
        for lead_id in partitions:
            found, shut = self._store.pending(lead_id)
            messages.extend(found)
            closed |= shut
        return {"messages": [message.to_body() for message in visible(messages, closed, now)]}


class ClosingSink:
    """The ingestion sink, plus a closure for every ``onsite_clicked``/``onsite_dismissed``
    stored: one extra write for those rare events, nothing for the others."""

    def __init__(self, sink: EventSink, closures_port: ClosurePort) -> None:
        self._sink = sink
        self._closures = closures_port

    def put_events(self, events: list[StoredEvent]) -> None:
        self._sink.put_events(events)
        closed = closures(events)
        if closed:
            self._closures.put_closures(closed)


@cache
def script() -> str:
    """``leadwire.js``, read once per container."""
    return resources.files(__package__).joinpath(SCRIPT_RESOURCE).read_text(encoding="utf-8")
