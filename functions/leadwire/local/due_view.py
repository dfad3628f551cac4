"""The due index as ``leadwire local`` sees it: kept in memory from the table's stream.

In AWS the sweep reads the sparse ``due`` index by range query, which costs what is due. On moto
every index query walks and sorts the whole table, so a sweep per simulated tick would make a
local replay quadratic. Locally the sweep therefore reads the same (instant, lead) pairs from
this view, fed by every lead-state record the stream pump reads (the pump drains before each
sweep, so the view is as current as a consistent read); the checkpoint stays in the table,
read and written by the real ``DueIndex``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from leadwire import schema


class CheckpointPort(Protocol):
    def checkpoint(self) -> datetime | None: ...

    def advance_checkpoint(self, through: datetime) -> bool: ...


class StreamDueView:
    """A ``DuePort`` (see ``timers/sweep.py``) over the stream instead of the index."""

    def __init__(self, index: CheckpointPort) -> None:
        self._index = index
        self._due: dict[str, datetime] = {}

    def observe(self, record: dict[str, Any]) -> None:
        """A stream record in Lambda's shape; only lead-state and account items matter."""
        keys = record["dynamodb"]["Keys"]
        sort_key, partition = keys[schema.SK]["S"], keys[schema.PK]["S"]
        if sort_key == schema.STATE_SK:
            lead_id = schema.lead_id_from_pk(partition)
        elif sort_key == schema.ACCOUNT_SK and partition.startswith(schema.ACCOUNT_PREFIX):
            # An account due to be settled (decay): the index lists it as ``account:<id>``.
            lead_id = schema.ACCOUNT_SUBJECT_PREFIX + partition.removeprefix(schema.ACCOUNT_PREFIX)
        else:
            return
        due = (record["dynamodb"].get("NewImage") or {}).get(schema.DUE_SK)
        if due is None:
            self._due.pop(lead_id, None)
        else:
            self._due[lead_id] = datetime.fromisoformat(due["S"].split("#", 1)[0])

    def any_due(self, until: datetime) -> bool:
        return any(due <= until for due in self._due.values())

    def next_due(self, after: datetime, until: datetime) -> datetime | None:
        """The earliest due instant in ``(after, until]``."""
        return min((due for due in self._due.values() if after < due <= until), default=None)

    def due_leads(self, after: datetime, until: datetime) -> Iterator[tuple[datetime, str]]:
        """What ``DueIndex.due_leads`` answers, in the same order (instant, then lead id)."""
        due = sorted((at, lead) for lead, at in self._due.items() if after < at <= until)
        yield from due

    def checkpoint(self) -> datetime | None:
        return self._index.checkpoint()

    def advance_checkpoint(self, through: datetime) -> bool:
        return self._index.advance_checkpoint(through)
