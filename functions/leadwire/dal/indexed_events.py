"""Every stored event without a Scan, for previews in AWS: the ``leads`` index, then each lead's
partition (one Query per lead). Nothing in Leadwire scans the table; a preview reads what a Scan
would (every event, in read units), shard by shard, so the 16 shards can be read in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from leadwire import schema
from leadwire.core.tracking import StoredEvent


class LeadIndexPort(Protocol):
    def lead_ids(self, shard: str, after: str | None, limit: int) -> tuple[list[str], str | None]: ...


class LeadEventsPort(Protocol):
    def lead_events(self, lead_id: str) -> Iterable[StoredEvent]: ...


class IndexedEvents:
    def __init__(self, leads: LeadIndexPort, events: LeadEventsPort, *, page: int = 500) -> None:
        self._leads = leads
        self._events = events
        self._page = page

    def events(self, segment: int = 0, total_segments: int = 1) -> Iterator[StoredEvent]:
        """The events of the leads in the ``leads`` index shards ``segment`` takes of
        ``total_segments`` (all shards with the defaults)."""
        for index in range(segment, schema.LEAD_SHARDS, total_segments):
            after: str | None = None
            while True:
                ids, after = self._leads.lead_ids(schema.lead_shard_key(index), after, self._page)
                for lead_id in ids:
                    yield from self._events.lead_events(lead_id)
                if after is None:
                    break
