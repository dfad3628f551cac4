"""Definitions changed through the admin API: one item per segment or trigger, versioned.

Segments live under ``DEF#SEGMENT``, triggers under ``DEF#TRIGGER`` (sort key: the id); an item
without ``doc`` is a tombstone (a config definition deleted). Every write is conditional on the
version read, so two admins cannot overwrite each other's change unseen.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.definitions_doc import SegmentOverride, TriggerOverride
from leadwire.core.errors import LeadwireError
from leadwire.dal.metering import PROCESS_METER

DEFINITIONS_PK = "DEF#SEGMENT"
TRIGGER_DEFINITIONS_PK = "DEF#TRIGGER"
Kind = Literal["segment", "trigger"]
_PARTITIONS: dict[Kind, str] = {"segment": DEFINITIONS_PK, "trigger": TRIGGER_DEFINITIONS_PK}


class DefinitionConflict(LeadwireError):
    status = 409
    code = "conflict"


class DefinitionStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def overrides(self) -> list[SegmentOverride]:
        return [
            SegmentOverride(segment_id=item_id, document=document, version=version)
            for item_id, document, version in self._read("segment")
        ]

    def trigger_overrides(self) -> list[TriggerOverride]:
        return [
            TriggerOverride(trigger_id=item_id, document=document, version=version)
            for item_id, document, version in self._read("trigger")
        ]

    def put(self, segment_id: str, document: dict[str, Any] | None, expected_version: int) -> int:
        """Store a segment (or a tombstone with ``None``) if its version is still ``expected_version``."""
        return self._write("segment", segment_id, document, expected_version)

    def put_trigger(self, trigger_id: str, document: dict[str, Any] | None, expected_version: int) -> int:
        """Store a trigger (or a tombstone with ``None``) if its version is still ``expected_version``."""
        return self._write("trigger", trigger_id, document, expected_version)

    def _read(self, kind: Kind) -> list[tuple[str, dict[str, Any] | None, int]]:
        found: list[tuple[str, dict[str, Any] | None, int]] = []
        start: dict[str, Any] | None = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": schema.PK},
                ExpressionAttributeValues={":pk": {"S": _PARTITIONS[kind]}},
                ConsistentRead=True,
                **extra,
            )
            items = response.get("Items", [])
            self._meter.record_read(sum(item_size(i) for i in items) or 1, kind="definition")
            found.extend(
                (
                    i[schema.SK]["S"],
                    json.loads(i["doc"]["S"]) if "doc" in i else None,
                    int(i["v"]["N"]),
                )
                for i in items
            )
            start = response.get("LastEvaluatedKey")
            if not start:
                return found

    def _write(self, kind: Kind, item_id: str, document: dict[str, Any] | None, expected_version: int) -> int:
        version = expected_version + 1
        item: dict[str, Any] = {
            schema.PK: {"S": _PARTITIONS[kind]},
            schema.SK: {"S": item_id},
            "v": {"N": str(version)},
        }
        if document is not None:
            item["doc"] = {"S": json.dumps(document, separators=(",", ":"), sort_keys=True)}
        condition = (
            {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": schema.PK},
            }
            if expected_version == 0
            else {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "v"},
                "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
            }
        )
        try:
            self._client.put_item(TableName=self._table, Item=item, **condition)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise DefinitionConflict(
                    f"{kind} {item_id!r} was changed concurrently (version {expected_version} is not "
                    "the current one); read it again and retry",
                    {f"{kind}Id": item_id, "expectedVersion": expected_version},
                ) from None
            raise
        self._meter.record_write(item, kind="definition")
        return version
