"""The delivery item (``DLV#<deliveryId>`` in the lead's partition): what one action of a fire did.

Its key shape, its mapping and its store in one place. The actions claim it (``sending``) before
a send and record how it ended; SES's Send event (or any later event of the same message) says
which SES message it became and when SES accepted it (``confirm``); the admin API and the export
read it (``delivery_view``; the listings over the ``deliveries`` index are ``dal/delivery_log.py``).
"""

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
from leadwire.dal.conditional_put import put_if
from leadwire.dal.metering import PROCESS_METER

# Written onto a delivery by the SES feedback consumer when SES reports the message as sent.
CONFIRMATION_ATTRIBUTES = ("sesMessageId", "acceptedAt")
SES_MESSAGE_ID, ACCEPTED_AT = CONFIRMATION_ATTRIBUTES


def delivery_key(lead_id: str, delivery_id: str) -> dict[str, dict[str, str]]:
    return {
        schema.PK: {"S": schema.lead_pk(lead_id)},
        schema.SK: {"S": f"{schema.DELIVERY_PREFIX}{delivery_id}"},
    }


def delivery_item(
    fire: Fire, delivery_id: str, channel: str, status: str, at: datetime, details: dict[str, Any]
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


class DeliveryStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def record_delivery(
        self,
        fire: Fire,
        delivery_id: str,
        channel: str,
        status: str,
        at: datetime,
        details: dict[str, Any],
        *,
        only_new: bool = False,
    ) -> bool:
        """One item per action of a fire (keyed by delivery id): the delivery log and the outbox.
        ``only_new``: on condition that the delivery has no item yet (False: it has one, and
        nothing was written)."""
        item = delivery_item(fire, delivery_id, channel, status, at, details)
        if only_new:
            return put_if(self._client, self._table, item, self._meter, "delivery")
        self._client.put_item(TableName=self._table, Item=item)
        self._meter.record_write(item, kind="delivery")
        return True

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
        item = delivery_item(fire, delivery_id, channel, SENDING, at, details)
        if prior is None:
            return put_if(self._client, self._table, item, self._meter, "delivery")
        return put_if(
            self._client,
            self._table,
            item,
            self._meter,
            "delivery",
            condition="#status = :status AND #at = :at",
            names={"#status": "status", "#at": "at"},
            values={":status": {"S": prior["status"]}, ":at": {"S": prior["at"]}},
        )

    def get_delivery(self, lead_id: str, delivery_id: str) -> dict[str, Any] | None:
        """The delivery log entry of one action (strongly consistent), or None."""
        response = self._client.get_item(
            TableName=self._table,
            Key=delivery_key(lead_id, delivery_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=True, kind="delivery")
        return delivery_view(item) if item else None

    def confirm(self, lead_id: str, delivery_id: str, ses_message_id: str, at: datetime) -> bool:
        """Set ``sesMessageId`` and ``acceptedAt`` on the delivery; False if there is no such delivery.

        Idempotent: a redelivered confirmation sets the same values again.
        """
        key = delivery_key(lead_id, delivery_id)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET #mid = :mid, #acc = :acc",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": schema.PK, "#mid": SES_MESSAGE_ID, "#acc": ACCEPTED_AT},
                ExpressionAttributeValues={":mid": {"S": ses_message_id}, ":acc": {"S": iso(at)}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                self._meter.record_write(key, kind="delivery_confirmation")  # a failed condition costs 1 unit
                return False
            raise
        # An update is charged on the larger of the item before and after: the item after, here.
        item = response.get("Attributes") or key
        self._meter.record_write(item, kind="delivery_confirmation")
        return True
