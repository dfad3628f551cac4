"""Writes a stream batch can hold to its end: plain puts and deletes, and counter sums.

The segmentation consumer's membership writes are member items (one per lead and segment),
flip-log items, history pages and segment counters. The first three are idempotent puts and
deletes: ``BatchWriteItem`` takes 25 a call. Counters are attributes of counter items, summed
with ``ADD``: a batch that moves 40 leads into "Hot" needs one ``ADD 40``, not forty ``ADD 1``,
and the sums of one item go out in one update (``ADD #a :a, #b :b``), however many counters of
it the batch moved; each lead's outbox counts once per batch, however often it is delivered in it
(its ``once`` token).

Held writes go out in phases: member and log items, then the history pages, then the counter
sums. A page is the delivery marker of its lead's outbox (``LeadStore``), so it lands only after
what it marks: a crash before the pages leaves outboxes that the next load delivers again (the
same items under the same keys, and their counts, which were not written yet). A crash after the
pages and before the sums leaves the counters short by that batch; ``SegmentStats.recount``
rebuilds them from member items.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Final

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.dal.unprocessed import write_all, written_item

BATCH_WRITE_LIMIT: Final = 25
MAX_HELD: Final = 1_000  # a long batch (a sweep catching up) writes as it goes, not all at its end
UNPROCESSED_RETRIES: Final = 8
COUNTERS_PER_UPDATE: Final = 50  # keeps an update's expression well under DynamoDB's 4 KB
LOG: Final = 0
MARKERS: Final = 1

Item = dict[str, dict[str, Any]]


class WriteBatch:
    def __init__(self, client: Any, table_name: str, meter: CapacityMeter) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter
        self.shard: int | None = None  # the counter shard this batch adds to (see SegmentStats)
        self._sums: dict[tuple[str, str], tuple[dict[str, int], str]] = {}
        self._counted: set[Hashable] = set()
        # By key, so a delivery repeated within the batch (a retried save) writes each item once
        # (the last write of a key wins): BatchWriteItem refuses a request naming one key twice.
        self._writes: tuple[dict[tuple[str, str], tuple[dict[str, Any], str]], ...] = ({}, {})
        self._before_flush: list[Callable[[], None]] = []
        self._flushing = False

    def add(
        self, key: Item, delta: int, kind: str, once: Hashable | None = None, *, counter: str = "n"
    ) -> None:
        """Add ``delta`` to the item's attribute ``counter`` when the batch ends; a change with a
        ``once`` token already counted in this batch (an outbox delivered twice) is not counted again."""
        if once is not None:
            if once in self._counted:
                return
            self._counted.add(once)
        at = (key[schema.PK]["S"], key[schema.SK]["S"])
        sums, _ = self._sums.setdefault(at, ({}, kind))
        sums[counter] = sums.get(counter, 0) + delta
        self._flush_if_full()

    def put(self, item: Item, kind: str, phase: int) -> None:
        self._hold({"PutRequest": {"Item": item}}, item, kind, phase)

    def delete(self, key: Item, kind: str, phase: int) -> None:
        self._hold({"DeleteRequest": {"Key": key}}, key, kind, phase)

    def _hold(self, request: dict[str, Any], item: Item, kind: str, phase: int) -> None:
        self._writes[phase][(item[schema.PK]["S"], item[schema.SK]["S"])] = (request, kind)
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
        counters = sum(len(sums) for sums, _ in self._sums.values())
        return counters + sum(len(writes) for writes in self._writes)

    def flush(self) -> None:
        self._flushing = True
        try:
            for callback in self._before_flush:
                callback()
            self._write()
        finally:
            self._flushing = False

    def _write(self) -> None:
        for phase in (LOG, MARKERS):
            held = list(self._writes[phase].values())
            self._writes[phase].clear()
            for start in range(0, len(held), BATCH_WRITE_LIMIT):
                self._batch_write(held[start : start + BATCH_WRITE_LIMIT])
        sums, self._sums = self._sums, {}
        self._counted.clear()
        for (pk, sk), (deltas, kind) in sums.items():
            moved = [(counter, delta) for counter, delta in deltas.items() if delta != 0]
            # (a zero sum entered and left within the batch: nothing to count)
            for start in range(0, len(moved), COUNTERS_PER_UPDATE):
                add_counters(
                    self._client,
                    self._table,
                    {schema.PK: {"S": pk}, schema.SK: {"S": sk}},
                    dict(moved[start : start + COUNTERS_PER_UPDATE]),
                    self._meter,
                    kind,
                )

    def _batch_write(self, chunk: list[tuple[dict[str, Any], str]]) -> None:
        kinds = [kind for _, kind in chunk]
        requests = [request for request, _ in chunk]

        def written(request: dict[str, Any]) -> None:
            self._meter.record_write(written_item(request), kind=kinds[requests.index(request)])

        left = write_all(self._client, self._table, requests, written, attempts=UNPROCESSED_RETRIES + 1)
        if left:
            raise RuntimeError(f"{len(left)} items still unprocessed after {UNPROCESSED_RETRIES} retries")


def add_counters(
    client: Any, table: str, key: Item, deltas: dict[str, int], meter: CapacityMeter, kind: str
) -> None:
    """One ``UpdateItem`` adding each delta to its attribute of the item at ``key``. It is billed
    on the whole item's size (all its counters, not only those it moved): the answer carries the
    item as written (``ALL_NEW``, no extra charge), and the meter counts that."""
    if not deltas:
        return
    names = {f"#c{i}": counter for i, counter in enumerate(deltas)}
    values = {f":c{i}": {"N": str(delta)} for i, delta in enumerate(deltas.values())}
    response = client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(deltas))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
    )
    meter.record_write(response.get("Attributes") or key, kind=kind)
