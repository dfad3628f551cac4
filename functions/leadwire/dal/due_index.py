"""The sweep's reads: leads due in a time range (the sparse ``due`` index), and its checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.instants import iso
from leadwire.dal.metering import PROCESS_METER

_CHECKPOINT_KEY = {schema.PK: {"S": schema.SWEEP_PK}, schema.SK: {"S": schema.SWEEP_CHECKPOINT_SK}}


def hours_between(start: datetime, end: datetime) -> Iterator[datetime]:
    """Every UTC hour that overlaps ``(start, end]``."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour <= end:
        yield hour
        hour += timedelta(hours=1)


class DueIndex:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def due_leads(self, after: datetime, until: datetime) -> Iterator[tuple[datetime, str]]:
        """(due instant, lead id) for every lead due in ``(after, until]``, in time order.

        One range query per hour bucket: what it reads is what is due, however many leads are not.
        """
        for hour in hours_between(after, until):
            start: dict[str, Any] | None = None
            while True:
                extra = {"ExclusiveStartKey": start} if start else {}
                response = self._client.query(
                    TableName=self._table,
                    IndexName=schema.DUE_INDEX,
                    KeyConditionExpression="#pk = :pk AND #sk BETWEEN :from AND :to",
                    ExpressionAttributeNames={"#pk": schema.DUE_PK, "#sk": schema.DUE_SK},
                    ExpressionAttributeValues={
                        ":pk": {"S": schema.due_pk(hour)},
                        # "#" sorts before every id character: (after, until] on the instant part.
                        ":from": {"S": f"{iso(after)}#\uffff"},
                        ":to": {"S": f"{iso(until)}#\uffff"},
                    },
                    **extra,
                )
                items = response.get("Items", [])
                self._meter.record_read(sum(item_size(i) for i in items), consistent=False, kind="sweep")
                for item in items:
                    instant, lead_id = item[schema.DUE_SK]["S"].split("#", 1)
                    yield datetime.fromisoformat(instant), lead_id
                start = response.get("LastEvaluatedKey")
                if not start:
                    break

    def checkpoint(self) -> datetime | None:
        item = self._client.get_item(TableName=self._table, Key=_CHECKPOINT_KEY, ConsistentRead=True).get(
            "Item"
        )
        self._meter.record_read(item_size(item) if item else 1, kind="sweep")
        return datetime.fromisoformat(item["through"]["S"]) if item else None

    def advance_checkpoint(self, through: datetime) -> bool:
        """Move the checkpoint forward only (two overlapping sweeps cannot move it back)."""
        item = {**_CHECKPOINT_KEY, "through": {"S": iso(through)}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk) OR #through < :through",
                ExpressionAttributeNames={"#pk": schema.PK, "#through": "through"},
                ExpressionAttributeValues={":through": {"S": iso(through)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self._meter.record_write(item, kind="sweep")
        return True
