"""FIRE items (a trigger fired for a lead) and the delivery log (what each action did)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.delivery.statuses import SENDING
from leadwire.core.fires import Fire
from leadwire.core.instants import iso
from leadwire.dal.fire_items import fire_to_item
from leadwire.dal.metering import PROCESS_METER

# Written onto a delivery by the SES feedback consumer when SES reports the message as sent.
CONFIRMATION_ATTRIBUTES = ("sesMessageId", "acceptedAt")


class FireStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def put_fire(self, fire: Fire) -> bool:
        """Write the fire once: a retried start of the same fire writes nothing (False)."""
        item = fire_to_item(fire)
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": schema.PK},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self._meter.record_write(item, kind="fire")
        return True

    def delete_fire(self, fire: Fire) -> None:
        """Remove a fire's item (one of an erased lead, which nothing may act on)."""
        key = {schema.PK: {"S": schema.lead_pk(fire.lead_id)}, schema.SK: {"S": schema.fire_sk(fire.fire_id)}}
        self._client.delete_item(TableName=self._table, Key=key)
        self._meter.record_write(key, kind="fire")

    def record_delivery(
        self,
        fire: Fire,
        delivery_id: str,
        channel: str,
        status: str,
        at: datetime,
        details: dict[str, Any],
    ) -> None:
        """One item per action of a fire (keyed by delivery id): the delivery log and the outbox."""
        item = self._delivery_item(fire, delivery_id, channel, status, at, details)
        self._client.put_item(TableName=self._table, Item=item)
        self._meter.record_write(item, kind="delivery")

    def claim_delivery(
        self,
        fire: Fire,
        delivery_id: str,
        channel: str,
        at: datetime,
        details: dict[str, Any],
        prior: dict[str, Any] | None,
    ) -> bool:
        """Mark the delivery ``sending`` before the send, unless someone else changed it since
        ``prior`` was read (False: do not send). The mark is what a retry after a crash finds;
        ``details`` carry ``claimedAt`` (when SES's confirmation is looked for)."""
        item = self._delivery_item(fire, delivery_id, channel, SENDING, at, details)
        if prior is None:
            condition, values = "attribute_not_exists(#pk)", {}
        else:
            condition = "#status = :status AND #at = :at"
            values = {":status": {"S": prior["status"]}, ":at": {"S": prior["at"]}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#pk": schema.PK}
                if prior is None
                else {"#status": "status", "#at": "at"},
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self._meter.record_write(item, kind="delivery")
        return True

    def _delivery_item(
        self, fire: Fire, delivery_id: str, channel: str, status: str, at: datetime, details: dict[str, Any]
    ) -> dict[str, dict[str, str]]:
        return {
            schema.PK: {"S": schema.lead_pk(fire.lead_id)},
            schema.SK: {"S": f"{schema.DELIVERY_PREFIX}{delivery_id}"},
            "deliveryId": {"S": delivery_id},
            "channel": {"S": channel},
            "triggerId": {"S": fire.trigger_id},
            "leadId": {"S": fire.lead_id},
            "fireId": {"S": fire.root_id},  # a deferred fire logs under the fire it continues
            "status": {"S": status},
            "at": {"S": iso(at)},
            "firedAt": {"S": iso(fire.at)},
            "details": {"S": json.dumps(details, separators=(",", ":"), sort_keys=True, default=str)},
            # Per trigger, in the fire's time: keys that stay put on every rewrite of the delivery
            # cost the keys-only index nothing after the first write.
            **schema.delivery_index_keys(fire.trigger_id, fire.at, delivery_id),
        }

    def get_delivery(self, lead_id: str, delivery_id: str) -> dict[str, Any] | None:
        """The delivery log entry of one action (strongly consistent), or None."""
        response = self._client.get_item(
            TableName=self._table,
            Key={
                schema.PK: {"S": schema.lead_pk(lead_id)},
                schema.SK: {"S": f"{schema.DELIVERY_PREFIX}{delivery_id}"},
            },
            ConsistentRead=True,
        )
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=True, kind="delivery")
        return delivery_view(item) if item else None


def delivery_view(item: dict[str, Any]) -> dict[str, Any]:
    confirmed = {name: item[name]["S"] for name in CONFIRMATION_ATTRIBUTES if name in item}
    return {
        "deliveryId": item.get("deliveryId", {}).get("S")
        or item[schema.SK]["S"].removeprefix(schema.DELIVERY_PREFIX),
        "channel": item["channel"]["S"],
        "triggerId": item["triggerId"]["S"],
        "leadId": item["leadId"]["S"],
        "fireId": item["fireId"]["S"],
        "status": item["status"]["S"],
        "at": item["at"]["S"],
        "firedAt": item.get("firedAt", item["at"])["S"],
        **json.loads(item["details"]["S"]),
        **confirmed,
    }
