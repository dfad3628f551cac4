"""On-site messages and their closures in the lead's partition (``LEAD#<id> / ONSITE#...``).

One query by the ``ONSITE#`` prefix reads a lead's messages and closures together, so
``GET /v1/messages`` costs one GetItem (is the visitor merged into a known lead?) and one or two
queries, whatever else the lead's partition holds. Items carry ``expiresAt`` (DynamoDB TTL):
expired messages go away by themselves; the reader also filters by its own clock, because TTL
deletes lazily.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.core.instants import iso, parse_iso
from leadwire.core.onsite import CLOSURE_KEPT, Closure, OnsiteMessage, PendingMessage
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.partition_query import partition_items
from leadwire.dal.unprocessed import write_all, written_item

MERGED_INTO = "mi"  # lead_items: the known lead an anonymous lead was merged into
_BATCH = 25


def _epoch(moment: datetime) -> dict[str, str]:
    return {"N": str(int(moment.timestamp()))}


class OnsiteStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def put_message(
        self,
        lead_id: str,
        message_id: str,
        message: OnsiteMessage,
        created_at: datetime,
        expires_at: datetime,
        trigger_id: str,
    ) -> None:
        """Idempotent on the message id: a retried delivery writes the same item again."""
        item = {
            schema.PK: {"S": schema.lead_pk(lead_id)},
            schema.SK: {"S": schema.onsite_sk(message_id)},
            "message": {"S": json.dumps(message.model_dump(mode="json"), separators=(",", ":"))},
            "createdAt": {"S": iso(created_at)},
            "until": {"S": iso(expires_at)},
            "triggerId": {"S": trigger_id},
            schema.TTL_ATTRIBUTE: _epoch(expires_at),
        }
        self._client.put_item(TableName=self._table, Item=item)
        self._meter.record_write(item, kind="onsite")

    def put_closures(self, closed: Iterable[Closure]) -> None:
        """Marks messages clicked or dismissed (idempotent: a closure is the same item every time)."""
        items = [
            {
                schema.PK: {"S": schema.lead_pk(closure.lead_id)},
                schema.SK: {"S": schema.onsite_closed_sk(closure.message_id)},
                "at": {"S": iso(closure.at)},
                schema.TTL_ATTRIBUTE: _epoch(closure.at + CLOSURE_KEPT),
            }
            for closure in closed
        ]
        for start in range(0, len(items), _BATCH):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH]]
            if write_all(self._client, self._table, requests, self._metered):
                raise StorageUnavailable(
                    "the table is throttled; send the closures again", {"retryable": True}
                )

    def _metered(self, request: dict[str, Any]) -> None:
        self._meter.record_write(written_item(request), kind="onsite")

    def merged_into(self, lead_id: str) -> str | None:
        """The known lead an anonymous lead was merged into (one small read of the lead state)."""
        response = self._client.get_item(
            TableName=self._table,
            Key={schema.PK: {"S": schema.lead_pk(lead_id)}, schema.SK: {"S": schema.STATE_SK}},
            ProjectionExpression="#m",
            ExpressionAttributeNames={"#m": MERGED_INTO},
        )
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=False, kind="onsite")
        return item[MERGED_INTO]["S"] if item and MERGED_INTO in item else None

    def pending(self, lead_id: str) -> tuple[list[PendingMessage], set[str]]:
        """The lead's stored messages and the ids of those closed."""
        messages: list[PendingMessage] = []
        closed: set[str] = set()
        pk = schema.lead_pk(lead_id)
        for item in partition_items(
            self._client, self._table, pk, self._meter, "onsite", prefix=schema.ONSITE_PREFIX
        ):
            key = item[schema.SK]["S"].removeprefix(schema.ONSITE_PREFIX)
            if key.endswith(schema.ONSITE_CLOSED_SUFFIX):
                closed.add(key.removesuffix(schema.ONSITE_CLOSED_SUFFIX))
                continue
            messages.append(
                PendingMessage(
                    message_id=key,
                    message=OnsiteMessage.model_validate(json.loads(item["message"]["S"])),
                    created_at=parse_iso(item["createdAt"]["S"]),
                    expires_at=parse_iso(item["until"]["S"]),
                )
            )
        return messages, closed
