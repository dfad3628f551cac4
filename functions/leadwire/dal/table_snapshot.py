"""The whole table as one Scan read it, item by kind, through the item mappers: what ``make demo``
reports on after its replay (a local table of some thousands of items in moto, where one Scan
costs less than a Query per lead). Nothing that serves traffic scans the table."""

from __future__ import annotations

from typing import Any

from leadwire import schema
from leadwire.core.capacity import item_size
from leadwire.core.fires import Fire
from leadwire.core.leads import LeadRecord
from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_store import from_item as event_from_item
from leadwire.dal.fire_store import fire_from_item
from leadwire.dal.lead_items import history_intervals, lead_from_item

Item = dict[str, dict[str, Any]]


class TableSnapshot:
    def __init__(self, client: Any, table_name: str) -> None:
        pages = client.get_paginator("scan").paginate(TableName=table_name)
        self._items: list[Item] = [item for page in pages for item in page["Items"]]

    def _of(self, prefix: str) -> list[Item]:
        return [item for item in self._items if item[schema.SK]["S"].startswith(prefix)]

    def events(self) -> list[StoredEvent]:
        return [event_from_item(item) for item in self._of(schema.EVENT_PREFIX)]

    def event_sizes(self) -> list[tuple[StoredEvent, int]]:
        """Each stored event with its item's size in bytes (what its write cost)."""
        return [(event_from_item(item), item_size(item)) for item in self._of(schema.EVENT_PREFIX)]

    def fires(self) -> list[Fire]:
        return [fire_from_item(item) for item in self._of(schema.FIRE_PREFIX)]

    def leads(self) -> list[LeadRecord]:
        return [lead_from_item(item) for item in self._of(schema.STATE_SK)]

    def history(self) -> list[dict[str, Any]]:
        """The membership intervals of every lead, in order of entry."""
        return history_intervals(self._of(schema.HISTORY_PREFIX))
