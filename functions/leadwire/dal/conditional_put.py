"""A ``PutItem`` under a condition, answered as a bool: the one place that turns DynamoDB's
``ConditionalCheckFailedException`` into "not written"."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter

ABSENT = "attribute_not_exists(#pk)"
ABSENT_NAMES = {"#pk": schema.PK}


def put_if(
    client: Any,
    table: str,
    item: dict[str, Any],
    meter: CapacityMeter,
    kind: str,
    *,
    condition: str = ABSENT,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> bool:
    """Put ``item`` if ``condition`` holds (by default: no item has its key yet). False when it
    does not, and nothing was written; DynamoDB bills the refused write all the same, and so
    does the meter."""
    try:
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression=condition,
            ExpressionAttributeNames=ABSENT_NAMES if names is None else names,
            **({"ExpressionAttributeValues": values} if values else {}),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        written = False
    else:
        written = True
    meter.record_write(item, kind=kind)
    return written
