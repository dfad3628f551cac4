"""Segment sizes and the by-segment flip log: what segment analytics reads instead of scanning.

Two small items, written beside the member and history items the lead store already writes:

* counters: members per segment (attribute ``SEG#<segmentId>``) and known leads (``LEADS``) of the
  counter item ``STATS#<shard>`` / ``COUNTS``, an ``ADD`` of +1 or -1 when a member item really
  appears or disappears (the put and delete return the old item, which costs nothing) and when a
  lead is first stored or merged away. A stream batch adds all the counters it moved in one
  update of its shard's item (``dal.write_batch``), not one update per counter: one write unit
  per batch while the item stays under 1 KB (about 35 segments), a unit per KB above that.
  ``STATS_SHARDS`` items, one picked per batch by its first lead, keep a spike (every lead
  entering "Hot" at once) under the 1,000 writes a second one item takes; reading sums the
  shards with one BatchGetItem. Counter items of the previous release (``STATS#<shard>`` /
  ``SEG#<segmentId>``, attribute ``n``) are still read and added in, so an upgrade loses no count.
* the flip log (``FLIPS#<segmentId>#<shard>`` / ``<at>#<leadId>#<kind>``): one small item per
  entry or exit, sorted by instant, so "who entered or left this segment since t" is
  ``FLIP_SHARDS`` range queries, however old the segment. History items hold the same intervals
  per lead; the log is their by-segment view (an index on history items would cost the same
  write and could not be sharded by lead).

Within a stream batch (``dal.write_batch``) the counter changes are summed into one update and
the log items packed and batch-written.
A crash between the member write and the counter's ``ADD`` leaves the counter off; the flip log
and member items stay exact, and ``recount`` rebuilds the counters from member items.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import Any, Final

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.core.instants import iso
from leadwire.dal.flip_packs import Flip, distinct, flip_item, flips_of, is_pack, pack_items, without_lead
from leadwire.dal.lead_items import is_history_page, page_changes
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.unprocessed import get_all
from leadwire.dal.write_batch import LOG, WriteBatch, add_counters

__all__ = ["FLIP_SHARDS", "LEADS_COUNTER", "STATS_SHARDS", "Flip", "SegmentStats", "segment_counter"]

STATS_SHARDS: Final = 8
FLIP_SHARDS: Final = 4
LEADS_COUNTER: Final = "LEADS"
COUNTS: Final = "COUNTS"  # the sort key of a shard's counter item
BATCH_GET_LIMIT: Final = 100


def _shard(lead_id: str, shards: int) -> int:
    return zlib.crc32(lead_id.encode("utf-8")) % shards


def stats_key(shard: int, name: str) -> dict[str, dict[str, Any]]:
    return {schema.PK: {"S": f"STATS#{shard}"}, schema.SK: {"S": name}}


def segment_counter(segment_id: str) -> str:
    return f"SEG#{segment_id}"


def flip_pk(segment_id: str, shard: int) -> str:
    return f"FLIPS#{segment_id}#{shard}"


class SegmentStats:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER
        self._held = threading.local()  # a batch holds only its own thread's writes

    @property
    def batch(self) -> WriteBatch | None:
        """The batch holding this thread's writes, if a stream batch is running (``LeadStore.batched``)."""
        batch: WriteBatch | None = getattr(self._held, "batch", None)
        return batch

    @batch.setter
    def batch(self, batch: WriteBatch | None) -> None:
        self._held.batch = batch

    # -- writes (called by the lead store) ---------------------------------------------------------
    def add(self, lead_id: str, name: str, delta: int, once: Hashable | None = None) -> None:
        """``once``: within a batch, a token that counts this change at most once (see WriteBatch)."""
        batch = self.batch
        if batch is not None:
            # One shard per batch, picked by its first lead: concurrent batches still spread a
            # spike over the shards, and each batch writes one update of its shard's item.
            if batch.shard is None:
                batch.shard = _shard(lead_id, STATS_SHARDS)
            batch.add(stats_key(batch.shard, COUNTS), delta, kind="segment_stats", once=once, counter=name)
            return
        key = stats_key(_shard(lead_id, STATS_SHARDS), COUNTS)
        add_counters(self._client, self._table, key, {name: delta}, self._meter, "segment_stats")

    def log_flip(self, flip: Flip) -> None:
        """Idempotent: a redelivered outbox writes the same key again. Within a batch the flips
        are held and written as one pack per segment when it ends (``dal.flip_packs``)."""
        batch = self.batch
        if batch is not None:
            held: list[Flip] = self._held.__dict__.setdefault("flips", [])
            held.append(flip)
            batch.before_flush(self._pack_held)
            return
        item = flip_item(flip_pk(flip.segment_id, _shard(flip.lead_id, FLIP_SHARDS)), flip)
        self._client.put_item(TableName=self._table, Item=item)
        self._meter.record_write(item, kind="segment_stats")

    def _pack_held(self) -> None:
        batch, held = self.batch, self._held.__dict__.pop("flips", [])
        if batch is None or not held:
            return
        shard = _shard(held[0].lead_id, FLIP_SHARDS)
        by_segment: dict[str, list[Flip]] = {}
        for flip in held:
            by_segment.setdefault(flip.segment_id, []).append(flip)
        for segment_id, flips in by_segment.items():
            for item in pack_items(flip_pk(segment_id, shard), flips):
                batch.put(item, kind="segment_stats", phase=LOG)

    # -- reads -------------------------------------------------------------------------------------
    def counts(self, segment_ids: Iterable[str]) -> tuple[dict[str, int], int]:
        """Members per segment and known leads, summed over the shards (one BatchGetItem per 100 keys)."""
        names = [segment_counter(segment_id) for segment_id in segment_ids] + [LEADS_COUNTER]
        keys = [stats_key(shard, COUNTS) for shard in range(STATS_SHARDS)]
        keys += [
            stats_key(shard, name) for name in names for shard in range(STATS_SHARDS)
        ]  # previous release
        totals = dict.fromkeys(names, 0)
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            for item in self._batch_get(keys[start : start + BATCH_GET_LIMIT]):
                sort_key = item[schema.SK]["S"]
                if sort_key != COUNTS:
                    totals[sort_key] += int(item["n"]["N"])
                    continue
                for name in names:
                    if name in item:
                        totals[name] += int(item[name]["N"])
        leads = max(totals.pop(LEADS_COUNTER), 0)
        members = {name.removeprefix("SEG#"): max(n, 0) for name, n in totals.items()}
        return members, leads

    def _batch_get(self, keys: list[dict[str, dict[str, str]]]) -> list[dict[str, Any]]:
        items, pending = get_all(self._client, self._table, keys, lambda item: None)
        # Metered on the items' total size (at least half a unit), as this reader always was.
        self._meter.record_read(
            sum(item_size(item) for item in items) or 1, consistent=False, kind="segment_stats"
        )
        if pending:
            raise StorageUnavailable("the segment counters are throttled; retry shortly", {"retryable": True})
        return items

    def flips(self, segment_id: str, since: datetime) -> list[Flip]:
        """Every entry and exit of the segment at or after ``since``, oldest first."""
        flips: list[Flip] = []
        paginator = self._client.get_paginator("query")
        for shard in range(FLIP_SHARDS):
            pages = paginator.paginate(
                TableName=self._table,
                KeyConditionExpression="#pk = :pk AND #sk >= :since",
                ExpressionAttributeNames={"#pk": schema.PK, "#sk": schema.SK},
                ExpressionAttributeValues={
                    ":pk": {"S": flip_pk(segment_id, shard)},
                    ":since": {"S": iso(since)},
                },
            )
            for page in pages:
                items = page.get("Items", [])
                self._meter.record_read(
                    sum(item_size(item) for item in items) or 1, consistent=False, kind="segment_stats"
                )
                for item in items:
                    flips.extend(flip for flip in flips_of(segment_id, item) if flip.at >= since)
        return distinct(flips)

    def forget(self, items: Iterable[dict[str, Any]]) -> None:
        """An erasure is deleting ``items``: take their member items out of the counters, their
        history intervals' entries and exits out of the flip log, an unmerged state out of the
        known leads."""
        earliest: dict[tuple[str, str], str] = {}  # (segment, lead) -> its first flip's instant
        for item in items:
            pk, sk = item[schema.PK]["S"], item[schema.SK]["S"]
            if pk.startswith(schema.SEGMENT_PREFIX) and sk.startswith(schema.MEMBER_PREFIX):
                lead_id = sk.removeprefix(schema.MEMBER_PREFIX)
                self.add(lead_id, segment_counter(pk.removeprefix(schema.SEGMENT_PREFIX)), -1)
            elif sk.startswith(schema.HISTORY_PREFIX) and is_history_page(item):
                for transition in page_changes(item):
                    change = transition.change
                    self._forget_flip(
                        earliest, change.segment_id, item["lead"]["S"], iso(change.at), change.kind
                    )
            elif sk.startswith(schema.HISTORY_PREFIX) and "seg" in item and "lead" in item:
                for at, kind in ((item.get("in"), "entered"), (item.get("out"), "exited")):
                    if at is not None:
                        self._forget_flip(earliest, item["seg"]["S"], item["lead"]["S"], at["S"], kind)
            elif sk == schema.STATE_SK and "mi" not in item:
                self.add(schema.lead_id_from_pk(pk), LEADS_COUNTER, -1)
        for (segment_id, lead_id), since in earliest.items():
            self._forget_packed(segment_id, lead_id, since)

    def _forget_flip(
        self, earliest: dict[tuple[str, str], str], segment_id: str, lead_id: str, at: str, kind: str
    ) -> None:
        key = {
            schema.PK: {"S": flip_pk(segment_id, _shard(lead_id, FLIP_SHARDS))},
            schema.SK: {"S": f"{at}#{lead_id}#{kind}"},
        }
        self._client.delete_item(TableName=self._table, Key=key)
        self._meter.record_write(key, kind="segment_stats")
        first = earliest.get((segment_id, lead_id))
        earliest[(segment_id, lead_id)] = at if first is None else min(first, at)

    def _forget_packed(self, segment_id: str, lead_id: str, since: str) -> None:
        """Take the lead's flips out of the packs that may hold them (sorted at or after its first
        flip): an erasure reads the segment's log from there, which a stream batch never does."""
        paginator = self._client.get_paginator("query")
        for shard in range(FLIP_SHARDS):
            pages = paginator.paginate(
                TableName=self._table,
                KeyConditionExpression="#pk = :pk AND #sk >= :since",
                FilterExpression="contains(#f, :lead)",
                ExpressionAttributeNames={"#pk": schema.PK, "#sk": schema.SK, "#f": "f"},
                ExpressionAttributeValues={
                    ":pk": {"S": flip_pk(segment_id, shard)},
                    ":since": {"S": since},
                    ":lead": {"S": json.dumps(lead_id)},
                },
            )
            for page in pages:
                self._meter.record_read(1, consistent=False, kind="segment_stats")
                for item in page.get("Items", []):
                    if not is_pack(item):
                        continue
                    kept = without_lead(item, lead_id)
                    if kept is None:
                        key = {schema.PK: item[schema.PK], schema.SK: item[schema.SK]}
                        self._client.delete_item(TableName=self._table, Key=key)
                        self._meter.record_write(key, kind="segment_stats")
                    elif kept != item:
                        self._client.put_item(TableName=self._table, Item=kept)
                        self._meter.record_write(kept, kind="segment_stats")

    def recount(self, segment_id: str, members: int) -> None:
        """Set the segment's counter to ``members`` (after a crash left it off, or for a new table):
        shard 0 holds it, the other shards' parts and any previous-release items are removed."""
        name = segment_counter(segment_id)
        for shard in range(STATS_SHARDS):
            key = stats_key(shard, COUNTS)
            if shard == 0:
                expression, values = "SET #c = :n", {"ExpressionAttributeValues": {":n": {"N": str(members)}}}
            else:
                expression, values = "REMOVE #c", {}
            response = self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=expression,
                ExpressionAttributeNames={"#c": name},
                ReturnValues="ALL_NEW",
                **values,
            )
            self._meter.record_write(response.get("Attributes") or key, kind="segment_stats")
            legacy = stats_key(shard, name)
            self._client.delete_item(TableName=self._table, Key=legacy)
            self._meter.record_write(legacy, kind="segment_stats")
