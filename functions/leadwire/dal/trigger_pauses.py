"""Triggers paused by a segment's spike alert: one item per trigger (``PAUSE#TRIGGER`` / id).

A pause is written once (conditional: only over no item or a resumed one), so the bus event
that announces it goes out once however many workers see the spike. Resuming keeps the item with
``resumedAt``: the spike check then counts only changes after it, so a resumed trigger is not
paused again by the swing it was resumed after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.core.instants import iso
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.unprocessed import get_all

PAUSE_PK = "PAUSE#TRIGGER"


@dataclass(frozen=True)
class Pause:
    trigger_id: str
    reason: str
    at: datetime
    resumed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.resumed_at is None


def _key(trigger_id: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": PAUSE_PK}, schema.SK: {"S": trigger_id}}


def _pause(item: dict[str, Any]) -> Pause:
    resumed = item.get("resumedAt")
    return Pause(
        trigger_id=item[schema.SK]["S"],
        reason=item["reason"]["S"],
        at=datetime.fromisoformat(item["at"]["S"]),
        resumed_at=datetime.fromisoformat(resumed["S"]) if resumed else None,
    )


class TriggerPauses:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def get(self, trigger_id: str) -> Pause | None:
        item = self._client.get_item(TableName=self._table, Key=_key(trigger_id), ConsistentRead=True).get(
            "Item"
        )
        self._meter.record_read(item_size(item) if item else 1, kind="trigger_pause")
        return _pause(item) if item else None

    def get_many(self, trigger_ids: Iterable[str]) -> dict[str, Pause]:
        keys = [_key(trigger_id) for trigger_id in sorted(set(trigger_ids))]
        found: dict[str, Pause] = {}
        for start in range(0, len(keys), 100):
            items, pending = get_all(self._client, self._table, keys[start : start + 100], self._metered)
            if pending:
                raise StorageUnavailable(
                    "the trigger pauses are throttled; retry shortly", {"retryable": True}
                )
            found.update((item[schema.SK]["S"], _pause(item)) for item in items)
        return found

    def _metered(self, item: dict[str, Any]) -> None:
        self._meter.record_read(item_size(item), consistent=False, kind="trigger_pause")

    def pause(self, trigger_id: str, reason: str, at: datetime) -> bool:
        """Pause the trigger; False if it already was (someone else wrote the pause first)."""
        item = {**_key(trigger_id), "reason": {"S": reason}, "at": {"S": iso(at)}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk) OR attribute_exists(#resumed)",
                ExpressionAttributeNames={"#pk": schema.PK, "#resumed": "resumedAt"},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self._meter.record_write(item, kind="trigger_pause")
        return True

    def resume(self, trigger_id: str, at: datetime) -> bool:
        """Resume a paused trigger; False if it was not paused."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(trigger_id),
                UpdateExpression="SET #resumed = :at",
                ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(#resumed)",
                ExpressionAttributeNames={"#pk": schema.PK, "#resumed": "resumedAt"},
                ExpressionAttributeValues={":at": {"S": iso(at)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self._meter.record_write({**_key(trigger_id), "resumedAt": {"S": iso(at)}}, kind="trigger_pause")
        return True
