"""Every stored event, for previews: a Scan filtered to event items, in parallel segments.

A preview replays what is stored, so it must read every event; a Scan does that at the table's
size in read units (eventually consistent, 4 KB each), split into ``TotalSegments`` that
independent workers (Step Functions Distributed Map in AWS) can read at once. Locally one
process reads them in turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_items import from_item
from leadwire.dal.metering import PROCESS_METER


class EventScan:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def events(self, segment: int = 0, total_segments: int = 1) -> Iterator[StoredEvent]:
        """The event items of one scan segment (all of them with the defaults)."""
        extra: dict[str, Any] = {}
        if total_segments > 1:
            extra = {"Segment": segment, "TotalSegments": total_segments}
        paginator = self._client.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self._table,
            FilterExpression="begins_with(#sk, :evt)",
            ExpressionAttributeNames={"#sk": schema.SK},
            ExpressionAttributeValues={":evt": {"S": schema.EVENT_PREFIX}},
            **extra,
        )
        for page in pages:
            items = page.get("Items", [])
            # A filtered scan pays for what it reads, not what it returns: count the page at 1 MB
            # when it was cut there, else at what came back (a lower bound of the filtered share).
            scanned = 1024 * 1024 if page.get("LastEvaluatedKey") else sum(item_size(i) for i in items)
            self._meter.record_read(scanned or 1, consistent=False)
            for item in items:
                yield from_item(item)
