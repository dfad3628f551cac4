"""``PHONE#<e164>`` items: the lead a number was last texted for, so an inbound STOP finds it.

Written on every SMS send (one small put, about 1 WCU), read once per inbound message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.instants import iso
from leadwire.dal.metering import PROCESS_METER


def phone_key(phone: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": f"{schema.PHONE_PREFIX}{phone}"}, schema.SK: {"S": schema.PHONE_SK}}


class PhoneBook:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def remember(self, phone: str, lead_id: str, at: datetime) -> None:
        item = {**phone_key(phone), "leadId": {"S": lead_id}, "at": {"S": iso(at)}}
        self._client.put_item(TableName=self._table, Item=item)
        self._meter.record_write(item, kind="phone_book")

    def lead_for(self, phone: str) -> str | None:
        item = self._client.get_item(TableName=self._table, Key=phone_key(phone), ConsistentRead=True).get(
            "Item"
        )
        self._meter.record_read(item_size(item) if item else 1, consistent=True, kind="phone")
        return item["leadId"]["S"] if item else None
