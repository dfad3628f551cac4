"""What an observer of the table's stream reads off a record, by item kind: ``make demo`` follows
each delivery's statuses and counts the batches that held a fire."""

from __future__ import annotations

from typing import Any

from leadwire import schema


def _sort_key(attributes: dict[str, Any]) -> str:
    return str(attributes.get(schema.SK, {}).get("S", ""))


def is_fire_record(record: dict[str, Any]) -> bool:
    """The record wrote or removed a FIRE item."""
    return _sort_key(record["dynamodb"]["Keys"]).startswith(schema.FIRE_PREFIX)


def delivery_status(record: dict[str, Any]) -> tuple[str, str] | None:
    """``(delivery id, status)`` when the record wrote a delivery log entry; None for anything else
    (another item, a delete)."""
    image = record["dynamodb"].get("NewImage") or {}
    if not _sort_key(image).startswith(schema.DELIVERY_PREFIX) or "status" not in image:
        return None
    return str(image["deliveryId"]["S"]), str(image["status"]["S"])
