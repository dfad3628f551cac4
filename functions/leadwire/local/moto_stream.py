"""``leadwire local``'s stream reader: moto's in-process stream shard, without the API round trip.

Through the Streams API every record is serialised by moto's generic response serialiser and
parsed again by botocore (about 50 ms per page of records here, the largest cost of a local
replay after moto's queries). In one process the pump can read the same records from the shard
moto keeps (``StreamShard.items``, each ``StreamRecord.to_json()`` being exactly what
``GetRecords`` serialises). Pinned to the moto version it was read against: on another version
``reader_for`` returns None and the pump uses the API. ``tests/integration/test_moto_stream.py``
checks both readers deliver the same records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import moto

PINNED_MOTO_VERSION: Final = "5.2.5"


class MotoStreamReader:
    """Looks the table up on every read: a cancelled transaction makes moto put back a copy of the
    table taken before it (``transact_write_items`` rolls back that way), so a shard held from
    before would keep the records of the writes rolled back and miss every write after."""

    def __init__(self, backend: Any, table_name: str) -> None:
        self._backend = backend
        self._table_name = table_name

    @property
    def _shard(self) -> Any:
        return self._backend.get_table(self._table_name).stream_shard

    def shards(self) -> list[str]:
        return [self._shard.id]

    def records(self, shard_id: str, after: str | None) -> Iterator[dict[str, Any]]:
        shard = self._shard
        start = 0 if after is None else int(after) + 1 - shard.starting_sequence_number
        for record in shard.items[start:]:
            yield record.to_json()


def reader_for(table_name: str, *, account_id: str, region: str) -> MotoStreamReader | None:
    """The in-process reader of ``table_name``'s stream, or None on another moto version."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        return None
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[account_id][region]
    backend.get_table(table_name)  # raises now if there is no such table
    return MotoStreamReader(backend, table_name)
