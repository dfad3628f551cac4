"""DynamoDB adapter for lead state, segment membership and membership history.

A lead is read once and written once per stream batch: one conditional PutItem (version check).
Membership changes ride in that same item as an outbox, then the member and history items are
written (each write idempotent), the last history write doubling as the delivery marker. The next
load checks that marker (one small read) and, if a crash stopped the writes, writes them again
before anything else happens to the lead, so state, members and history never disagree for
longer than one retry. The outbox stays in the item until the next save replaces it. (A
transaction would do the same at twice the write units per item, and moto copies the whole
table for each one.)
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.leads import LeadRecord, Transition, VersionConflict
from leadwire.dal.event_items import iso
from leadwire.dal.lead_items import (
    change_id,
    history_entry_item,
    history_from_item,
    history_key,
    lead_from_item,
    lead_key,
    lead_to_item,
    member_item,
    member_key,
)
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.segment_stats import LEADS_COUNTER, Flip, SegmentStats, segment_counter


def _set_expression(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``SET`` every attribute of ``values`` but the key (attribute names aliased)."""
    fields = [name for name in values if name not in (schema.PK, schema.SK)]
    return {
        "UpdateExpression": "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(fields))),
        "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(fields)},
        "ExpressionAttributeValues": {f":a{i}": values[name] for i, name in enumerate(fields)},
    }


class LeadStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER
        self._stats = SegmentStats(client, table_name, meter=self._meter)

    # -- lead state ---------------------------------------------------------------------------
    def load(self, lead_id: str) -> LeadRecord | None:
        response = self._client.get_item(TableName=self._table, Key=lead_key(lead_id), ConsistentRead=True)
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1)
        if not item:
            return None
        record = lead_from_item(item)
        if record.outbox and not self._outbox_delivered(record):
            self._deliver_outbox(record)  # the previous writer stopped before its membership writes
        return record.model_copy(update={"outbox": []})

    def save(self, record: LeadRecord, transitions: list[Transition]) -> LeadRecord:
        """Store ``record`` if nobody stored the lead since it was loaded; returns the stored record."""
        stored = record.model_copy(update={"version": record.version + 1, "outbox": list(transitions)})
        item = lead_to_item(stored, stored.version)
        try:
            response = self._client.put_item(
                TableName=self._table,
                Item=item,
                ReturnValues="ALL_OLD",
                **self._version_condition(record.version),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise VersionConflict(record.lead_id) from None
            raise
        self._meter.record_write(item, kind="lead")
        self._count_lead(record, response.get("Attributes"))
        if transitions:
            self._deliver_outbox(stored)
        return stored.model_copy(update={"outbox": []})

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

    def _count_lead(self, record: LeadRecord, old: dict[str, Any] | None) -> None:
        """Known leads: +1 when first stored, -1 when merged into another lead."""
        if old is None and record.merged_into is None:
            self._stats.add(record.lead_id, LEADS_COUNTER, 1)
        elif old is not None and record.merged_into is not None and "mi" not in old:
            self._stats.add(record.lead_id, LEADS_COUNTER, -1)

    def _deliver_outbox(self, record: LeadRecord) -> None:
        """Member items (and their counters) first, then the flip log, then history; the last
        history write is the delivery marker."""
        for segment_id, transition in self._final_member_changes(record.outbox).items():
            if transition.change.kind == "entered":
                member = member_item(record.lead_id, transition)
                old = self._client.put_item(TableName=self._table, Item=member, ReturnValues="ALL_OLD")
                self._meter.record_write(member, kind="membership")
                if not old.get("Attributes"):
                    self._stats.add(record.lead_id, segment_counter(segment_id), 1)
            else:
                key = member_key(segment_id, record.lead_id)
                old = self._client.delete_item(TableName=self._table, Key=key, ReturnValues="ALL_OLD")
                self._meter.record_write(key, kind="membership")
                if old.get("Attributes"):
                    self._stats.add(record.lead_id, segment_counter(segment_id), -1)
        for transition in record.outbox:
            change = transition.change
            self._stats.log_flip(
                Flip(change.segment_id, record.lead_id, change.kind, change.at, transition.cause)
            )
        for history, opened in self._history_writes(record.lead_id, record.outbox):
            if opened:  # the whole interval (entry, and exit if it ended too) comes from this outbox
                self._client.put_item(TableName=self._table, Item=history)
                self._meter.record_write(history, kind="membership")
            else:
                self._update(history)

    def _outbox_delivered(self, record: LeadRecord) -> bool:
        """Whether the outbox's last write landed (then all did: they run in order and stop at a
        failure). One small read instead of rewriting the state item to clear the outbox."""
        last, _ = self._history_writes(record.lead_id, record.outbox)[-1]
        marker = "cidOut" if "cidOut" in last else "cid"
        key = {schema.PK: last[schema.PK], schema.SK: last[schema.SK]}
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        self._meter.record_read(item_size(item) if item else 1)
        return item is not None and item.get(marker) == last[marker]

    def _update(self, values: dict[str, dict[str, Any]]) -> None:
        key = {schema.PK: values[schema.PK], schema.SK: values[schema.SK]}
        self._client.update_item(TableName=self._table, Key=key, **_set_expression(values))
        self._meter.record_write(values, kind="membership")

    @staticmethod
    def _history_writes(
        lead_id: str, transitions: list[Transition]
    ) -> list[tuple[dict[str, dict[str, Any]], bool]]:
        """One write per history item, and whether the outbox opened that interval.

        An interval opened here is written whole with a put: the outbox is delivered before any
        later save of the lead, so nothing newer can be in that item. An interval opened earlier
        only gets its exit attributes set.
        """
        writes: dict[str, dict[str, dict[str, Any]]] = {}
        opened: set[str] = set()
        for transition in transitions:
            change = transition.change
            key = history_key(lead_id, change.segment_id, transition.entered_at)
            sk = key[schema.SK]["S"]
            if change.kind == "entered":
                writes[sk] = {**history_entry_item(lead_id, transition), **writes.get(sk, {})}
                opened.add(sk)
            else:
                closing = {
                    "lead": {"S": lead_id},
                    "seg": {"S": change.segment_id},
                    "in": {"S": iso(transition.entered_at)},
                    "out": {"S": iso(change.at)},
                    "outCause": {"S": transition.cause},
                    "cidOut": {"S": change_id(lead_id, transition)},
                }
                writes[sk] = {**writes.get(sk, key), **closing}
        return [(values, sk in opened) for sk, values in writes.items()]

    @staticmethod
    def _final_member_changes(transitions: list[Transition]) -> dict[str, Transition]:
        """A member item ends as the last change of its segment says."""
        final: dict[str, Transition] = {}
        for transition in transitions:
            final[transition.change.segment_id] = transition
        return final

    # -- reads for the admin API ---------------------------------------------------------------
    def _query(self, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self._client.query(TableName=self._table, **kwargs)
        self._meter.record_read(sum(item_size(i) for i in response.get("Items", [])), consistent=False)
        return response

    def history(self, lead_id: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            response = self._query(
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :h)",
                ExpressionAttributeNames={"#pk": schema.PK, "#sk": schema.SK},
                ExpressionAttributeValues={
                    ":pk": {"S": schema.lead_pk(lead_id)},
                    ":h": {"S": schema.HISTORY_PREFIX},
                },
                **extra,
            )
            entries.extend(history_from_item(i) for i in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                return sorted(entries, key=lambda e: (e["enteredAt"], e["segmentId"]))

    def members(
        self, segment_id: str, limit: int, after_lead: str | None
    ) -> tuple[list[dict[str, str]], str | None]:
        extra: dict[str, Any] = {}
        if after_lead is not None:
            extra["ExclusiveStartKey"] = member_key(segment_id, after_lead)
        response = self._query(
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
            IndexName=schema.LEADS_INDEX,
            KeyConditionExpression="#shard = :shard",
            ExpressionAttributeNames={"#shard": schema.LEAD_SHARD},
            ExpressionAttributeValues={":shard": {"S": shard}},
            Limit=limit,
            **extra,
        )
        ids = [item[schema.LEAD_SHARD_SK]["S"] for item in response.get("Items", [])]
        return ids, (ids[-1] if response.get("LastEvaluatedKey") and ids else None)
