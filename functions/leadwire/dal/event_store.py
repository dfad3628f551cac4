"""DynamoDB adapter for event items: batched idempotent writes and per-lead reads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_items import from_item, to_item
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.partition_query import partition_items
from leadwire.dal.unprocessed import write_all, written_item

BATCH_WRITE_LIMIT = 25


class EventStore:
    """Writes each event as one item keyed by lead and ``messageId``.

    A put is idempotent: a resent event overwrites its own item, and the INSERT-only stream
    filter keeps the overwrite away from the engine.
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        meter: CapacityMeter | None = None,
        attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
        base_delay: float = 0.05,
    ) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER
        self._attempts = attempts
        self._sleep = sleep
        self._base_delay = base_delay

    def put_events(self, events: list[StoredEvent]) -> None:
        requests = [{"PutRequest": {"Item": to_item(event)}} for event in events]
        failed: list[dict[str, Any]] = []
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            failed.extend(self._write_chunk(requests[start : start + BATCH_WRITE_LIMIT]))
        if failed:
            raise StorageUnavailable(
                f"{len(failed)} of {len(events)} events could not be stored; resend the request",
                {"unprocessed": len(failed), "accepted": len(events)},
            )

    def _write_chunk(self, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """BatchWriteItem; what it leaves unprocessed is resent (``dal/unprocessed.py``)."""
        return write_all(
            self._client,
            self._table,
            pending,
            lambda request: self._meter.record_write(written_item(request), kind="event"),
            attempts=self._attempts,
            sleep=self._sleep,
            base_delay=self._base_delay,
        )

    def lead_events(self, lead_id: str) -> Iterator[StoredEvent]:
        """Every stored event of one lead (one partition, one Query per MB)."""
        pk = schema.lead_pk(lead_id)
        items = partition_items(
            self._client, self._table, pk, self._meter, "event", prefix=schema.EVENT_PREFIX
        )
        return (from_item(item) for item in items)

    def get_event(self, lead_id: str, message_id: str) -> StoredEvent | None:
        """One stored event (the event that started a fire, for its properties), or None."""
        response = self._client.get_item(
            TableName=self._table,
            Key={schema.PK: {"S": schema.lead_pk(lead_id)}, schema.SK: {"S": schema.event_sk(message_id)}},
        )
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, kind="event")
        return from_item(item) if item else None
