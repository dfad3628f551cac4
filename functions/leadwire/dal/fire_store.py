"""FIRE items: a trigger fired for a lead (``dal/fire_items.py`` maps them)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.core.fires import Fire
from leadwire.dal.fire_items import fire_to_item
from leadwire.dal.metering import PROCESS_METER


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
