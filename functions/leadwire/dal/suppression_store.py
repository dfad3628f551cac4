"""Suppressed lead ids: one item per id an erasure covered (``SUPPRESSED#<sha256(id)>``).

The items hold digests, never the ids themselves: the table keeps no copy of an erased person's
id, yet a later event for it is recognised. The erased lead's own item lists the digests erased
with it (its merged anonymous ids), so unsuppressing the lead lifts them all; each item counts
the events dropped for its id (``dropped``), which ``unsuppress`` reports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.instants import iso
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.unprocessed import stored_keys


def digest(lead_id: str) -> str:
    return hashlib.sha256(lead_id.encode("utf-8")).hexdigest()


def suppressed_key(lead_id: str) -> dict[str, dict[str, str]]:
    return _key(digest(lead_id))


def _key(hexdigest: str) -> dict[str, dict[str, str]]:
    return {
        schema.PK: {"S": f"{schema.SUPPRESSED_PREFIX}{hexdigest}"},
        schema.SK: {"S": schema.SUPPRESSED_SK},
    }


_EPOCH_KEY: dict[str, dict[str, str]] = {
    schema.PK: {"S": schema.SUPPRESSION_EPOCH_PK},
    schema.SK: {"S": schema.SUPPRESSED_SK},
}


@dataclass(frozen=True)
class Unsuppressed:
    ids: int  # suppression items removed (the lead and the ids erased with it)
    dropped_events: int  # events acknowledged and dropped while suppressed


class SuppressionStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def suppress(self, lead_id: str, merged_ids: Iterable[str], at: datetime, job_id: str) -> None:
        """Suppress ``lead_id`` and its merged ids (written before anything is deleted)."""
        group = digest(lead_id)
        others = sorted({digest(i) for i in merged_ids} - {group})
        for hexdigest in [group, *others]:
            item: dict[str, dict[str, Any]] = {
                **_key(hexdigest),
                "group": {"S": group},
                "at": {"S": iso(at)},
                "job": {"S": job_id},
                "dropped": {"N": "0"},
            }
            if hexdigest == group and others:
                item["members"] = {"SS": others}
            self._client.put_item(TableName=self._table, Item=item)
            self._meter.record_write(item, kind="suppression")
        self._changed()

    def epoch(self) -> int:
        """How many times the list has changed (0 before the first erasure): eventually consistent,
        half a read unit. Every suppress and unsuppress moves it after its own writes."""
        response = self._client.get_item(TableName=self._table, Key=_EPOCH_KEY)
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=False, kind="suppression")
        return int(item["epoch"]["N"]) if item else 0

    def _changed(self) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_EPOCH_KEY,
            UpdateExpression="ADD epoch :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        self._meter.record_write(_EPOCH_KEY, kind="suppression")

    def is_suppressed(self, lead_id: str) -> bool:
        """Eventually consistent (half a read unit), as ``suppressed`` is: a consumer that reads
        just before a new suppression shows is one that held the lead at that instant, and the
        erasure's read-again passes (``privacy.erase``) remove what it writes."""
        response = self._client.get_item(
            TableName=self._table,
            Key=suppressed_key(lead_id),
            ProjectionExpression="#pk",
            ExpressionAttributeNames={"#pk": schema.PK},
        )
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=False, kind="suppression")
        return item is not None

    def suppressed(self, lead_ids: Iterable[str]) -> set[str]:
        """Which of ``lead_ids`` are suppressed: BatchGetItem, eventually consistent (half a read
        unit per id; an erasure is seen within a second)."""
        by_digest = {digest(lead_id): lead_id for lead_id in lead_ids}

        keys = [_key(d) for d in sorted(by_digest)]
        stored = stored_keys(
            self._client, self._table, keys, self._meter, "suppression", "the suppression list"
        )
        return {by_digest[pk.removeprefix(schema.SUPPRESSED_PREFIX)] for pk, _ in stored}

    def count_dropped(self, lead_id: str, events: int) -> None:
        """Add ``events`` to the id's dropped count (nothing if it was unsuppressed meanwhile)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=suppressed_key(lead_id),
                UpdateExpression="ADD dropped :n",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": schema.PK},
                ExpressionAttributeValues={":n": {"N": str(events)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        self._meter.record_write(suppressed_key(lead_id), kind="suppression")

    def unsuppress(self, lead_id: str) -> Unsuppressed | None:
        """Lift the suppression of ``lead_id`` (and of the ids erased with it); None if none."""
        item = self._client.get_item(
            TableName=self._table, Key=suppressed_key(lead_id), ConsistentRead=True
        ).get("Item")
        self._meter.record_read(item_size(item) if item else 1, kind="suppression")
        if item is None:
            return None
        digests = [digest(lead_id), *item.get("members", {}).get("SS", [])]
        dropped = 0
        for hexdigest in digests:
            old = self._client.delete_item(
                TableName=self._table, Key=_key(hexdigest), ReturnValues="ALL_OLD"
            ).get("Attributes")
            self._meter.record_write(_key(hexdigest), kind="suppression")
            if old is not None:
                dropped += int(old.get("dropped", {}).get("N", "0"))
        self._changed()
        return Unsuppressed(ids=len(digests), dropped_events=dropped)
