"""Reading the delivery log: a lead's deliveries, and a trigger's through the ``deliveries`` index.

A lead's deliveries are its ``DLV#`` items (one partition, all pages read). A trigger's are found
in the keys-only ``deliveries`` index, one partition per UTC day (``schema.delivery_index_pk``),
read newest day first and newest first within a day; the items themselves are then fetched by
key (BatchGetItem, eventually consistent: 0.5 read unit per item up to 4 KB). A status filter
is applied to the fetched items, so one call examines at most ``budget`` index entries and may
answer fewer than ``limit`` with a position to continue from: a rare status in a busy range
never makes one request read without end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.dal.delivery_store import delivery_view
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.partition_query import partition_items
from leadwire.dal.unprocessed import get_all

BATCH_GET_MAX = 100
DEFAULT_BUDGET = 1000


@dataclass(frozen=True)
class IndexPosition:
    """Where a trigger's listing stopped: a day, and the index entry last examined on it
    (``None``: the day is still to be read from its newest entry)."""

    day: date
    dlv_sk: str | None = None
    pk: str | None = None
    sk: str | None = None

    def start_key(self, trigger_id: str) -> dict[str, dict[str, str]] | None:
        if self.dlv_sk is None or self.pk is None or self.sk is None:
            return None
        return {
            schema.DELIVERY_INDEX_PK: {"S": schema.delivery_index_pk(trigger_id, self.day)},
            schema.DELIVERY_INDEX_SK: {"S": self.dlv_sk},
            schema.PK: {"S": self.pk},
            schema.SK: {"S": self.sk},
        }


@dataclass(frozen=True)
class TriggerQuery:
    trigger_id: str
    start: datetime  # inclusive
    end: datetime  # inclusive
    statuses: frozenset[str] | None = None  # None: every status

    def days(self, after: IndexPosition | None) -> Iterator[date]:
        day = self.end.astimezone(UTC).date()
        first = self.start.astimezone(UTC).date()
        if after is not None:
            day = min(day, after.day)
        while day >= first:
            yield day
            day -= timedelta(days=1)

    def sort_key_range(self) -> tuple[str, str]:
        # "<iso>#<id>" sorts after "<iso>": from ``start`` itself, up to and including ``end``.
        low = schema.delivery_index_sk(self.start, "").removesuffix("#")
        high = schema.delivery_index_sk(self.end + timedelta(milliseconds=1), "").removesuffix("#")
        return low, high


class DeliveryLog:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def lead_deliveries(self, lead_id: str) -> list[dict[str, Any]]:
        """Every delivery of one lead id (its own partition only: merges are the caller's)."""
        pk = schema.lead_pk(lead_id)
        items = partition_items(
            self._client, self._table, pk, self._meter, "delivery", prefix=schema.DELIVERY_PREFIX
        )
        return [delivery_view(item) for item in items]

    def trigger_deliveries(
        self,
        query: TriggerQuery,
        *,
        limit: int,
        after: IndexPosition | None = None,
        budget: int = DEFAULT_BUDGET,
    ) -> tuple[list[dict[str, Any]], IndexPosition | None]:
        """Up to ``limit`` deliveries of the trigger in the range, newest first, and the position to
        continue from (``None``: nothing more). Examines at most ``budget`` index entries."""
        found: list[dict[str, Any]] = []
        examined = 0
        low, high = query.sort_key_range()
        days = list(query.days(after))
        for position, day in enumerate(days):
            start_key = after.start_key(query.trigger_id) if after is not None and day == after.day else None
            while True:
                want = BATCH_GET_MAX if query.statuses else limit - len(found)
                keys, start_key = self._index_page(
                    query.trigger_id, day, low, high, min(want, budget - examined, BATCH_GET_MAX), start_key
                )
                examined += len(keys)
                items = self._fetch(keys)
                for key in keys:
                    item = items.get((key[schema.PK]["S"], key[schema.SK]["S"]))
                    if item is None or (query.statuses and item["status"]["S"] not in query.statuses):
                        continue
                    found.append(delivery_view(item))
                    if len(found) == limit:
                        return found, _position(day, key)
                if start_key is None:
                    break
                if examined >= budget:
                    return found, _position(day, keys[-1]) if keys else IndexPosition(day)
            if examined >= budget and position + 1 < len(days):
                return found, IndexPosition(days[position + 1])
        return found, None

    def _index_page(
        self,
        trigger_id: str,
        day: date,
        low: str,
        high: str,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        response = self._client.query(
            TableName=self._table,
            IndexName=schema.DELIVERIES_INDEX,
            KeyConditionExpression="#p = :p AND #s BETWEEN :low AND :high",
            ExpressionAttributeNames={"#p": schema.DELIVERY_INDEX_PK, "#s": schema.DELIVERY_INDEX_SK},
            ExpressionAttributeValues={
                ":p": {"S": schema.delivery_index_pk(trigger_id, day)},
                ":low": {"S": low},
                ":high": {"S": high},
            },
            ScanIndexForward=False,
            Limit=max(limit, 1),
            **({"ExclusiveStartKey": start_key} if start_key else {}),
        )
        keys = response.get("Items", [])
        self._meter.record_read(sum(item_size(k) for k in keys) or 1, consistent=False, kind="delivery")
        return keys, response.get("LastEvaluatedKey")

    def _fetch(self, keys: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The delivery items of index entries, by (pk, sk): BatchGetItem, unprocessed keys retried."""
        items, pending = get_all(
            self._client,
            self._table,
            [{schema.PK: k[schema.PK], schema.SK: k[schema.SK]} for k in keys],
            lambda item: self._meter.record_read(item_size(item), consistent=False, kind="delivery"),
        )
        if pending:
            raise StorageUnavailable("the delivery log is throttled; retry shortly", {"retryable": True})
        return {(item[schema.PK]["S"], item[schema.SK]["S"]): item for item in items}


def _position(day: date, key: dict[str, Any]) -> IndexPosition:
    return IndexPosition(
        day=day,
        dlv_sk=key[schema.DELIVERY_INDEX_SK]["S"],
        pk=key[schema.PK]["S"],
        sk=key[schema.SK]["S"],
    )
