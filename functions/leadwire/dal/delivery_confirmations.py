"""SES's confirmation of an email delivery, written onto its delivery-log item (``DLV#<deliveryId>``).

The actions write the delivery item (``sending``, then ``sent``); SES's Send event (or any later
event of the same message) says which SES message it became and when SES accepted it. The update
only ever touches an existing item: feedback for a delivery Leadwire has no record of creates
nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.core.instants import iso
from leadwire.dal.fire_store import CONFIRMATION_ATTRIBUTES
from leadwire.dal.metering import PROCESS_METER

SES_MESSAGE_ID, ACCEPTED_AT = CONFIRMATION_ATTRIBUTES


def delivery_key(lead_id: str, delivery_id: str) -> dict[str, dict[str, str]]:
    return {
        schema.PK: {"S": schema.lead_pk(lead_id)},
        schema.SK: {"S": f"{schema.DELIVERY_PREFIX}{delivery_id}"},
    }


class DeliveryConfirmations:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

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
