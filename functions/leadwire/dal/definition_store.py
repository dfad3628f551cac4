"""Definitions changed through the admin API: one item per segment or trigger, versioned.

Segments live under ``DEF#SEGMENT``, triggers under ``DEF#TRIGGER`` (sort key: the id); an item
without ``doc`` is a tombstone (a config definition deleted). Every write is conditional on the
version read, so two admins cannot overwrite each other's change unseen.

Every write also bumps one counter item (``DEF#VERSION``) in the same transaction, so a function
learns whether its cached definitions are still current with one small ``GetItem`` instead of
querying both partitions on every invocation.
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
VERSION_KEY = {schema.PK: {"S": "DEF#VERSION"}, schema.SK: {"S": "VERSION"}}
Kind = Literal["segment", "trigger"]
_PARTITIONS: dict[Kind, str] = {"segment": DEFINITIONS_PK, "trigger": TRIGGER_DEFINITIONS_PK}


class DefinitionConflict(LeadwireError):
    status = 409
    code = "conflict"


_written_here = [0]  # definition writes made by this process (the admin function's, leadwire local's)


def writes_in_this_process() -> int:
    """How many definition writes this process made: a cache here can drop what it holds at once
    (read your writes) instead of waiting out its period."""
    return _written_here[0]


class DefinitionStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def version(self) -> int:
        """The definitions' version: bumped by every segment or trigger write (0 before the first)."""
        item = self._client.get_item(TableName=self._table, Key=VERSION_KEY, ConsistentRead=True).get("Item")
        self._meter.record_read(item_size(item) if item else 1, kind="definition")
        return int(item["v"]["N"]) if item else 0

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
        condition: dict[str, Any] = (
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
        bump = {
            "TableName": self._table,
            "Key": VERSION_KEY,
            "UpdateExpression": "ADD #v :one",
            "ExpressionAttributeNames": {"#v": "v"},
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
        try:
            put = {"TableName": self._table, "Item": item, **condition}
            self._client.transact_write_items(TransactItems=[{"Put": put}, {"Update": bump}])
        except ClientError as exc:
            if _condition_failed(exc):
                raise DefinitionConflict(
                    f"{kind} {item_id!r} was changed concurrently (version {expected_version} is not "
                    "the current one); read it again and retry",
                    {f"{kind}Id": item_id, "expectedVersion": expected_version},
                ) from None
            raise
        _written_here[0] += 1
        for _ in range(2):  # a transactional write costs twice the units of a plain one
            self._meter.record_write(item, kind="definition")
            self._meter.record_write({**VERSION_KEY, "v": {"N": "1"}}, kind="definition")
        return version


def _condition_failed(exc: ClientError) -> bool:
    """The definition's own condition failed (not the version bump, which has none)."""
    error = exc.response.get("Error", {})
    if error.get("Code") == "ConditionalCheckFailedException":
        return True
    reasons = exc.response.get("CancellationReasons") or []
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"
