"""Everything stored under one lead id, item by item: for export and erasure.

A lead's partition (``LEAD#<id>``) holds its events, state, history, fires, deliveries and send
log; its timers sit in each trigger's ``TIMER#`` partition under sort keys that start with the
lead id, and its member items in each segment's ``SEG#`` partition. All of it is reached by key
or by Query on a known partition, never by Scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.dal.lead_items import member_key
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.partition_query import partition_items
from leadwire.dal.phone_book import phone_key
from leadwire.dal.segment_stats import SegmentStats
from leadwire.dal.unprocessed import write_all, written_item

Item = dict[str, dict[str, Any]]
BATCH_WRITE_LIMIT = 25


def key_of(item: Item) -> Item:
    return {schema.PK: item[schema.PK], schema.SK: item[schema.SK]}


class LeadPartition:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER
        self._stats = SegmentStats(client, table_name, meter=self._meter)

    def _query(self, pk: str, sk_prefix: str | None = None) -> list[Item]:
        return list(
            partition_items(
                self._client,
                self._table,
                pk,
                self._meter,
                "lead_partition",
                prefix=sk_prefix,
                consistent=True,
            )
        )

    def items(self, lead_id: str) -> list[Item]:
        """Every item of the lead's own partition."""
        return self._query(schema.lead_pk(lead_id))

    def timers(self, trigger_ids: Iterable[str], lead_id: str) -> list[Item]:
        """The lead's timer items (waiting, satisfied, fired, deferred) of these triggers."""
        return [
            item
            for trigger_id in sorted(set(trigger_ids))
            for item in self._query(schema.timer_pk(trigger_id), f"{lead_id}#")
            if item.get("lead", {}).get("S") == lead_id  # not "<lead_id>#more" of another lead
        ]

    def member_items(self, segment_ids: Iterable[str], lead_id: str) -> list[Item]:
        """The lead's member items in these segments (one strongly consistent read each)."""
        found = []
        for segment_id in sorted(set(segment_ids)):
            key = member_key(segment_id, lead_id)
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            self._meter.record_read(item_size(item) if item else 1, kind="lead_partition")
            if item is not None:
                found.append(item)
        return found

    def phone_items(self, numbers: Iterable[str], lead_ids: Iterable[str]) -> list[Item]:
        """The ``PHONE#`` items of these numbers that name one of ``lead_ids`` (consistent reads)."""
        wanted = set(lead_ids)
        found = []
        for number in sorted(set(numbers)):
            key = phone_key(number)
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            self._meter.record_read(item_size(item) if item else 1, kind="lead_partition")
            if item is not None and item.get("leadId", {}).get("S") in wanted:
                found.append(item)
        return found

    def put(self, items: list[Item]) -> None:
        self._batch_write([{"PutRequest": {"Item": item}} for item in items], kind="erasure")

    def delete(self, keys: list[Item]) -> None:
        self._batch_write([{"DeleteRequest": {"Key": key_of(key)}} for key in keys], kind="erasure")
        self._stats.forget(keys)  # counters and the flip log follow what the erasure removed

    def _batch_write(self, requests: list[dict[str, Any]], kind: str) -> None:
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending = write_all(
                self._client,
                self._table,
                requests[start : start + BATCH_WRITE_LIMIT],
                lambda request: self._meter.record_write(written_item(request), kind=kind),
            )
            if pending:
                raise StorageUnavailable(
                    "the table is throttled: the erasure stopped part way; send the DELETE again",
                    {"retryable": True},
                )
