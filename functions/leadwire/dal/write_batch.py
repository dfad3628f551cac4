"""Writes a stream batch can hold to its end: counter sums and small puts, in order of need.

The segmentation consumer's membership writes come in three kinds. Member items must be written
one by one (each put returns the old item, which decides the counter). Segment counters are
``ADD`` updates: a batch that moves 40 leads into "Hot" needs one ``ADD 40``, not forty ``ADD 1``.
Flip-log items and history pages are plain idempotent puts: ``BatchWriteItem`` takes 25 a call.

Held writes go out in phases: the counter sums, then the log items, then the history pages. A
page is the delivery marker of its lead's outbox (``LeadStore``), so it lands only after what
it marks: a crash before the pages leaves outboxes that the next load delivers again (member
puts that find their item count nothing twice; log items are rewritten under the same keys).
A crash between a member put and the counter sum leaves counters off, as a crash between the put
and its ``ADD`` always could; ``SegmentStats.recount`` rebuilds them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from leadwire import schema
from leadwire.core.capacity import CapacityMeter

BATCH_WRITE_LIMIT: Final = 25
MAX_HELD: Final = 1_000  # a long batch (a sweep catching up) writes as it goes, not all at its end
UNPROCESSED_RETRIES: Final = 8
LOG: Final = 0
MARKERS: Final = 1

Item = dict[str, dict[str, Any]]


class WriteBatch:
    def __init__(self, client: Any, table_name: str, meter: CapacityMeter) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter
        self.shard: int | None = None  # the counter shard this batch adds to (see SegmentStats)
        self._sums: dict[tuple[str, str], tuple[int, str]] = {}
        # By key, so a delivery repeated within the batch (a retried save) writes each item once:
        # BatchWriteItem refuses a request that names one key twice.
        self._puts: tuple[dict[tuple[str, str], tuple[Item, str]], ...] = ({}, {})
        self._before_flush: list[Callable[[], None]] = []
        self._flushing = False

    def add(self, key: Item, delta: int, kind: str) -> None:
        """Add ``delta`` to the counter item's ``n`` when the batch ends."""
        at = (key[schema.PK]["S"], key[schema.SK]["S"])
        total, _ = self._sums.get(at, (0, kind))
        self._sums[at] = (total + delta, kind)
        self._flush_if_full()

    def put(self, item: Item, kind: str, phase: int) -> None:
        self._puts[phase][(item[schema.PK]["S"], item[schema.SK]["S"])] = (item, kind)
        self._flush_if_full()

    def before_flush(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (once) when the batch is written: it may still ``put`` (log items
        packed from what it held)."""
        if callback not in self._before_flush:
            self._before_flush.append(callback)

    def _flush_if_full(self) -> None:
        if self.held >= MAX_HELD and not self._flushing:
            self.flush()  # all phases, in order: a page still lands after what it marks

    @property
    def held(self) -> int:
        return len(self._sums) + sum(len(puts) for puts in self._puts)

    def flush(self) -> None:
        self._flushing = True
        try:
            for callback in self._before_flush:
                callback()
            self._write()
        finally:
            self._flushing = False

    def _write(self) -> None:
        sums, self._sums = self._sums, {}
        for (pk, sk), (delta, kind) in sums.items():
            if delta == 0:
                continue  # entered and left within the batch: nothing to count
            key: Item = {schema.PK: {"S": pk}, schema.SK: {"S": sk}}
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="ADD #n :d",
                ExpressionAttributeNames={"#n": "n"},
                ExpressionAttributeValues={":d": {"N": str(delta)}},
            )
            self._meter.record_write({**key, "n": {"N": "1"}}, kind=kind)
        for phase in (LOG, MARKERS):
            held = list(self._puts[phase].values())
            self._puts[phase].clear()
            for start in range(0, len(held), BATCH_WRITE_LIMIT):
                self._batch_write(held[start : start + BATCH_WRITE_LIMIT])

    def _batch_write(self, chunk: list[tuple[Item, str]]) -> None:
        requests = [{"PutRequest": {"Item": item}} for item, _ in chunk]
        for attempt in range(UNPROCESSED_RETRIES + 1):
            response = self._client.batch_write_item(RequestItems={self._table: requests})
            requests = response.get("UnprocessedItems", {}).get(self._table, [])
            if not requests:
                break
            if attempt == UNPROCESSED_RETRIES:
                raise RuntimeError(f"{len(requests)} items still unprocessed after {attempt} retries")
            time.sleep(min(0.05 * 2**attempt, 2.0))  # throttled: back off before the rest
        for item, kind in chunk:
            self._meter.record_write(item, kind=kind)
