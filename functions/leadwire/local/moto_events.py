"""The preview's event source on ``leadwire local``: moto's table read in place.

A Scan through boto3 makes moto serialise every page through its protocol layer, about a
millisecond per item here, so 100k events took minutes. This reads the same items from moto's
in-memory table (still the ``EVT#`` items only, converted by the same ``from_item``). In AWS the
preview reads with ``IndexedEvents`` (the leads index, then one Query per lead) instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from leadwire import schema
from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_store import from_item


class MotoEventSource:
    def __init__(self, table_name: str, region: str) -> None:
        self._table = table_name
        self._region = region

    def events(self, segment: int = 0, total_segments: int = 1) -> Iterator[StoredEvent]:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][self._region].get_table(self._table)
        for partition in list(table.items.values()):
            for sort_key, item in list(partition.items()):
                if str(sort_key.value).startswith(schema.EVENT_PREFIX):
                    yield from_item(item.to_json()["Attributes"])
