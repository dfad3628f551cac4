"""The per-lead send log that frequency caps count: one item, ``LEAD#<id> / SENDS``.

A send is reserved in the log before it happens (a version-checked write), so two fires of one
lead racing for the last slot under a cap cannot both win. A retried delivery finds its own
reservation and goes ahead without writing. Entries older than the longest cap are dropped on
every write, so the item stays small (a few dozen bytes a send).

The same item lists the messages waiting for a cap slot (``waiting``: delivery id, channel,
category, priority, fired, expires, wakes), so that a message knows who is ahead of it in line
(``core/delivery/line.py``). A message joins the line and leaves it (sent, expired) under the same
version check; the gate drops dead entries (expired, long overdue) whenever it writes the line.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.delivery.decisions import SendLine, SentRecord, prune
from leadwire.core.delivery.line import Ticket, Waiting
from leadwire.core.instants import iso
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
        line = self.line(lead_id)
        return line.sends, line.version

    def line(self, lead_id: str) -> SendLine:
        """The lead's remembered sends, the messages waiting for a cap slot, and the version."""
        response = self._client.get_item(TableName=self._table, Key=self._key(lead_id), ConsistentRead=True)
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=True, kind="send_log")
        if item is None:
            return SendLine()
        sends = [
            SentRecord(delivery_id, channel, category, datetime.fromisoformat(at))
            for delivery_id, channel, category, at in json.loads(item["sends"]["S"])
        ]
        waiting = [_waiting(entry) for entry in json.loads(item["waiting"]["S"])] if "waiting" in item else []
        return SendLine(sends, waiting, int(item["version"]["N"]))

    def save(self, lead_id: str, line: SendLine, keep: timedelta, now: datetime) -> bool:
        """Replace the log read at ``line.version`` with ``line`` (sends older than ``keep``
        dropped); False when the log changed meanwhile (read again and decide again)."""
        version = line.version
        item = {
            **self._key(lead_id),
            "sends": {
                "S": json.dumps(
                    [[r.delivery_id, r.channel, r.category, iso(r.at)] for r in prune(line.sends, keep, now)],
                    separators=(",", ":"),
                )
            },
            "version": {"N": str(version + 1)},
        }
        if line.waiting:
            item["waiting"] = {"S": json.dumps([_entry(w) for w in line.waiting], separators=(",", ":"))}
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


def _entry(waiting: Waiting) -> list[Any]:
    ticket = waiting.ticket
    return [
        ticket.delivery_id,
        waiting.channel,
        waiting.category,
        ticket.priority,
        iso(ticket.fired_at),
        iso(ticket.expires_at),
        iso(waiting.until),
    ]


def _waiting(entry: list[Any]) -> Waiting:
    delivery_id, channel, category, priority, fired_at, expires_at, until = entry
    ticket = Ticket(
        delivery_id, int(priority), datetime.fromisoformat(fired_at), datetime.fromisoformat(expires_at)
    )
    return Waiting(ticket, channel, category, datetime.fromisoformat(until))
