"""DynamoDB adapter for lead state, segment membership and membership history.

A lead is read once and written once per stream batch: one conditional PutItem (version check).
Membership changes ride in that same item as an outbox, then the member items and one history
page are written (each write idempotent), the page doubling as the delivery marker. The next
load checks that marker (one small read) and, if a crash stopped the writes, writes them again
before anything else happens to the lead, so state, members and history never disagree for
longer than one retry. The outbox stays in the item until the next save replaces it. (A
transaction would do the same at twice the write units per item, and moto copies the whole
table for each one.)

A store built with ``remember=N`` (the segmentation consumer's) keeps the last record it saved of
up to N leads and loads them from memory: a stream shard's batches reach one container in turn,
so the next batch of a lead usually finds the record this process wrote, delivered outbox
included. That saves the consistent read and the outbox check. A remembered record whose due
instant has come is read again (the sweep may have advanced the lead). A record another writer
has replaced all the same (a job, a merge in another container) only makes the save's version
check fail, which forgets it, and the engine's retry then reads the item.

A store built with ``eventual_loads=True`` (the segmentation consumer's too) reads a lead it does
not remember eventually consistently: half the units, and the save's version check already
catches a read that missed a newer write (the conflict, then a consistent read, as above). A
pending outbox is only ever delivered from a consistent read, though: an outdated item may carry
an outbox a newer save has overtaken, and delivering it would bring back member items that save
removed. So when the eventually consistent read finds an outbox whose marker is missing (a writer
stopped, or the read is behind), the item is read again consistently before anything is written.
A lead whose save met a conflict is read consistently next time, so the retry cannot loop on a
replica that is behind.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.leads import LeadRecord, Transition, VersionConflict
from leadwire.dal.conditional_put import put_if
from leadwire.dal.lead_items import (
    ITEM_FORMAT,
    change_id,
    history_intervals,
    history_key,
    history_page_item,
    history_page_key,
    lead_from_item,
    lead_key,
    lead_to_item,
    member_item,
    member_key,
)
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.partition_query import partition_items
from leadwire.dal.segment_stats import LEADS_COUNTER, Flip, SegmentStats, segment_counter
from leadwire.dal.write_batch import LOG, MARKERS, WriteBatch


class LeadStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        meter: CapacityMeter | None = None,
        remember: int = 0,
        now: Callable[[], datetime] | None = None,
        eventual_loads: bool = False,
    ) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER
        self._remember = remember
        self._now = now
        self._saved: OrderedDict[str, LeadRecord] = OrderedDict()
        self._eventual_loads = eventual_loads
        self._conflicted: set[str] = set()  # read these consistently next (see the module doc)
        self._stats = SegmentStats(client, table_name, meter=self._meter)

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Hold counter sums, flip-log items and history pages until the block ends (a stream
        batch), then write them in that order: see ``dal.write_batch``. Member items and lead
        state are written as they happen, as outside the block."""
        if self._stats.batch is not None:
            yield  # already inside one
            return
        batch = WriteBatch(self._client, self._table, self._meter)
        self._stats.batch = batch
        try:
            yield
        finally:
            try:
                batch.flush()  # what was done is written, also when the block failed
            finally:
                self._stats.batch = None

    def flush_held(self) -> None:
        """Write what this thread's batch holds so far (the block goes on holding)."""
        if self._stats.batch is not None:
            self._stats.batch.flush()

    # -- lead state ---------------------------------------------------------------------------
    def load(self, lead_id: str, *, fresh: bool = False) -> LeadRecord | None:
        """The lead's record; from memory when this store saved it last, unless ``fresh``."""
        known = None if fresh else self._saved.get(lead_id)
        if known is not None and not self._maybe_swept(known):
            self._saved.move_to_end(lead_id)
            return known
        consistent = fresh or not self._eventual_loads or lead_id in self._conflicted
        self._conflicted.discard(lead_id)
        item = self._state_item(lead_id, consistent=consistent)
        if not item:
            return None
        record = lead_from_item(item)
        if record.outbox and not self._outbox_delivered(record, legacy="ob" in item):
            if not consistent:
                return self.load(lead_id, fresh=True)  # deliver only what the latest item holds
            self._deliver_outbox(record)  # the previous writer stopped before its membership writes
        return record.model_copy(update={"outbox": []})

    def read(self, lead_id: str, *, at_least: int = 0) -> LeadRecord | None:
        """The lead as stored, for a reader that writes nothing of it (the actions). A pending
        outbox is left to the next writer's ``load``: its membership writes change nothing such a
        reader looks at, and checking for them would cost a read.

        With ``at_least`` (a version the reader knows was saved: its fire's) an eventually
        consistent read (half the units) that returns that version or a newer one is enough;
        an older copy or none is read again consistently. Else one consistent read."""
        if at_least > 0:
            item = self._state_item(lead_id, consistent=False)
            if item and int(item["v"]["N"]) >= at_least:
                return lead_from_item(item).model_copy(update={"outbox": []})
        item = self._state_item(lead_id)
        if not item:
            return None
        return lead_from_item(item).model_copy(update={"outbox": []})

    def _state_item(self, lead_id: str, *, consistent: bool = True) -> dict[str, Any] | None:
        """The lead-state item, or None; a consistent read sees what the last save wrote."""
        response = self._client.get_item(
            TableName=self._table, Key=lead_key(lead_id), ConsistentRead=consistent
        )
        item: dict[str, Any] | None = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=consistent, kind="lead")
        return item

    def _maybe_swept(self, record: LeadRecord) -> bool:
        return record.due_at is not None and (self._now is None or record.due_at <= self._now())

    def save(self, record: LeadRecord, transitions: list[Transition]) -> LeadRecord:
        """Store ``record`` if nobody stored the lead since it was loaded; returns the stored record."""
        stored = record.model_copy(update={"version": record.version + 1, "outbox": list(transitions)})
        item = lead_to_item(stored, stored.version)
        self._saved.pop(record.lead_id, None)
        # The old item matters only to a merge (was it merged before?): a first save has none,
        # and any other's is the version it was loaded at. Asking for it is not billed, but it
        # is sent back over the wire.
        old_wanted = record.version > 0 and record.merged_into is not None
        try:
            response = self._client.put_item(
                TableName=self._table,
                Item=item,
                **({"ReturnValues": "ALL_OLD"} if old_wanted else {}),
                **self._version_condition(record.version),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                self._meter.record_write(item, kind="lead")  # a failed condition is billed as a write
                self._conflicted.add(record.lead_id)
                raise VersionConflict(record.lead_id) from None
            raise
        self._meter.record_write(item, kind="lead")
        self._count_lead(record, was_merged="mi" in response.get("Attributes", {}))
        if transitions:
            self._deliver_outbox(stored)
        saved = stored.model_copy(update={"outbox": []})
        if self._remember:
            self._saved[record.lead_id] = saved
            while len(self._saved) > self._remember:
                self._saved.popitem(last=False)
        return saved

    def upgrade(self, lead_id: str) -> int:
        """Rewrite the lead's state item in the current format if an older release wrote it;
        returns the items rewritten (0 or 1). The migration job calls it for every lead.

        A pending outbox is delivered first (as ``load`` would), and the rewrite keeps the
        item's version under a version check: a writer that saved the lead meanwhile wrote the
        current format itself, so losing that race leaves nothing to do."""
        item = self._state_item(lead_id)
        if not item or int(item.get("f", {}).get("N", "1")) >= ITEM_FORMAT:
            return 0
        record = lead_from_item(item)
        if record.outbox and not self._outbox_delivered(record, legacy="ob" in item):
            self._deliver_outbox(record)
        upgraded = lead_to_item(record.model_copy(update={"outbox": []}), record.version)
        self._saved.pop(lead_id, None)
        condition = self._version_condition(record.version)
        written = put_if(
            self._client,
            self._table,
            upgraded,
            self._meter,
            "lead",
            condition=condition["ConditionExpression"],
            names=condition["ExpressionAttributeNames"],
            values=condition.get("ExpressionAttributeValues"),
        )
        return int(written)

    @staticmethod
    def _version_condition(version: int) -> dict[str, Any]:
        if version == 0:
            return {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": schema.PK},
            }
        return {
            "ConditionExpression": "#v = :v",
            "ExpressionAttributeNames": {"#v": "v"},
            "ExpressionAttributeValues": {":v": {"N": str(version)}},
        }

    def _count_lead(self, record: LeadRecord, *, was_merged: bool) -> None:
        """Known leads: +1 when first stored (version 0: no item before), -1 when merged into
        another lead (``was_merged``: the item replaced already said so)."""
        if record.version == 0 and record.merged_into is None:
            self._stats.add(record.lead_id, LEADS_COUNTER, 1)
        elif record.version > 0 and record.merged_into is not None and not was_merged:
            self._stats.add(record.lead_id, LEADS_COUNTER, -1)

    def _deliver_outbox(self, record: LeadRecord) -> None:
        """Member items (and their counters) first, then the flip log, then the history page: the
        page is the delivery marker."""
        batch = self._stats.batch
        if batch is not None:
            self._hold_member_changes(batch, record)
        else:
            self._write_member_changes(record)
        for transition in record.outbox:
            change = transition.change
            self._stats.log_flip(
                Flip(change.segment_id, record.lead_id, change.kind, change.at, transition.cause)
            )
        page = history_page_item(record.lead_id, record.version, record.outbox)
        if batch is not None:
            batch.put(page, kind="history", phase=MARKERS)
            return
        self._client.put_item(TableName=self._table, Item=page)
        self._meter.record_write(page, kind="history")

    def _write_member_changes(self, record: LeadRecord) -> None:
        """One by one: each put or delete returns the old item, which decides the counter."""
        for segment_id, transition in self._final_member_changes(record.outbox).items():
            if transition.change.kind == "entered":
                member = member_item(record.lead_id, transition)
                old = self._client.put_item(TableName=self._table, Item=member, ReturnValues="ALL_OLD")
                self._meter.record_write(member, kind="member")
                if not old.get("Attributes"):
                    self._stats.add(record.lead_id, segment_counter(segment_id), 1)
            else:
                key = member_key(segment_id, record.lead_id)
                old = self._client.delete_item(TableName=self._table, Key=key, ReturnValues="ALL_OLD")
                self._meter.record_write(key, kind="member")
                if old.get("Attributes"):
                    self._stats.add(record.lead_id, segment_counter(segment_id), -1)

    def _hold_member_changes(self, batch: WriteBatch, record: LeadRecord) -> None:
        """In a batch: member puts and deletes are batch-written with the log, and the counters
        follow from the outbox itself (a put cannot return the old item there). Per segment the
        outbox says whether the lead was a member before it (its first change is an exit) and
        after it (its last is an entry); the difference is counted once per outbox and batch."""
        first: dict[str, Transition] = {}
        for transition in record.outbox:
            first.setdefault(transition.change.segment_id, transition)
        for segment_id, last in self._final_member_changes(record.outbox).items():
            if last.change.kind == "entered":
                batch.put(member_item(record.lead_id, last), kind="member", phase=LOG)
            else:
                batch.delete(member_key(segment_id, record.lead_id), kind="member", phase=LOG)
            delta = (last.change.kind == "entered") - (first[segment_id].change.kind == "exited")
            if delta:
                once = (record.lead_id, record.version, segment_id)
                self._stats.add(record.lead_id, segment_counter(segment_id), delta, once=once)

    def _outbox_delivered(self, record: LeadRecord, legacy: bool) -> bool:
        """Whether the outbox's last write landed (then all did: they run in order and stop at a
        failure). One small read instead of rewriting the state item to clear the outbox."""
        key, marker = (
            self._legacy_marker(record)
            if legacy
            else (history_page_key(record.lead_id, record.version), None)
        )
        # Eventually consistent (half the units): a marker written a moment ago and not seen yet
        # only makes this load write the same member items and page again, which is harmless.
        item = self._client.get_item(TableName=self._table, Key=key).get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=False, kind="history")
        if item is None or marker is None:
            return item is not None
        name, value = marker
        return item.get(name, {}).get("S") == value

    @staticmethod
    def _legacy_marker(record: LeadRecord) -> tuple[dict[str, dict[str, str]], tuple[str, str]]:
        """A format-1 outbox was delivered as one item per interval, in order of first appearance;
        the last one's change id (its exit's if the outbox closed it) marks the delivery."""
        by_interval: dict[str, list[Transition]] = {}
        for transition in record.outbox:
            key = history_key(record.lead_id, transition.change.segment_id, transition.entered_at)
            by_interval.setdefault(key[schema.SK]["S"], []).append(transition)
        last = list(by_interval.values())[-1]
        exits = [t for t in last if t.change.kind == "exited"]
        marked = exits[-1] if exits else last[0]
        key = history_key(record.lead_id, marked.change.segment_id, marked.entered_at)
        return key, ("cidOut" if exits else "cid", change_id(record.lead_id, marked))

    @staticmethod
    def _final_member_changes(transitions: list[Transition]) -> dict[str, Transition]:
        """A member item ends as the last change of its segment says."""
        final: dict[str, Transition] = {}
        for transition in transitions:
            final[transition.change.segment_id] = transition
        return final

    # -- reads for the admin API ---------------------------------------------------------------
    def _query(self, kind: str, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self._client.query(TableName=self._table, **kwargs)
        items = response.get("Items", [])
        self._meter.record_read(sum(item_size(i) for i in items), consistent=False, kind=kind)
        return response

    def history(self, lead_id: str) -> list[dict[str, Any]]:
        pk = schema.lead_pk(lead_id)
        items = partition_items(
            self._client, self._table, pk, self._meter, "history", prefix=schema.HISTORY_PREFIX
        )
        return history_intervals(list(items))

    def members(
        self, segment_id: str, limit: int, after_lead: str | None
    ) -> tuple[list[dict[str, str]], str | None]:
        extra: dict[str, Any] = {}
        if after_lead is not None:
            extra["ExclusiveStartKey"] = member_key(segment_id, after_lead)
        response = self._query(
            "member",
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": schema.PK},
            ExpressionAttributeValues={":pk": {"S": schema.segment_pk(segment_id)}},
            Limit=limit,
            **extra,
        )
        members = [{"leadId": i["lead"]["S"], "enteredAt": i["in"]["S"]} for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return members, (members[-1]["leadId"] if last and members else None)

    def lead_ids(self, shard: str, after: str | None, limit: int) -> tuple[list[str], str | None]:
        """One page of the lead ids in a ``leads`` index shard (Query, never Scan), in id order.

        Returns the ids and the last one when the shard may hold more (the next ``after``).
        """
        extra: dict[str, Any] = {}
        if after is not None:
            extra["ExclusiveStartKey"] = {
                **lead_key(after),
                schema.LEAD_SHARD: {"S": shard},
                schema.LEAD_SHARD_SK: {"S": after},
            }
        response = self._query(
            "lead",
            IndexName=schema.LEADS_INDEX,
            KeyConditionExpression="#shard = :shard",
            ExpressionAttributeNames={"#shard": schema.LEAD_SHARD},
            ExpressionAttributeValues={":shard": {"S": shard}},
            Limit=limit,
            **extra,
        )
        ids = [item[schema.LEAD_SHARD_SK]["S"] for item in response.get("Items", [])]
        return ids, (ids[-1] if response.get("LastEvaluatedKey") and ids else None)
