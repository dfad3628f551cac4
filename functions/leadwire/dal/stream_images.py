"""What an observer of the table's stream reads off a record, through the item mappers: ``make demo``
follows each delivery's statuses and counts the reactions batches that held a fire."""

from __future__ import annotations

from typing import Any, Final

from leadwire import schema
from leadwire.dal.delivery_store import delivery_view
from leadwire.stream_records import TableChange, matches

_DELIVERY_WRITTEN: Final[dict[str, Any]] = {
    "dynamodb": {"NewImage": {schema.SK: {"S": [{"prefix": schema.DELIVERY_PREFIX}]}}}
}


def is_fire_insert(record: dict[str, Any]) -> bool:
    """The record is one the actions consumer's filter passes: a FIRE item written."""
    return matches(schema.FIRE_INSERT_FILTER, record)


def delivery_written(record: dict[str, Any]) -> dict[str, Any] | None:
    """The delivery log entry the record wrote (as ``delivery_view`` reads it); None for another
    item or a delete."""
    if not matches(_DELIVERY_WRITTEN, record):
        return None
    return delivery_view(TableChange.of(record).new_image or {})
