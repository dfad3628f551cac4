"""A fast path for moto's base-table ``Query``, installed only by ``leadwire local``.

moto 5.2.5 answers every ``Query`` by walking and sorting every item of the table
(``Table.all_items()``), then keeping the items of the queried partition. A local replay that
reads a lead's partition (its history on a merge, its deliveries) therefore slows down as the
table grows, quadratically over a run. The items are already held per partition
(``Table.items[hash_key][range_key]``), so for a base-table query with a partition key this
patch hands ``query`` only that partition, sorted exactly as ``all_items`` sorts it; the rest of
moto's query (range conditions, filters, paging, projections, direction) runs unchanged on it,
so the answer is the same item for item.

Index queries keep moto's own path (their partition is not stored separately). The patch is
pinned to the moto version it was read against: on any other version ``install`` does nothing
and says so, and local runs are merely slower. ``tests/integration/test_moto_query.py`` checks
that patched and unpatched answers are identical.
"""

from __future__ import annotations

import threading
from typing import Any, Final

import moto
from moto.dynamodb.models.table import Table

PINNED_MOTO_VERSION: Final = "5.2.5"

_ORIGINAL_QUERY: Final = Table.query
_ORIGINAL_ALL_ITEMS: Final = Table.all_items
_scope = threading.local()  # the partition of the base-table query running on this thread


def _partition_items(table: Table, hash_key: Any) -> list[Any]:
    partition = table.items.get(hash_key) or {}  # .get: ``items`` is a defaultdict
    return sorted(partition.values(), key=lambda item: item.range_key)


def _all_items(self: Table) -> list[Any]:
    partition = getattr(_scope, "partition", None)
    if partition is None or partition[0] is not self:
        return _ORIGINAL_ALL_ITEMS(self)
    return _partition_items(self, partition[1])


def _query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name is not None or hash_key is None or not self.range_key_attr:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    _scope.partition = (self, hash_key)
    try:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    finally:
        _scope.partition = None


def install() -> bool:
    """Patch moto's table for this process; False (and nothing patched) on another moto version."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        return False
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    Table.query = _ORIGINAL_QUERY  # type: ignore[method-assign]
    Table.all_items = _ORIGINAL_ALL_ITEMS  # type: ignore[method-assign]


def installed() -> bool:
    return Table.query is _query
