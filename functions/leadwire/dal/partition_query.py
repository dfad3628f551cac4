"""The one paginated query of a partition's items, all or those whose sort key starts with a prefix.

Each page is metered as DynamoDB bills it: the items' size in 4 KB units, half for an eventually
consistent read, and half a unit for an empty page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size

Item = dict[str, Any]


def partition_items(
    client: Any,
    table: str,
    pk: str,
    meter: CapacityMeter,
    kind: str,
    *,
    prefix: str | None = None,
    consistent: bool = False,
    projection: str | None = None,
) -> Iterator[Item]:
    """Every item of partition ``pk`` (sort key starting with ``prefix``), in sort key order."""
    condition = "#pk = :pk" + (" AND begins_with(#sk, :prefix)" if prefix is not None else "")
    names = {"#pk": schema.PK, **({"#sk": schema.SK} if prefix is not None else {})}
    values: dict[str, Any] = {":pk": {"S": pk}, **({":prefix": {"S": prefix}} if prefix is not None else {})}
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ConsistentRead": consistent,
        **({"ProjectionExpression": projection} if projection else {}),
    }
    while True:
        response = client.query(**request)
        items = response.get("Items", [])
        meter.record_read(sum(item_size(item) for item in items) or 1, consistent=consistent, kind=kind)
        yield from items
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
