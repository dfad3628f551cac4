"""The suppression hook in front of an event sink: events of erased ids are dropped and counted.

Any id an event names (the lead, ``userId``, ``anonymousId``, an alias's ``previousId``) that is
suppressed drops the event: an erased person's anonymous id must not come back through an
``identify`` either. The caller still answers 200, so clients do not resend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Protocol

from leadwire.core.tracking import StoredEvent


class EventSink(Protocol):
    def put_events(self, events: list[StoredEvent]) -> None: ...


class SuppressionList(Protocol):
    def suppressed(self, lead_ids: Iterable[str]) -> set[str]: ...

    def count_dropped(self, lead_id: str, events: int) -> None: ...


def ids_of(event: StoredEvent) -> set[str]:
    return {i for i in (event.lead_id, event.user_id, event.anonymous_id, event.previous_id) if i}


class SuppressingSink:
    """Stores what is not suppressed; ``on_dropped`` gets the number dropped (the metric)."""

    def __init__(
        self, sink: EventSink, suppressions: SuppressionList, on_dropped: Callable[[int], None]
    ) -> None:
        self._sink = sink
        self._suppressions = suppressions
        self._on_dropped = on_dropped

    def put_events(self, events: list[StoredEvent]) -> None:
        suppressed = self._suppressions.suppressed({i for event in events for i in ids_of(event)})
        if not suppressed:
            self._sink.put_events(events)
            return
        kept: list[StoredEvent] = []
        dropped: Counter[str] = Counter()
        for event in events:
            hit = sorted(ids_of(event) & suppressed)
            if hit:
                dropped[hit[0]] += 1
            else:
                kept.append(event)
        if kept:
            self._sink.put_events(kept)
        for lead_id, n in dropped.items():
            self._suppressions.count_dropped(lead_id, n)
        self._on_dropped(sum(dropped.values()))
