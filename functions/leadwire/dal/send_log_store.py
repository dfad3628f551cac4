"""The per-lead send log that frequency caps count: one item, ``LEAD#<id> / SENDS``.

A send is reserved in the log before it happens (a version-checked write), so two fires of one
lead racing for the last slot under a cap cannot both win. A retried delivery finds its own
reservation and goes ahead without writing. Entries older than the longest cap are dropped on
every write, so the item stays small (a few dozen bytes a send).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.delivery.decisions import SentRecord, prune
from leadwire.dal.event_items import iso
from leadwire.dal.metering import PROCESS_METER


class SendLogStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def _key(self, lead_id: str) -> dict[str, dict[str, str]]:
        return {schema.PK: {"S": schema.lead_pk(lead_id)}, schema.SK: {"S": schema.SEND_LOG_SK}}

    def recent(self, lead_id: str) -> tuple[list[SentRecord], int]:
        """The lead's remembered sends and the log's version (0: no log yet)."""
        response = self._client.get_item(TableName=self._table, Key=self._key(lead_id), ConsistentRead=True)
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=True, kind="send_log")
        if item is None:
            return [], 0
        records = [
            SentRecord(delivery_id, channel, category, datetime.fromisoformat(at))
            for delivery_id, channel, category, at in json.loads(item["sends"]["S"])
        ]
        return records, int(item["version"]["N"])

    def reserve(
        self, lead_id: str, send: SentRecord, recent: Sequence[SentRecord], version: int, keep: timedelta
    ) -> bool:
        """Add ``send`` to the log read at ``version``; False when the log changed meanwhile (read
        again and decide again)."""
        if any(record.delivery_id == send.delivery_id for record in recent):
            return True
        kept = [*prune(recent, keep, send.at), send]
        item = {
            **self._key(lead_id),
            "sends": {
                "S": json.dumps(
                    [[r.delivery_id, r.channel, r.category, iso(r.at)] for r in kept], separators=(",", ":")
                )
            },
            "version": {"N": str(version + 1)},
        }
        condition = "attribute_not_exists(#pk)" if version == 0 else "#version = :version"
        values = {} if version == 0 else {":version": {"N": str(version)}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#pk": schema.PK} if version == 0 else {"#version": "version"},
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self._meter.record_write(item, kind="send_log")
        return True
