"""Everything stored under one lead id, item by item: for export and erasure.

A lead's partition (``LEAD#<id>``) holds its events, state, history, fires, deliveries and send
log; its timers sit in each trigger's ``TIMER#`` partition under sort keys that start with the
lead id, and its member items in each segment's ``SEG#`` partition. All of it is reached by key
or by Query on a known partition, never by Scan.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.dal.lead_items import member_key
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.phone_book import phone_key
from leadwire.dal.segment_stats import SegmentStats

Item = dict[str, dict[str, Any]]
BATCH_WRITE_LIMIT = 25
UNPROCESSED_RETRIES = 8


def key_of(item: Item) -> Item:
    return {schema.PK: item[schema.PK], schema.SK: item[schema.SK]}


class LeadPartition:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER
        self._stats = SegmentStats(client, table_name, meter=self._meter)

    def _query(self, pk: str, sk_prefix: str | None = None) -> list[Item]:
        condition = "#pk = :pk"
        names = {"#pk": schema.PK}
        values: dict[str, Any] = {":pk": {"S": pk}}
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = schema.SK
            values[":prefix"] = {"S": sk_prefix}
        found: list[Item] = []
        start: dict[str, Any] | None = None
        while True:
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ConsistentRead=True,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            items = response.get("Items", [])
            self._meter.record_read(sum(item_size(i) for i in items) or 1, kind="lead_partition")
            found.extend(items)
            start = response.get("LastEvaluatedKey")
            if not start:
                return found

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
            pending = requests[start : start + BATCH_WRITE_LIMIT]
            for attempt in range(UNPROCESSED_RETRIES):
                if attempt:
                    time.sleep(min(0.05 * 2**attempt, 1.0))
                response = self._client.batch_write_item(RequestItems={self._table: pending})
                unprocessed = response.get("UnprocessedItems", {}).get(self._table, [])
                for request in pending:
                    if request not in unprocessed:
                        body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
                        self._meter.record_write(body, kind=kind)
                pending = unprocessed
                if not pending:
                    break
            if pending:
                raise StorageUnavailable(
                    "the table is throttled: the erasure stopped part way; send the DELETE again",
                    {"retryable": True},
                )
