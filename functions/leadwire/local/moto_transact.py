"""A cheap rollback for moto's ``TransactWriteItems``, installed only by ``leadwire local``.

moto 5.2.5 backs up every table a transaction names with ``copy.deepcopy(table)`` before it
writes, so that a cancelled transaction can put the old table back. That copies every item of the
table (and its stream) for each transaction: the account writes (a lead's link and its part of the
account score are one transaction) made a local replay slow down and grow in memory with the table,
past several gigabytes on the demo. A transaction touches at most 100 items, so this patch backs up
only those items and the length of the table's stream; on cancellation it puts those items back
(or removes the ones the transaction created) and drops the stream records the cancelled writes
added, which leaves the table as moto's own rollback would. Everything else (conditions, the
cancellation reasons, the unicity check) is moto's code, run unchanged.

Pinned to the moto version it was read against, like ``moto_query``; ``tests/integration/
test_moto_transact.py`` checks that patched and unpatched transactions leave the same table.
"""

from __future__ import annotations

import copy
import threading
import types
from typing import Any, Final

import moto
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

PINNED_MOTO_VERSION: Final = "5.2.5"

_ORIGINAL_TRANSACT: Final = DynamoDBBackend.transact_write_items
_lock = threading.Lock()


def _keep_tables(value: Any, memo: Any = None) -> Any:
    """``copy.deepcopy`` for the backup moto takes: a table is kept by reference (this module
    backs up the touched items itself); anything else is copied as before."""
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


# moto's models module reads ``copy.deepcopy`` through its ``copy`` global; during a transaction it
# sees this namespace instead.
_COPY_SHIM: Final = types.SimpleNamespace(deepcopy=_keep_tables, copy=copy.copy)


def _key_of(table: Table, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _backup(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(table, key, copy of the item or None) per touched item, and (table, stream length) per table."""
    saved: list[tuple[Any, ...]] = []
    streams: dict[str, tuple[Table, int]] = {}
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        name = op.get("TableName") if isinstance(op, dict) else None
        if not name or name not in backend.tables:
            continue
        table = backend.tables[name]
        try:
            key = _key_of(table, op_type, op)
            current = backend.get_item(name, key)
        except Exception:  # moto's own code reports a bad key; there is nothing to back up
            continue
        saved.append((table, key, copy.deepcopy(current)))
        shard = table.stream_shard
        streams.setdefault(name, (table, len(shard.items) if shard is not None else 0))
    return saved + [("stream", table, length) for table, length in streams.values()]


def _restore(backend: DynamoDBBackend, saved: list[tuple[Any, ...]]) -> None:
    for entry in reversed(saved):
        if entry[0] == "stream":
            _, table, length = entry
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]
            continue
        table, key, item = entry
        current = backend.get_item(table.name, key)
        if current is not None:
            _remove(table, current)
        if item is not None:
            _place(table, item)


def _remove(table: Table, item: Any) -> None:
    if table.range_key_attr is not None:
        table.items[item.hash_key].pop(item.range_key, None)
        if not table.items[item.hash_key]:
            table.items.pop(item.hash_key, None)
    else:
        table.items.pop(item.hash_key, None)


def _place(table: Table, item: Any) -> None:
    if table.range_key_attr is not None:
        table.items[item.hash_key][item.range_key] = item
    else:
        table.items[item.hash_key] = item


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    with _lock:
        saved = _backup(self, transact_items) if len(transact_items) <= 100 else []
        dynamodb_models.copy = _COPY_SHIM  # type: ignore[assignment]
        try:
            _ORIGINAL_TRANSACT(self, transact_items)
        except Exception:
            _restore(self, saved)
            raise
        finally:
            dynamodb_models.copy = copy


def install() -> bool:
    """Patch moto's backend for this process; False (and nothing patched) on another moto version."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        return False
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    DynamoDBBackend.transact_write_items = _ORIGINAL_TRANSACT  # type: ignore[method-assign]


def installed() -> bool:
    return DynamoDBBackend.transact_write_items is _transact_write_items
