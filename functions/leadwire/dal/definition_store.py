"""Segment definitions changed through the admin API: one item per segment, versioned."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.definitions_doc import SegmentOverride
from leadwire.core.errors import LeadwireError
from leadwire.dal.metering import PROCESS_METER

DEFINITIONS_PK = "DEF#SEGMENT"


class DefinitionConflict(LeadwireError):
    status = 409
    code = "conflict"


class DefinitionStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def overrides(self) -> list[SegmentOverride]:
        found: list[SegmentOverride] = []
        start: dict[str, Any] | None = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": schema.PK},
                ExpressionAttributeValues={":pk": {"S": DEFINITIONS_PK}},
                ConsistentRead=True,
                **extra,
            )
            items = response.get("Items", [])
            self._meter.record_read(sum(item_size(i) for i in items) or 1)
            found.extend(
                SegmentOverride(
                    segment_id=i[schema.SK]["S"],
                    document=json.loads(i["doc"]["S"]) if "doc" in i else None,
                    version=int(i["v"]["N"]),
                )
                for i in items
            )
            start = response.get("LastEvaluatedKey")
            if not start:
                return found

    def put(self, segment_id: str, document: dict[str, Any] | None, expected_version: int) -> int:
        """Store a segment (or a tombstone with ``None``) if its version is still ``expected_version``."""
        version = expected_version + 1
        item: dict[str, Any] = {
            schema.PK: {"S": DEFINITIONS_PK},
            schema.SK: {"S": segment_id},
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
                    f"segment {segment_id!r} was changed concurrently; read it again and retry",
                    {"segmentId": segment_id},
                ) from None
            raise
        self._meter.record_write(item, kind="definition")
        return version
